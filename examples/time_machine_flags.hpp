// time_machine's command line: its flags, their defaults and their checks, apart from
// main() so that a test (tests/fuzz/flags_time_machine.cpp) can feed it any argv.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include <boost/program_options.hpp>

#include "support.hpp"

#ifndef XG_SOURCE_DIR
#define XG_SOURCE_DIR "."
#endif

// The options that define a model's shape: saved with checkpoints.
struct ModelSpec {
    std::string kind;
    std::size_t hidden, layers, proj;
    double zoneout = 0, weight_drop = 0;  // lnlstm and peephole only
};

struct Options {
    ModelSpec spec{"lstm", 256, 1, 0};
    std::size_t epochs = 500, batch_size = 32, num_steps = 35, max_tokens = 10000, sample_every = 50;
    double lr = 1.0, clip = 1.0;
    int threads = 0;
    std::uint64_t seed = 0;
    bool random_iter = false, json = false, detect_anomaly = false, flush_denormal = false;
    std::string data, save, resume, metrics, plot;
};

// A model the flags (or a checkpoint's settings) describe; else support::FlagError saying
// what is wrong.
inline void check_spec(const ModelSpec& spec) {
    const auto& k = spec.kind;
    if (k != "scratch" && k != "lstm" && k != "lstmp" && k != "gru" && k != "rnn" && k != "lnlstm" && k != "peephole")
        throw support::FlagError("unknown --model '" + k + "' (scratch, lstm, lstmp, gru, rnn, lnlstm or peephole)");
    if (spec.hidden == 0 || spec.layers == 0) throw support::FlagError("--hidden and --layers must be positive");
    support::check_layers(spec.layers);
    if (k == "scratch" && spec.layers != 1) throw support::FlagError("--model scratch has one layer");
    if (k == "lstmp" && spec.proj == 0) throw support::FlagError("--model lstmp needs --proj >= 1 (or --hidden >= 2)");
    if (k != "lstmp" && spec.proj != 0) throw support::FlagError("--proj is for --model lstmp");
    if (spec.proj >= spec.hidden) throw support::FlagError("--proj must be smaller than --hidden");
    support::check_finite("zoneout", spec.zoneout, 0, true);
    support::check_finite("weight-drop", spec.weight_drop, 0, true);
    if (spec.zoneout >= 1 || spec.weight_drop >= 1) throw support::FlagError("--zoneout and --weight-drop must be below 1");
    if ((spec.zoneout > 0 || spec.weight_drop > 0) && k != "lnlstm" && k != "peephole")
        throw support::FlagError("--zoneout and --weight-drop are for --model lnlstm or peephole");
}

// The rest of what a checkpoint saves: checked by the same code for a flag and for a value read
// back from a checkpoint (a hand-edited "clip": -1 would flip every gradient's sign).
inline void check_training(const Options& o) {
    if (o.batch_size == 0 || o.num_steps == 0) throw support::FlagError("--batch-size and --num-steps must be positive");
    support::check_finite("clip", o.clip, 0, false);
}

// Everything a checkpoint's settings hold (a resumed run checks them after reading).
inline void check_settings(const Options& o) {
    check_spec(o.spec);
    check_training(o);
}

// What --help prints before the flags.
inline constexpr const char* kUsage = "usage: time_machine [train] [options]\n"
                                 "       time_machine generate --checkpoint PATH [--prefix TEXT] [--length N] [--temperature T]\n\n"
                                 "Trains d2l's character language model on H. G. Wells' The Time Machine and prints\n"
                                 "perplexity, speed and what the model writes after \"time traveller\".\n\n";

// What the command line asks for.
struct Flags : support::ParsedFlags {
    Options o;
    std::string prefix = "time traveller";  // generate's
    std::size_t length = 50;
    double temperature = 0;
};

// Parses and checks argv; a bad flag throws support::FlagError with the line to print.
inline Flags parse_flags(int argc, const char* const argv[]) {
    namespace po = boost::program_options;
    Flags f;
    Options& o = f.o;
    o.data = std::string(XG_SOURCE_DIR) + "/data/corpora/timemachine.txt";
    po::options_description train_opts("Training (d2l's defaults)"), gen_opts("generate"), hidden_opts;
    train_opts.add_options()
        ("help,h", "show this help")
        ("model", po::value(&o.spec.kind)->default_value("lstm"), "scratch | lstm | lstmp | gru | rnn | lnlstm | peephole  (scratch: d2l's LSTM from scratch; lnlstm: LayerNormLSTM)")
        ("hidden", po::value(&o.spec.hidden)->default_value(256), "hidden units")
        ("layers", po::value(&o.spec.layers)->default_value(1), "recurrent layers (not for scratch)")
        ("proj", po::value(&o.spec.proj)->default_value(0), "projection size for lstmp (0: hidden / 2)")
        ("zoneout", po::value(&o.spec.zoneout)->default_value(0.0), "zoneout probability of h and c, lnlstm and peephole")
        ("weight-drop", po::value(&o.spec.weight_drop)->default_value(0.0), "DropConnect probability on W_hh, lnlstm and peephole")
        ("epochs", po::value(&o.epochs)->default_value(500), "epochs (the total, also when resuming)")
        ("lr", po::value(&o.lr)->default_value(1.0), "SGD learning rate")
        ("clip", po::value(&o.clip)->default_value(1.0), "gradient norm clipping threshold")
        ("batch-size", po::value(&o.batch_size)->default_value(32), "sequences per batch")
        ("num-steps", po::value(&o.num_steps)->default_value(35), "time steps per batch")
        ("max-tokens", po::value(&o.max_tokens)->default_value(10000), "characters of the book to use (0: all)")
        ("random-iter", po::bool_switch(&o.random_iter), "random batches (state reset each batch) instead of sequential")
        ("data", po::value(&o.data), "the corpus (default: the bundled data/corpora/timemachine.txt)")
        ("sample-every", po::value(&o.sample_every)->default_value(50), "print samples (and save) every N epochs");
    support::add_run_flags(train_opts, o, {.save = "checkpoint folder to write (model, optimizer, vocab, epoch), atomically",
                                           .json = "end with one JSON line: perplexity, tokens_per_s, epochs, seconds, sample",
                                           .metrics = "append one JSON line per epoch to this file (epoch, lr, loss, perplexity, tokens_per_s, seconds)",
                                           .plot = "draw the perplexity curve into this .svg or .png file (needs gnuplot)"});
    gen_opts.add_options()
        ("checkpoint", po::value(&f.checkpoint), "checkpoint folder written by --save")
        ("prefix", po::value(&f.prefix)->default_value("time traveller"), "text to continue")
        ("length", po::value(&f.length)->default_value(50), "characters to generate")
        ("temperature", po::value(&f.temperature)->default_value(0.0), "0: most likely character; > 0: sample from softmax(logits / T)");
    hidden_opts.add_options()("command", po::value(&f.command), "train | generate");
    po::positional_options_description pos;
    pos.add("command", 1);
    support::parse_command_line(argc, argv, kUsage, "generate", train_opts, gen_opts, hidden_opts, pos, f);
    if (!f.help.empty()) return f;
    if (f.command == "generate") {
        support::check_finite("temperature", f.temperature, 0, true);
        return f;
    }
    if (o.resume.empty()) {  // a resumed run takes the model from the checkpoint, checked there
        if (o.spec.kind == "lstmp" && o.spec.proj == 0) o.spec.proj = o.spec.hidden / 2;
        check_spec(o.spec);
    }
    check_training(o);
    if (o.epochs == 0 || o.sample_every == 0) throw support::FlagError("--epochs and --sample-every must be positive");
    support::check_finite("lr", o.lr, 0, false);
    if (o.threads < 0 || o.threads > 256) throw support::FlagError("--threads must be between 0 (all cores) and 256");
    return f;
}

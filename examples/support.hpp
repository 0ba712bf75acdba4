// What the training examples share and is not model code: a progress bar with ETA,
// a clock, strict number flags, the checks of a resumed run, the error exit, the
// per-epoch metrics file, the training-curve plot, a Run that holds all of these around
// the epoch loop, and main().
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "core/file_io.hpp"
#include "autograd/factory.hpp"
#include "core/runtime.hpp"
#include "data/vocab.hpp"
#include "distributed/ddp.hpp"
#include "distributed/process_group.hpp"
#include "optim/checkpoint.hpp"

namespace support {

// A count or a seed: digits only, in range. std::stoul and Boost's lexical_cast read
// "-5" as 2^64 - 5 and std::stoi reads "5abc" as 5; a flag must not be that forgiving.
template <class T>
bool parse_unsigned(const std::string& text, T& out) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace support

// Boost.Program_options reads every std::size_t / std::uint64_t flag through this overload
// (found by argument-dependent lookup on boost::any, and preferred to the generic template).
namespace boost {
inline void validate(boost::any& v, const std::vector<std::string>& values, unsigned long*, int) {
    namespace po = boost::program_options;
    po::validators::check_first_occurrence(v);
    const std::string& text = po::validators::get_single_string(values);
    unsigned long n = 0;
    if (!support::parse_unsigned(text, n)) {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        po::error_with_option_name e(digits ? "'%value%' for %canonical_option% is too large"
                                            : "'%value%' for %canonical_option% is not a whole number >= 0");
        e.set_substitute("value", text);
        throw e;
    }
    v = boost::any(n);
}
}  // namespace boost

namespace support {

class Clock {
public:
    Clock() : start_(std::chrono::steady_clock::now()) {}
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
    void restart() { start_ = std::chrono::steady_clock::now(); }

private:
    std::chrono::steady_clock::time_point start_;
};

inline std::string hms(double seconds) {
    const long s = long(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

// A one-line bar on stderr, redrawn in place, only when stderr is a terminal (and only
// by rank 0 of a distributed run):
//   epoch  37/500 [###.......................]  ppl 5.21  48.1k tok/s  ETA 1:21
class Progress {
public:
    // first: what was done before this run (a resumed run's epochs), left out of the ETA
    Progress(std::string label, std::size_t total, std::size_t first = 0)
        : label_(std::move(label)), total_(total), first_(first), on_(::isatty(2) == 1 && xg::distributed::rank() == 0) {}
    bool enabled() const { return on_; }

    void update(std::size_t done, const std::string& info) {
        if (!on_) return;
        const double t = clock_.seconds();
        if (done < total_ && t - last_ < 0.1) return;  // at most 10 redraws a second
        last_ = t;
        const int width = 28;
        const int filled = total_ ? int(double(done) / double(total_) * width) : width;
        std::string bar(std::size_t(filled), '#');
        bar.resize(width, '.');
        const double eta = done > first_ ? t / double(done - first_) * double(total_ - done) : 0.0;
        std::fprintf(stderr, "\r%s %*zu/%zu [%s] %s  ETA %s\033[K", label_.c_str(), int(std::to_string(total_).size()), done,
                     total_, bar.c_str(), info.c_str(), hms(eta).c_str());
        std::fflush(stderr);
    }
    // Clears the bar so the next line printed starts clean.
    void clear() {
        if (on_) std::fprintf(stderr, "\r\033[K");
    }
    void done() {
        if (on_) std::fprintf(stderr, "\n");
    }

private:
    std::string label_;
    std::size_t total_, first_;
    bool on_;
    Clock clock_;
    double last_ = -1;
};

// A flag, or a combination of flags, that cannot work. Thrown by each example's
// parse_flags (a header of its own, so tests/fuzz can feed it any command line); main()
// prints it through die().
struct FlagError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Boost.Program_options (1.74) builds an error message by replacing each placeholder such
// as %value% with its text until none is left, so an argument that holds its own
// placeholder ("--epochs %value%") makes the message loop forever. Such arguments are
// refused before Boost sees them (found by tests/fuzz/flags_*.cpp).
inline void check_no_placeholders(int argc, const char* const argv[]) {
    static const char* const names[] = {"canonical_option", "option", "original_token", "prefix", "value"};
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        for (const char* name : names)
            if (arg.find('%' + std::string(name)) != std::string::npos || arg.find(name + std::string("%")) != std::string::npos)
                throw FlagError("argument " + std::to_string(i) + " ('" + arg + "') holds a '%" + name +
                                "' the flag parser cannot report errors about; leave the % out");
    }
}

// The flags of a training run that both examples have, with each example's words for what
// its files and its JSON line hold.
struct RunFlagTexts {
    const char *save, *json, *metrics, *plot;
};
template <class Options>
void add_run_flags(boost::program_options::options_description& opts, Options& o, const RunFlagTexts& says) {
    namespace po = boost::program_options;
    opts.add_options()
        ("threads", po::value(&o.threads)->default_value(0), "threads (0: all cores)")
        ("seed", po::value(&o.seed)->default_value(0), "random seed")
        ("save", po::value(&o.save), says.save)
        ("resume", po::value(&o.resume), "checkpoint folder to continue from")
        ("json", po::bool_switch(&o.json), says.json)
        ("metrics", po::value(&o.metrics), says.metrics)
        ("plot", po::value(&o.plot), says.plot)
        ("detect-anomaly", po::bool_switch(&o.detect_anomaly), "stop at the first NaN or inf gradient, naming the op")
        ("flush-denormal", po::bool_switch(&o.flush_denormal),
         "treat denormal floats as zero (torch.set_flush_denormal): faster early in training on CPUs with slow denormals");
}

// What both examples' command lines give besides their own flags.
struct ParsedFlags {
    std::string command = "train";  // train, or the example's other command (generate, predict)
    std::string checkpoint;         // the other command's --checkpoint
    boost::program_options::variables_map vm;  // which flags were typed (support::given)
    std::string help;                          // --help: the text to print, and nothing else to do
};

// argv into f by Boost.Program_options, every failure a FlagError naming the flag. The
// train and other command's option groups are what --help shows, after the usage text, in
// f.help; the hidden group holds the positional arguments. The command must be train or
// other, and other needs --checkpoint.
inline void parse_command_line(int argc, const char* const argv[], const std::string& usage, const std::string& other,
                                      const boost::program_options::options_description& train_opts,
                                      const boost::program_options::options_description& command_opts,
                                      const boost::program_options::options_description& hidden_opts,
                                      const boost::program_options::positional_options_description& positional,
                                      ParsedFlags& f) {
    namespace po = boost::program_options;
    check_no_placeholders(argc, argv);
    po::options_description all;
    all.add(train_opts).add(command_opts).add(hidden_opts);
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), f.vm);
        po::notify(f.vm);
    } catch (const std::exception& e) {
        throw FlagError(std::string(e.what()) + " (see --help)");
    }
    if (f.vm.count("help")) {
        std::ostringstream help;
        help << usage << train_opts << "\n" << command_opts;
        f.help = help.str();
    } else if (f.command == other) {
        if (f.checkpoint.empty()) throw FlagError(other + " needs --checkpoint PATH");
    } else if (f.command != "train") {
        throw FlagError("unknown command '" + f.command + "' (train or " + other + ")");
    }
}

// A one-line error and exit status 2: what bad flags and missing files get. Under mpirun
// the message names the rank and the whole job ends (the other ranks may be waiting for
// this one in an allreduce).
[[noreturn]] inline void die(const std::string& program, const std::string& message) {
    const std::string rank = xg::distributed::rank_label();
    std::fprintf(stderr, "%s: %s%serror: %s\n", program.c_str(), rank.c_str(), rank.empty() ? "" : ": ", message.c_str());
    xg::distributed::abort(2);
}

// Data parallel under mpirun: only rank 0 prints to stdout (and writes files); every
// rank gets an equal share of this machine's cores unless --threads says otherwise.
// The float mode (--flush-denormal) is set before any pool thread starts.
inline void start_rank(int threads, bool flush_denormal) {
    xg::set_flush_denormal(flush_denormal);
    if (xg::distributed::rank() != 0 && !std::freopen("/dev/null", "w", stdout))
        std::fprintf(stderr, "warning: %s: could not silence stdout\n", xg::distributed::rank_label().c_str());
    if (threads == 0 && xg::distributed::local_size() > 1) {
        const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
        threads = std::max(1, cores / xg::distributed::local_size());
    }
    xg::set_num_threads(threads);
}

// A flag was typed on the command line (not left at its default).
inline bool given(const boost::program_options::variables_map& vm, const char* flag) {
    return vm.count(flag) && !vm[flag].defaulted();
}

// A real number flag: finite and at least `low` (NaN fails every comparison, so say it).
inline void check_finite(const char* flag, double value, int low, bool low_allowed) {
    if (!std::isfinite(value) || value < low || (!low_allowed && value == low)) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "--%s must be a finite number %s %d, not %g", flag, low_allowed ? ">=" : ">", low, value);
        throw FlagError(buf);
    }
}

// --layers: a bound, so that a mistyped count fails at once instead of building layers until
// memory runs out (PyTorch has none; no recurrent model here has come near it).
inline constexpr std::size_t kMaxLayers = 1000;
inline void check_layers(std::size_t layers) {
    if (layers > kMaxLayers) throw FlagError("--layers must be at most " + std::to_string(kMaxLayers) + ", not " + std::to_string(layers));
}

// Settings read back from a checkpoint go through the flags' own check; a failure names the file.
template <class Check>
void check_saved_settings(const std::string& program, const std::string& dir, Check&& check) {
    try {
        check();
    } catch (const FlagError& e) {
        die(program, dir + "/checkpoint.json: " + e.what());
    }
}

// A resumed run takes its settings from the checkpoint (`saved`, keyed by flag name); a
// flag typed now that disagrees is an error rather than silently ignored.
inline void check_resume_flags(const std::string& program, const boost::program_options::variables_map& vm,
                               const nlohmann::json& mine, const nlohmann::json& saved) {
    for (const auto& [flag, value] : mine.items())
        if (given(vm, flag.c_str()) && saved.contains(flag) && saved[flag] != value)
            die(program, "--" + flag + " " + value.dump() + " differs from the checkpoint's " + saved[flag].dump() +
                             "; drop the flag to resume");
}

// object[key] of a checkpoint's checkpoint.json into `to`, refusing what to's type cannot
// hold. nlohmann's own conversion casts any number to any arithmetic type: 1e300 into a
// std::size_t is undefined behaviour and -3 wraps to 2^64 - 3. A count (unsigned) must be a
// non-negative integer that fits, a real number any number, a switch true or false.
template <class T>
void read_saved(const nlohmann::json& object, const char* key, T& to) {
    const nlohmann::json& v = object.at(key);
    bool fits = true;
    if constexpr (std::is_same_v<T, bool>) {
        fits = v.is_boolean();
    } else if constexpr (std::is_integral_v<T>) {
        static_assert(std::is_unsigned_v<T>, "settings hold counts and seeds: unsigned");
        fits = v.is_number_unsigned() && v.get<std::uint64_t>() <= std::numeric_limits<T>::max();
    } else if constexpr (std::is_floating_point_v<T>) {
        fits = v.is_number();
    }
    if (!fits) throw FlagError("\"" + std::string(key) + "\" holds " + v.dump() + ", not a " +
                               (std::is_same_v<T, bool> ? "switch" : std::is_integral_v<T> ? "count" : "number"));
    to = v.get<T>();  // a string from a non-string throws nlohmann's type_error
}

// Reads a checkpoint's checkpoint.json through `read`, turning a missing key or a wrong
// type into one line that names the file and the program that can read it.
template <class Read>
auto read_meta(const std::string& program, const std::string& dir, const nlohmann::json& meta, Read&& read) {
    const bool named = meta.is_object() && meta.contains("program") && meta["program"].is_string();
    const std::string who = named ? meta["program"].get<std::string>() : std::string();
    if (who != program)
        die(program, dir + " is not a checkpoint of " + program + (who.empty() ? std::string() : " (written by " + who + ")"));
    try {
        return read(meta);
    } catch (const nlohmann::json::exception& e) {
        die(program, dir + "/checkpoint.json: missing or malformed setting (" + e.what() + ")");
    } catch (const FlagError& e) {
        die(program, dir + "/checkpoint.json: " + e.what());
    }
}

// generate/predict: the settings a checkpoint was trained with, read and checked as --resume
// reads them (apply_settings and check_settings are the example's, found by the type).
template <class Options>
Options saved_settings(const std::string& program, const std::string& dir) {
    const nlohmann::json meta = xg::optim::read_checkpoint_meta(dir);
    Options saved;
    read_meta(program, dir, meta, [&](const nlohmann::json& m) {
        apply_settings(saved, m.at("settings"));
        return 0;
    });
    check_saved_settings(program, dir, [&] { check_settings(saved); });
    return saved;
}

// --metrics FILE.jsonl: one JSON object per epoch, appended and flushed as the epoch ends.
// A run starting at first_epoch keeps only the lines of earlier epochs (none for a fresh
// run): a run killed after logging an epoch it had not yet saved logs it again on resume,
// once. A torn last line (killed while writing) is dropped.
class MetricsLog {
public:
    MetricsLog() = default;
    MetricsLog(const std::string& program, const std::string& path, std::size_t first_epoch) : path_(path) {
        if (path.empty()) return;
        std::string kept;
        if (first_epoch > 0 && std::filesystem::exists(path)) {
            std::istringstream in(xg::read_file(path));
            for (std::string line; std::getline(in, line);) {
                const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
                if (j.is_object() && j.contains("epoch") && j["epoch"].is_number_unsigned() &&
                    j["epoch"].get<std::size_t>() <= first_epoch)
                    kept += line + "\n";
            }
        }
        try {
            xg::write_file_atomic(path, kept);
        } catch (const std::exception& e) {
            die(program, std::string("--metrics: ") + e.what());
        }
        out_.open(path, std::ios::app);
        if (!out_) die(program, "--metrics: cannot append to " + path);
    }
    void add(const nlohmann::json& line) {
        if (path_.empty()) return;
        out_ << line.dump() << "\n";
        out_.flush();
    }

private:
    std::string path_;
    std::ofstream out_;
};

// A curve for plot(): its name and one value per epoch (NaN: no point).
struct Series {
    std::string title;
    std::vector<double> values;
};

// --plot FILE: the terminal gnuplot draws with, from the extension ("" if unsupported).
inline std::string plot_terminal(const std::string& path) {
    const std::string ext = std::filesystem::path(path).extension().string();
    if (ext == ".svg") return "svg size 720,440 dynamic font 'sans,12'";
    if (ext == ".png") return "pngcairo size 720,440 font 'sans,11'";
    return "";
}

// Checked up front, before any training: the extension, gnuplot, the folder.
inline void check_plot_target(const std::string& program, const std::string& path) {
    if (path.empty()) return;
    if (plot_terminal(path).empty()) die(program, "--plot " + path + ": the file must end in .svg or .png");
    if (path.find('\'') != std::string::npos) die(program, "--plot " + path + ": a path with a quote is not supported");
    if (std::system("gnuplot --version > /dev/null 2>&1") != 0)
        die(program, "--plot needs gnuplot (Debian: apt-get install gnuplot-nox)");
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir)) die(program, "--plot " + path + ": no folder " + dir.string());
}

// The training curve, as d2l's Animator draws it: every series against epoch 1..n, drawn by
// gnuplot into a hidden sibling file that is then renamed over path (readers never see half).
inline void plot(const std::string& program, const std::string& path, const std::string& title, const std::string& ylabel,
                 const std::vector<Series>& series, bool log_y = false) {
    if (path.empty() || series.empty() || series[0].values.empty()) return;
    const std::filesystem::path target(path);
    const std::filesystem::path tmp = target.parent_path() / (xg::hidden_sibling_name(target, ".plot") + target.extension().string());
    std::ostringstream g;
    g << "set terminal " << plot_terminal(path) << "\nset output '" << tmp.string() << "'\n"
      << "set title '" << title << "'\nset xlabel 'epoch'\nset ylabel '" << ylabel << "'\n"
      << "set grid\nset key top right\nset xrange [1:" << std::max<std::size_t>(2, series[0].values.size()) << "]\n"
      << (series[0].values.size() <= 20 ? "set xtics 1\n" : "") << (log_y ? "set logscale y\n" : "");
    for (std::size_t k = 0; k < series.size(); ++k) {
        g << "$s" << k << " << EOD\n";
        for (std::size_t e = 0; e < series[k].values.size(); ++e)
            if (std::isfinite(series[k].values[e])) g << e + 1 << ' ' << series[k].values[e] << '\n';
        g << "EOD\n";
    }
    g << "plot ";
    for (std::size_t k = 0; k < series.size(); ++k)
        g << (k ? ", " : "") << "$s" << k << " with linespoints pt 7 ps 0.5 lw 2 title '" << series[k].title << "'";
    g << "\nunset output\n";
    const std::string script = xg::hidden_sibling_name(target, ".gp");
    const std::filesystem::path script_path = std::filesystem::temp_directory_path() / script;
    xg::write_file_atomic(script_path.string(), g.str());
    const std::string cmd = "gnuplot '" + script_path.string() + "' > /dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    std::filesystem::remove(script_path);
    std::error_code ec;
    if (status != 0 || !std::filesystem::exists(tmp)) {
        std::filesystem::remove(tmp, ec);
        die(program, "--plot: gnuplot could not draw " + path);
    }
    std::filesystem::rename(tmp, target, ec);
    if (ec) die(program, "--plot: cannot write " + path + " (" + ec.message() + ")");
}
// The memory figures of the JSON result line: the process's peak RSS, and the peak of
// xgrad's kernel workspace (saved activations and scratch), as torch.cuda.max_memory_allocated.
inline nlohmann::json memory_figures() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const xg::MemoryStats m = xg::memory_stats();
    return {{"peak_rss_bytes", std::size_t(usage.ru_maxrss) * 1024},
            {"peak_workspace_bytes", m.peak_in_use_bytes},
            {"peak_workspace_reserved_bytes", m.peak_reserved_bytes}};
}

// ---- a training run -----------------------------------------------------------------

// Everything a train() does around its epoch loop that is not the model's: resuming from
// a checkpoint, the files only rank 0 writes (checkpoint, metrics, plot), the clocks, the
// epoch progress bar and the --json line. Built from an example's Options (epochs, json,
// resume, save, metrics, plot).
class Run {
public:
    template <class Options>
    Run(std::string program, const Options& o)
        : program_(std::move(program)), epochs_(o.epochs), json_(o.json), resume_(o.resume), save_(o.save),
          metrics_path_(o.metrics), plot_path_(o.plot) {}

    bool resuming() const { return !resume_.empty(); }
    const std::string& resume_path() const { return resume_; }
    const std::string& save_path() const { return save_; }
    const nlohmann::json& meta() const { return meta_; }  // the resumed checkpoint's checkpoint.json
    std::size_t first_epoch() const { return first_epoch_; }
    double seconds() const { return total_.seconds(); }

    // --resume: read(meta) takes the settings from checkpoint.json and returns the epochs it
    // has trained; check() puts them through the flags' checks. Any failure exits with one line.
    template <class Read, class Check>
    void resume(Read&& read, Check&& check) {
        meta_ = xg::optim::read_checkpoint_meta(resume_);
        first_epoch_ = read_meta(program_, resume_, meta_, read);
        check_saved_settings(program_, resume_, check);
        if (first_epoch_ >= epochs_)
            die(program_, resume_ + " has trained " + std::to_string(first_epoch_) +
                              " epochs already; --epochs is the total, so ask for more");
    }

    // Rank 0 writes the files; their targets are checked now, not after the training.
    void check_outputs() {
        if (xg::distributed::rank() != 0) save_.clear(), metrics_path_.clear(), plot_path_.clear();
        if (!save_.empty()) xg::optim::check_checkpoint_target(save_);
        check_plot_target(program_, plot_path_);
    }

    // Called once the checkpoint is loaded: its random stream, as an uninterrupted run would have it.
    void resumed() {
        xg::set_generator_state(meta_.at("generator"));
        std::printf("resumed %s at epoch %zu\n", resume_.c_str(), first_epoch_);
    }

    // Opens the metrics file and starts the clock; progress_bar: one bar over the epochs (an
    // example with a bar per epoch has none).
    void begin_epochs(bool progress_bar) {
        metrics_.emplace(program_, metrics_path_, first_epoch_);
        if (progress_bar) bar_.emplace("epoch", epochs_, first_epoch_);
        total_.restart();
    }
    void start_epoch() { epoch_clock_.restart(); }
    // The epoch's training is done (evaluation and reports not counted): returns its seconds.
    double end_training(std::size_t tokens, std::size_t examples = 0) {
        const double seconds = epoch_clock_.seconds();
        train_seconds_ += seconds, tokens_ += tokens, examples_ += examples;
        return seconds;
    }
    double tokens_per_s() const { return train_seconds_ > 0 ? double(tokens_) / train_seconds_ : 0.0; }
    double examples_per_s() const { return train_seconds_ > 0 ? double(examples_) / train_seconds_ : 0.0; }

    bool bar_shown() const { return bar_ && bar_->enabled(); }
    void show_progress(std::size_t epochs_done, const std::string& info) {
        if (bar_) bar_->update(epochs_done, info);
    }
    void clear_progress() {
        if (bar_) bar_->clear();
    }
    void end_epochs() {
        if (bar_) bar_->done();
    }

    void log(const nlohmann::json& line) { metrics_->add(line); }
    void plot(const std::string& title, const std::string& ylabel, const std::vector<Series>& series, bool log_y = false) {
        support::plot(program_, plot_path_, title, ylabel, series, log_y);
    }
    // --save: the weights, the optimizer (and schedule), the vocabulary and meta, to which the
    // program's name and the random stream are added.
    void save(const xg::nn::Module& model, const xg::optim::Optimizer& optimizer, nlohmann::json meta,
              const xg::data::Vocab& vocab, const xg::optim::ScheduleState* schedule = nullptr) {
        if (save_.empty()) return;
        meta["program"] = program_, meta["generator"] = xg::generator_state();
        const auto save_vocab = [&](const std::string& dir) { vocab.save(dir + "/vocab.json"); };
        xg::optim::save_checkpoint(save_, model, optimizer, meta, save_vocab, schedule);
    }

    // --json: the example's figures, then the run's (epochs, ranks, time in all-reduce, seconds, memory).
    void print_json(nlohmann::json r, const xg::distributed::DistributedDataParallel& ddp) const {
        if (!json_) return;
        r["epochs"] = epochs_, r["ranks"] = xg::distributed::world_size(), r["seconds"] = total_.seconds();
        r["allreduce_fraction"] = train_seconds_ > 0 ? ddp.sync_seconds() / train_seconds_ : 0.0;
        r.update(memory_figures());
        std::cout << r.dump() << std::endl;
    }

private:
    std::string program_;
    std::size_t epochs_;
    bool json_;
    std::string resume_, save_, metrics_path_, plot_path_;
    nlohmann::json meta_;
    std::size_t first_epoch_ = 0;
    std::optional<MetricsLog> metrics_;
    std::optional<Progress> bar_;
    Clock total_, epoch_clock_;
    double train_seconds_ = 0;
    std::size_t tokens_ = 0, examples_ = 0;
};

// Both examples' main(): one rank per process under mpirun, the flags (--help prints and
// exits 0, a bad flag one line and 2), then command(flags); an error there is one line,
// out of memory the line out_of_memory (which flags make the model smaller).
template <class Parse, class Command>
int main(int argc, char** argv, const std::string& program, const std::string& out_of_memory, Parse&& parse,
         Command&& command) {
    xg::distributed::Environment env(argc, argv);
    xg::tune_malloc_for_training();  // big arrays every batch: keep freed ones in the heap
    decltype(parse(argc, argv)) flags;
    try {
        flags = parse(argc, argv);
    } catch (const FlagError& e) {
        die(program, e.what());
    }
    if (!flags.help.empty()) {
        std::cout << flags.help;
        return 0;
    }
    try {
        return command(flags);
    } catch (const std::bad_alloc&) {
        die(program, out_of_memory);
    } catch (const std::exception& e) {
        die(program, e.what());
    }
}

}  // namespace support

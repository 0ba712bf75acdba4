// The d2l "time machine" character language model (Dive into Deep Learning, chapters 9-10),
// in C++: an LSTM (or GRU, RNN, LSTM with projection, or an LSTM written from scratch
// with its own parameters) reads H. G. Wells' The Time Machine one character at a time
// and learns to predict the next one. With d2l's defaults — batch 32, 35 steps, hidden
// 256, SGD lr 1, gradient clipping 1, the first 10,000 characters, 500 epochs, sequential
// batches with the state carried (and detached) between them — perplexity falls to
// about 1.0 and "time traveller" continues with real words.
//
//   build/examples/time_machine                        train with d2l's defaults
//   build/examples/time_machine --model scratch --epochs 100
//   build/examples/time_machine --save tm.ckpt         ... then resume or sample:
//   build/examples/time_machine --resume tm.ckpt --epochs 600
//   build/examples/time_machine generate --checkpoint tm.ckpt --prefix "the time" --length 100
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <random>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <xtensor/xmanipulation.hpp>

#include <xgrad.hpp>

#include "support.hpp"
#include "time_machine_flags.hpp"

namespace po = boost::program_options;
using xg::Tensor;
using State = std::vector<Tensor>;  // (h) or (h, c), each (layers * directions, B, H)

// ---- the models --------------------------------------------------------------------

// A character model: token ids X (B, T) and a state in, logits (T * B, V) and the next state out.
struct LanguageModel : xg::nn::Module {
    virtual std::pair<Tensor, State> forward(const xg::IndexArray& X, const State& state) = 0;
    virtual State begin_state(std::size_t batch_size) const = 0;
};

// X (B, T) -> one-hot inputs (T, B, V), time-major as the recurrent layers want them.
Tensor one_hot_inputs(const xg::IndexArray& X, std::size_t vocab_size) {
    xg::IndexArray xt_ids = xt::transpose(X);
    return xg::one_hot(xt_ids, vocab_size);
}

// d2l's RNNModel: a recurrent layer from xg::nn, then a Linear to the vocabulary.
struct RNNModel : LanguageModel {
    std::shared_ptr<xg::nn::RNNBase> rnn;                     // LSTM, GRU or RNN: one forward for all
    std::shared_ptr<xg::nn::LSTMVariantBaseT<float>> variant;  // or LayerNormLSTM, PeepholeLSTM
    std::shared_ptr<xg::nn::Linear> linear;
    std::size_t vocab_size, state_rows, hidden, hidden_out;
    bool lstm;

    RNNModel(const ModelSpec& s, std::size_t V)
        : vocab_size(V), state_rows(s.layers), hidden(s.hidden), hidden_out(s.proj ? s.proj : s.hidden),
          lstm(s.kind != "gru" && s.kind != "rnn") {
        const long I = long(V), Hl = long(s.hidden), L = long(s.layers);
        const auto variant_options = xg::nn::LSTMVariantOptions(I, Hl, L).zoneout_h(s.zoneout).zoneout_c(s.zoneout).weight_drop(s.weight_drop);
        if (s.kind == "lnlstm")
            variant = std::make_shared<xg::nn::LayerNormLSTM>(variant_options);
        else if (s.kind == "peephole")
            variant = std::make_shared<xg::nn::PeepholeLSTM>(variant_options);
        else if (lstm)
            rnn = std::make_shared<xg::nn::LSTM>(xg::nn::LSTMOptions(I, Hl).num_layers(L).proj_size(long(s.proj)));
        else if (s.kind == "gru")
            rnn = std::make_shared<xg::nn::GRU>(xg::nn::GRUOptions(I, Hl).num_layers(L));
        else
            rnn = std::make_shared<xg::nn::RNN>(xg::nn::RNNOptions(I, Hl).num_layers(L));
        if (variant) register_module("rnn", variant);
        else register_module("rnn", rnn);
        linear = register_module("linear", std::make_shared<xg::nn::Linear>(xg::nn::LinearOptions(long(hidden_out), I)));
    }

    std::pair<Tensor, State> forward(const xg::IndexArray& X, const State& state) override {
        const Tensor inputs = one_hot_inputs(X, vocab_size);
        const xg::nn::RecurrentState given{state[0], lstm ? state[1] : Tensor()};
        auto [Y, next] = variant ? variant->forward(inputs, given) : rnn->forward(inputs, given);
        const State carried = lstm ? State{next.h, next.c} : State{next.h};
        return {linear->forward(xg::reshape(Y, {-1L, long(hidden_out)})), carried};  // (T * B, V)
    }

    State begin_state(std::size_t B) const override {
        if (lstm) return {xg::zeros({state_rows, B, hidden_out}), xg::zeros({state_rows, B, hidden})};
        return {xg::zeros({state_rows, B, hidden})};
    }
};

// d2l's LSTM from scratch (section 10.1.2): its own parameters, the gates written with
// matmul, sigmoid and tanh, one time step after another.
struct ScratchLSTM : LanguageModel {
    Tensor W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q;
    std::size_t vocab_size, hidden;

    ScratchLSTM(std::size_t V, std::size_t H) : vocab_size(V), hidden(H) {
        auto normal = [&](const char* name, xg::Shape s) { return register_parameter(name, xg::randn(s) * 0.01f); };
        auto zeros = [&](const char* name, std::size_t n) { return register_parameter(name, xg::zeros({n})); };
        W_xi = normal("W_xi", {V, H}), W_hi = normal("W_hi", {H, H}), b_i = zeros("b_i", H);  // input gate
        W_xf = normal("W_xf", {V, H}), W_hf = normal("W_hf", {H, H}), b_f = zeros("b_f", H);  // forget gate
        W_xo = normal("W_xo", {V, H}), W_ho = normal("W_ho", {H, H}), b_o = zeros("b_o", H);  // output gate
        W_xc = normal("W_xc", {V, H}), W_hc = normal("W_hc", {H, H}), b_c = zeros("b_c", H);  // candidate cell
        W_hq = normal("W_hq", {H, V}), b_q = zeros("b_q", V);                                  // output layer
    }

    std::pair<Tensor, State> forward(const xg::IndexArray& X, const State& state) override {
        Tensor inputs = one_hot_inputs(X, vocab_size);  // (T, B, V)
        Tensor H = state[0], C = state[1];
        std::vector<Tensor> outputs;
        for (std::size_t t = 0; t < inputs.size(0); ++t) {
            Tensor x = xg::select(inputs, 0, long(t));
            Tensor I = xg::sigmoid(xg::matmul(x, W_xi) + xg::matmul(H, W_hi) + b_i);
            Tensor F = xg::sigmoid(xg::matmul(x, W_xf) + xg::matmul(H, W_hf) + b_f);
            Tensor O = xg::sigmoid(xg::matmul(x, W_xo) + xg::matmul(H, W_ho) + b_o);
            Tensor C_tilda = xg::tanh(xg::matmul(x, W_xc) + xg::matmul(H, W_hc) + b_c);
            C = F * C + I * C_tilda;
            H = O * xg::tanh(C);
            outputs.push_back(xg::matmul(H, W_hq) + b_q);
        }
        return {xg::cat(outputs, 0), {H, C}};
    }

    State begin_state(std::size_t B) const override { return {xg::zeros({B, hidden}), xg::zeros({B, hidden})}; }
};

std::unique_ptr<LanguageModel> make_model(const ModelSpec& s, std::size_t V) {
    if (s.kind == "scratch") return std::make_unique<ScratchLSTM>(V, s.hidden);
    return std::make_unique<RNNModel>(s, V);
}

// ---- sampling -----------------------------------------------------------------------

// d2l's predict_ch8: warm the state up on the prefix, then append num_preds characters,
// each the most likely one (temperature 0) or drawn from softmax(logits / temperature).
std::string predict(const std::string& prefix, std::size_t num_preds, LanguageModel& net, const xg::data::Vocab& vocab,
                    double temperature = 0.0) {
    xg::NoGradGuard no_grad;
    const bool was_training = net.is_training();
    net.eval();
    std::string text = xg::data::preprocess_time_machine_line(prefix);  // the corpus' cleaning: letters, lower case
    if (text.empty()) text = " ";
    State state = net.begin_state(1);
    std::vector<std::int64_t> out = {vocab[std::string(1, text[0])]};
    auto step = [&](std::int64_t id) {
        xg::IndexArray X = xg::IndexArray::from_shape({1, 1});
        X(0, 0) = id;
        auto [logits, next] = net.forward(X, state);
        state = next;
        return logits;
    };
    for (std::size_t i = 1; i < text.size(); ++i) {
        step(out.back());
        out.push_back(vocab[std::string(1, text[i])]);
    }
    for (std::size_t k = 0; k < num_preds; ++k) {
        Tensor logits = step(out.back());
        if (temperature <= 0) {
            out.push_back(xg::argmax(logits, 1)(0));
        } else {
            // exp((l - max) / T) in double: the most likely character gets weight 1, so a
            // tiny T tends to greedy instead of overflowing to inf / NaN weights
            const auto& l = logits.value();
            const double top = xt::amax(l)();
            std::vector<double> w(l.size());
            for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::exp((double(l.flat(i)) - top) / temperature);
            std::discrete_distribution<std::int64_t> pick(w.begin(), w.end());
            out.push_back(pick(xg::generator()));
        }
    }
    net.train(was_training);
    std::string s;
    for (auto id : out) s += vocab.token(id);
    return s;
}

// ---- training ----------------------------------------------------------------------

// d2l's train_epoch_ch8: one pass over the corpus. The state is carried from batch to
// batch (detached: truncated BPTT), or started afresh for random batches. Returns the
// summed loss and the number of tokens it covers.
std::pair<double, std::size_t> train_epoch(LanguageModel& net, xg::data::SeqDataLoader& loader, xg::optim::SGD& sgd,
                                           double clip, bool random_iter) {
    double loss_sum = 0;
    std::size_t tokens = 0;
    State state;
    for (const auto& [X, Y] : loader.epoch()) {
        if (state.empty() || random_iter) {
            state = net.begin_state(X.shape()[0]);
        } else {
            for (auto& s : state) s = s.detach();  // keep the values, cut the history
        }
        auto [logits, next] = net.forward(X, state);
        state = next;
        xg::IndexArray y = xt::transpose(Y);  // time-major, as the logits
        y.reshape({y.size()});
        Tensor loss = xg::cross_entropy(logits, y);
        sgd.zero_grad();
        loss.backward();
        xg::optim::clip_grad_norm(net.parameters(), clip);
        sgd.step();
        loss_sum += double(loss.item()) * double(y.size());
        tokens += y.size();
    }
    return {loss_sum, tokens};
}

// What a checkpoint fixes, keyed by flag name: the model's shape, the batches, clipping.
// (--lr may change when resuming; the optimizer's state keeps it otherwise.)
nlohmann::json settings_json(const Options& o) {
    return {{"model", o.spec.kind},        {"hidden", o.spec.hidden},       {"layers", o.spec.layers},
            {"proj", o.spec.proj},         {"zoneout", o.spec.zoneout},     {"weight-drop", o.spec.weight_drop},
            {"batch-size", o.batch_size},  {"num-steps", o.num_steps},
            {"max-tokens", o.max_tokens},  {"random-iter", o.random_iter}, {"clip", o.clip},
            {"seed", o.seed}};
}
void apply_settings(Options& o, const nlohmann::json& s) {
    using support::read_saved;
    read_saved(s, "model", o.spec.kind), read_saved(s, "hidden", o.spec.hidden);
    read_saved(s, "layers", o.spec.layers), read_saved(s, "proj", o.spec.proj);
    o.spec.zoneout = o.spec.weight_drop = 0;  // older checkpoints have neither
    if (s.contains("zoneout")) read_saved(s, "zoneout", o.spec.zoneout);
    if (s.contains("weight-drop")) read_saved(s, "weight-drop", o.spec.weight_drop);
    read_saved(s, "batch-size", o.batch_size), read_saved(s, "num-steps", o.num_steps);
    read_saved(s, "max-tokens", o.max_tokens), read_saved(s, "random-iter", o.random_iter);
    read_saved(s, "clip", o.clip), read_saved(s, "seed", o.seed);
}
// --resume: the settings from the checkpoint's meta m (a flag typed now must agree with them);
// returns the epochs it has trained.
std::size_t take_saved_settings(Options& o, const po::variables_map& given, const nlohmann::json& m) {
    support::check_resume_flags("time_machine", given, settings_json(o), m.at("settings"));
    apply_settings(o, m.at("settings"));
    std::size_t epochs_done = 0;
    support::read_saved(m, "epoch", epochs_done);
    (void)m.at("generator"), (void)m.at("history");  // present, so the load below cannot fail halfway
    return epochs_done;
}

// --resume, once the model and optimizer are built: their state, the perplexities so far and the
// random stream. A typed --lr replaces the checkpoint's.
void load_resumed(support::Run& run, LanguageModel& net, xg::optim::SGD& sgd, std::vector<double>& history, double lr,
                  const po::variables_map& given) {
    xg::optim::load_checkpoint(run.resume_path(), net, &sgd);
    history = run.meta().at("history").get<std::vector<double>>();
    if (support::given(given, "lr")) sgd.set_lr(lr);
    run.resumed();
}

// The corpus in batches; each rank reads batch_size / N rows of every batch. A resumed run
// must see the vocabulary it was trained on.
xg::data::SeqDataLoader load_corpus(const Options& o, const support::Run& run) {
    namespace dist = xg::distributed;
    xg::data::SeqDataLoader loader(o.data, o.batch_size, o.num_steps, o.random_iter, o.max_tokens);
    if (o.batch_size % std::size_t(dist::world_size()) != 0)
        support::die("time_machine", "--batch-size " + std::to_string(o.batch_size) + " does not split over " +
                                         std::to_string(dist::world_size()) + " ranks; use a multiple of it");
    loader.shard(dist::shard());
    if (run.resuming() &&
        xg::data::Vocab::load(run.resume_path() + "/vocab.json").idx_to_token() != loader.vocab().idx_to_token())
        support::die("time_machine", o.data + " gives another vocabulary than the one " + run.resume_path() +
                                         " was trained on; resume with the same --data");
    return loader;
}

void print_setup(const LanguageModel& net, const xg::data::SeqDataLoader& loader, const Options& o,
                 const xg::distributed::DistributedDataParallel& ddp) {
    namespace dist = xg::distributed;
    std::printf("%s\n%zu parameters, vocabulary %zu, %zu tokens, %zu batches of %zu x %zu per epoch, %d threads\n",
                net.repr().c_str(), net.num_parameters(), loader.vocab().size(), loader.corpus().size(), loader.num_batches(),
                o.batch_size, o.num_steps, xg::get_num_threads());
    if (dist::world_size() > 1)
        std::printf("data parallel: %d ranks of %zu x %zu, %d threads each, %zu gradient buckets\n", dist::world_size(),
                    o.batch_size / std::size_t(dist::world_size()), o.num_steps, xg::get_num_threads(), ddp.buckets().size());
}

// Under mpirun, every rank's loss and tokens: the perplexity of the global batch.
std::pair<double, std::size_t> sum_over_ranks(std::pair<double, std::size_t> epoch) {
    if (xg::distributed::world_size() == 1) return epoch;
    return {xg::distributed::all_reduce(epoch.first), std::size_t(xg::distributed::all_reduce(double(epoch.second)))};
}

// The last samples printed, for --json.
struct Samples {
    std::string time_traveller, traveller;
};

// The progress bar every epoch; every --sample-every epochs and at the end, samples, the plot
// and the checkpoint; without a bar, a line every 10 epochs.
void report_epoch(support::Run& run, std::size_t epochs_done, const Options& o, double ppl, LanguageModel& net,
                  const xg::data::Vocab& vocab, const std::vector<double>& history, Samples& samples,
                  const std::function<void()>& save) {
    char info[96];
    std::snprintf(info, sizeof info, "perplexity %.2f  %.1fk tokens/s", ppl, run.tokens_per_s() / 1000);
    run.show_progress(epochs_done, info);
    if (epochs_done % o.sample_every == 0 || epochs_done == o.epochs) {
        run.clear_progress();
        samples = {predict("time traveller", 50, net, vocab), predict("traveller", 50, net, vocab)};
        std::printf("epoch %zu: perplexity %.2f, %.0f tokens/s\n  %s\n  %s\n", epochs_done, ppl, run.tokens_per_s(),
                    samples.time_traveller.c_str(), samples.traveller.c_str());
        std::fflush(stdout);
        run.plot("time machine, " + o.spec.kind + ": training perplexity", "perplexity", {{"train", history}}, /*log_y=*/true);
        save();
    } else if (!run.bar_shown() && epochs_done % 10 == 0) {
        std::printf("epoch %zu: perplexity %.2f, %.0f tokens/s\n", epochs_done, ppl, run.tokens_per_s());
    }
}

void report(support::Run& run, const Options& o, double ppl, const Samples& samples,
            const xg::distributed::DistributedDataParallel& ddp) {
    std::printf("perplexity %.2f, %.0f tokens/s (%s, %.1f s)\n", ppl, run.tokens_per_s(), o.spec.kind.c_str(), run.seconds());
    if (!run.save_path().empty()) std::printf("saved %s\n", run.save_path().c_str());  // by the last epoch
    run.print_json({{"model", o.spec.kind},
                    {"perplexity", ppl},
                    {"tokens_per_s", run.tokens_per_s()},
                    {"threads", xg::get_num_threads()},
                    {"sample", samples.time_traveller},
                    {"sample_traveller", samples.traveller}},
                   ddp);
}

int train(Options o, const po::variables_map& given) {
    xg::manual_seed(o.seed);
    support::start_rank(o.threads, o.flush_denormal);
    support::Run run("time_machine", o);
    if (run.resuming()) run.resume([&](const auto& m) { return take_saved_settings(o, given, m); }, [&] { check_settings(o); });
    run.check_outputs();
    xg::detect_anomaly(o.detect_anomaly);
    auto loader = load_corpus(o, run);
    const auto& vocab = loader.vocab();
    auto net = make_model(o.spec, vocab.size());
    xg::optim::SGD sgd(net->parameters(), xg::optim::SGDOptions(o.lr));
    std::vector<double> history;  // the perplexity of every epoch, a resumed run's earlier ones too
    if (run.resuming()) load_resumed(run, *net, sgd, history, o.lr, given);
    xg::distributed::DistributedDataParallel ddp(*net);  // under mpirun: gradients averaged in backward()
    print_setup(*net, loader, o, ddp);

    run.begin_epochs(/*progress_bar=*/true);
    double ppl = 0;
    Samples samples;
    for (std::size_t epoch = run.first_epoch(); epoch < o.epochs; ++epoch) {
        run.start_epoch();
        auto [loss_sum, tokens] = sum_over_ranks(train_epoch(*net, loader, sgd, o.clip, o.random_iter));
        ppl = std::exp(loss_sum / double(tokens));
        history.push_back(ppl);
        const double seconds = run.end_training(tokens);
        run.log({{"epoch", epoch + 1}, {"lr", sgd.lr()}, {"loss", loss_sum / double(tokens)}, {"perplexity", ppl},
                 {"tokens_per_s", double(tokens) / seconds}, {"seconds", seconds}});
        report_epoch(run, epoch + 1, o, ppl, *net, vocab, history, samples, [&] {
            const nlohmann::json meta = {{"settings", settings_json(o)}, {"epoch", epoch + 1}, {"lr", sgd.lr()}, {"history", history}};
            run.save(*net, sgd, meta, vocab);
        });
    }
    run.end_epochs();
    report(run, o, ppl, samples, ddp);
    return 0;
}

int generate(const std::string& checkpoint, const std::string& prefix, std::size_t length, double temperature,
             std::uint64_t seed) {
    const Options saved = support::saved_settings<Options>("time_machine", checkpoint);
    const auto vocab = xg::data::Vocab::load(checkpoint + "/vocab.json");
    auto net = make_model(saved.spec, vocab.size());
    xg::optim::load_checkpoint(checkpoint, *net);
    xg::manual_seed(seed);
    std::printf("%s\n", predict(prefix, length, *net, vocab, temperature).c_str());
    return 0;
}

int main(int argc, char** argv) {
    const char* out_of_memory = "out of memory: the model or the batches are too large (--hidden, --layers, --batch-size)";
    return support::main(argc, argv, "time_machine", out_of_memory, parse_flags, [](const Flags& f) {
        if (f.command == "generate") return generate(f.checkpoint, f.prefix, f.length, f.temperature, f.o.seed);
        return train(f.o, f.vm);
    });
}

// Sentiment of movie reviews (IMDB, aclImdb) with a bidirectional LSTM — d2l's
// "Sentiment Analysis: Using Recurrent Neural Networks" in C++, with embeddings learned
// from scratch. Reviews are split into words, mapped to ids (vocabulary of words seen 5+
// times in training), cut to 500 words, and batched with reviews of similar length; the
// recurrent layers get each review's true length, so padding costs nothing.
//
//   model birnn (default, d2l's BiRNN): Embedding(V, 100) -> 2-layer bidirectional
//       LSTM(100) -> [output at the first step, output at the last step] -> Linear(400, 2)
//   model pool: the same encoder -> [mean, max] of the outputs over each review's words
//       -> Linear(400, 2); every word reaches the decoder directly, not through two states
//   model last (the LSTM-classifier tutorials): Embedding -> 2-layer LSTM -> the last
//       step's output -> Linear(H, 1) -> sigmoid
//
//   build/examples/imdb_sentiment                          the bundled 800-review sample
//   build/examples/imdb_sentiment --data ~/aclImdb         the full 25,000 / 25,000
//   build/examples/imdb_sentiment --save imdb.ckpt ...
//   build/examples/imdb_sentiment predict --checkpoint imdb.ckpt "a moving, brilliant film"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <span>

#ifdef __GLIBC__
#include <malloc.h>  // malloc_trim
#endif

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <xgrad.hpp>

#include "imdb_sentiment_flags.hpp"
#include "support.hpp"

namespace po = boost::program_options;
using xg::Tensor;

// ---- the models ----------------------------------------------------------------------

// Token ids (B, T) and true lengths in; logits out: (B, 2) for birnn, (B, 1) for last.
struct SentimentModel : xg::nn::Module {
    ModelSpec spec;
    xg::nn::Embedding embedding;
    xg::nn::LSTM encoder;
    xg::nn::Linear decoder;
    xg::nn::Dropout drop;

    SentimentModel(const ModelSpec& s, std::size_t vocab_size, std::int64_t pad)
        : spec(s),
          embedding(xg::nn::EmbeddingOptions(long(vocab_size), long(s.embed)).padding_idx(pad)),
          encoder(xg::nn::LSTMOptions(long(s.embed), long(s.hidden))
                      .num_layers(long(s.layers))
                      .bidirectional(s.kind != "last")
                      .dropout(s.dropout)),
          decoder(xg::nn::LinearOptions(s.kind == "last" ? long(s.hidden) : 4 * long(s.hidden), s.kind == "last" ? 1 : 2)),
          drop(s.dropout) {
        register_module("embedding", embedding);
        register_module("encoder", encoder);
        register_module("decoder", decoder);
        register_module("dropout", drop);  // so train() / eval() reach it
    }

    Tensor forward(const xg::IndexArray& tokens, const std::vector<std::size_t>& lengths) {
        const std::size_t B = tokens.shape()[0];
        xg::IndexArray time_major = xt::transpose(tokens);
        Tensor x = drop.forward(embedding.forward(time_major));  // (T, B, E)
        auto [out, state] = encoder.forward(x, {}, lengths);    // (T, B, D*H), zeros after each review's end
        if (spec.kind == "pool") return decoder.forward(drop.forward(pool(out, lengths)));
        // each review's last true step, t = len - 1: out.gather(0, last) as in PyTorch, (1, B, D*H)
        const std::size_t width = out.size(2);
        xg::IndexArray last = xg::IndexArray::from_shape({1, B, width});
        for (std::size_t b = 0; b < B; ++b) std::fill_n(&last(0, b, 0), width, std::int64_t(lengths[b] - 1));
        Tensor at_end = xg::select(xg::gather(out, 0, last), 0, 0);  // (B, D*H)
        Tensor encoding = spec.kind == "birnn" ? xg::cat(std::vector<Tensor>{xg::select(out, 0, 0), at_end}, 1) : at_end;
        return decoder.forward(drop.forward(encoding));
    }

    // (T, B, D*H) outputs, zero after each review's end -> (B, 2*D*H): [mean, max] over its words.
    static Tensor pool(const Tensor& out, const std::vector<std::size_t>& lengths) {
        const std::size_t T = out.size(0), B = out.size(1);
        Tensor inv_length = xg::zeros({B, 1}), pad = xg::zeros({T, B, 1});
        for (std::size_t b = 0; b < B; ++b) {
            inv_length.value()(b, 0) = 1.0f / float(lengths[b]);
            // outputs lie in (-1, 1): -2 after the end keeps the max inside the review
            for (std::size_t t = lengths[b]; t < T; ++t) pad.value()(t, b, 0) = -2.0f;
        }
        Tensor mean = xg::sum(out, 0) * inv_length;
        Tensor max = xg::max(out + pad, 0);
        return xg::cat(std::vector<Tensor>{mean, max}, 1);
    }
};

// Probability of "positive" for each row of logits.
std::vector<float> positive_probability(const Tensor& logits) {
    std::vector<float> p(logits.size(0));
    const bool binary = logits.size(1) == 1;
    Tensor probs = binary ? xg::sigmoid(logits) : xg::softmax(logits, 1);
    for (std::size_t b = 0; b < p.size(); ++b) p[b] = binary ? probs.value()(b, 0) : probs.value()(b, 1);
    return p;
}

Tensor loss_of(const Tensor& logits, const xg::IndexArray& labels) {
    if (logits.size(1) == 2) return xg::cross_entropy(logits, labels);
    xg::Tensor y = xg::zeros({labels.size(), 1});
    for (std::size_t b = 0; b < labels.size(); ++b) y.value()(b, 0) = float(labels(b));
    return xg::binary_cross_entropy_with_logits(logits, y);
}

// ---- data ------------------------------------------------------------------------------

xg::data::WordTokenizer make_tokenizer(const std::string& name) {
    if (name == "clean") return xg::data::WordTokenizer(xg::data::WordTokenizerOptions::clean());
    return xg::data::WordTokenizer();  // d2l: lower case, split on whitespace
}

std::vector<xg::data::Review> load_split(const std::string& dir, const std::string& split, std::size_t limit,
                                         std::uint64_t seed) {
    auto reviews = xg::data::read_imdb(dir, split);
    if (limit > 0 && limit < reviews.size()) reviews = xg::data::take_balanced(reviews, limit, seed);
    return reviews;
}

// ---- evaluation -------------------------------------------------------------------------

struct Scores {
    double loss = 0;
    std::size_t n = 0, correct = 0, tokens = 0;
    std::size_t tp = 0, tn = 0, fp = 0, fn = 0;  // positive = 1
    double accuracy() const { return n ? double(correct) / double(n) : 0.0; }
    void add(const Tensor& logits, const xg::IndexArray& labels, float loss_value, const std::vector<std::size_t>& lengths) {
        const auto p = positive_probability(logits);
        for (std::size_t b = 0; b < p.size(); ++b) {
            const bool said = p[b] > 0.5f, truth = labels(b) == 1;
            correct += said == truth;
            tp += said && truth, tn += !said && !truth, fp += said && !truth, fn += !said && truth;
            tokens += lengths[b];
        }
        loss += double(loss_value) * double(p.size());
        n += p.size();
    }
};

// Under mpirun, the sums of every rank's scores.
void all_reduce(Scores& s) {
    if (xg::distributed::world_size() == 1) return;
    std::vector<double> v = {s.loss, double(s.n), double(s.correct), double(s.tokens),
                             double(s.tp),  double(s.tn), double(s.fp),      double(s.fn)};
    xg::distributed::all_reduce(std::span<double>(v));
    s.loss = v[0];
    std::size_t* counts[] = {&s.n, &s.correct, &s.tokens, &s.tp, &s.tn, &s.fp, &s.fn};
    for (std::size_t i = 0; i < 7; ++i) *counts[i] = std::size_t(v[i + 1]);
}

// Each rank scores its share of every batch; the scores are summed over the ranks.
Scores evaluate(SentimentModel& model, xg::data::BucketIterator& it) {
    xg::NoGradGuard no_grad;
    model.eval();
    Scores s;
    for (const auto& idx : it.plan_epoch()) {
        const auto b = it.batch(idx);
        if (b.size() == 0) continue;
        Tensor logits = model.forward(b.tokens, b.lengths);
        s.add(logits, b.labels, loss_of(logits, b.labels).item(), b.lengths);
    }
    model.train();
    all_reduce(s);
    return s;
}

// ---- training ---------------------------------------------------------------------------

// Per epoch, for the plot and the checkpoint: train loss and accuracy, test loss and accuracy.
// One epoch over the shuffled batches (d2l's train_ch13 inner loop), with a progress bar.
// Returns the scores of this rank's reviews.
Scores train_epoch(SentimentModel& model, xg::data::BucketIterator& it, xg::optim::Adam& adam, double clip,
                   xg::distributed::DistributedDataParallel& ddp, const std::string& label) {
    support::Clock clock;
    Scores scores;
    const auto plan = it.plan_epoch();
    support::Progress bar(label, plan.size());
    for (std::size_t k = 0; k < plan.size(); ++k) {
        const auto b = it.batch(plan[k]);
        adam.zero_grad();
        if (b.size() == 0) {  // this rank has no review of a tiny last batch: it still takes part
            ddp.synchronize();
        } else {
            Tensor logits = model.forward(b.tokens, b.lengths);
            Tensor loss = loss_of(logits, b.labels);
            // scaled so that the ranks' averaged gradients are those of the whole batch
            (b.loss_scale == 1.0 ? loss : loss * float(b.loss_scale)).backward();
            xg::NoGradGuard no_grad;  // the scores' softmax is no part of the graph
            scores.add(logits, b.labels, loss.item(), b.lengths);
        }
        if (clip > 0) xg::optim::clip_grad_norm(model.parameters(), clip);
        adam.step();
        char info[96];
        std::snprintf(info, sizeof info, "loss %.3f  acc %.3f  %.0f reviews/s", scores.loss / double(scores.n),
                      scores.accuracy(), double(scores.n) / clock.seconds());
        bar.update(k + 1, info);
    }
    bar.clear();
    return scores;
}

struct EpochScores {
    double loss, train_accuracy, test_loss, test_accuracy;
};
void to_json(nlohmann::json& j, const EpochScores& e) {
    j = {e.loss, e.train_accuracy, e.test_loss, e.test_accuracy};
}
void from_json(const nlohmann::json& j, EpochScores& e) {
    e = {j.at(0), j.at(1), j.at(2), j.at(3)};
}

// What a checkpoint fixes, keyed by flag name: the model, the vocabulary and the data order.
// "lr" is where the schedule started: it may change when resuming a constant schedule.
nlohmann::json settings_json(const Options& o) {
    return {{"model", o.spec.kind},     {"embed", o.spec.embed},   {"hidden", o.spec.hidden},
            {"layers", o.spec.layers},  {"dropout", o.spec.dropout}, {"num-steps", o.num_steps},
            {"tokenizer", o.tokenizer}, {"min-freq", o.min_freq},  {"batch-size", o.batch_size},
            {"limit", o.limit},         {"seed", o.seed},          {"schedule", o.schedule},
            {"clip", o.clip},           {"weight-decay", o.weight_decay}, {"lr", o.lr}};
}
void apply_settings(Options& o, const nlohmann::json& s) {
    using support::read_saved;
    read_saved(s, "model", o.spec.kind), read_saved(s, "embed", o.spec.embed), read_saved(s, "hidden", o.spec.hidden);
    read_saved(s, "layers", o.spec.layers), read_saved(s, "dropout", o.spec.dropout);
    read_saved(s, "num-steps", o.num_steps), read_saved(s, "tokenizer", o.tokenizer);
    read_saved(s, "min-freq", o.min_freq), read_saved(s, "batch-size", o.batch_size), read_saved(s, "limit", o.limit);
    read_saved(s, "seed", o.seed), read_saved(s, "schedule", o.schedule), read_saved(s, "clip", o.clip);
    read_saved(s, "weight-decay", o.weight_decay), read_saved(s, "lr", o.lr);
}
// Both labels, or a classifier learns nothing and its accuracy means nothing.
void check_split(const std::vector<xg::data::Review>& reviews, const std::string& dir, const char* split) {
    std::size_t positive = 0;
    for (const auto& r : reviews) positive += r.label == 1;
    if (reviews.empty()) support::die("imdb_sentiment", dir + "/" + split + " has no reviews");
    if (positive == 0 || positive == reviews.size())
        support::die("imdb_sentiment", dir + "/" + split + " has only " + (positive ? "positive" : "negative") + " reviews");
}

// --resume: the settings from the checkpoint's meta m (a flag typed now must agree with them,
// but a constant lr may change); returns the epochs it has trained.
std::size_t take_saved_settings(Options& o, const po::variables_map& given, const nlohmann::json& m,
                                std::size_t& schedule_epochs) {
    const nlohmann::json& saved = m.at("settings");
    nlohmann::json mine = settings_json(o);
    if (saved.at("schedule") != "cosine") mine.erase("lr");
    support::check_resume_flags("imdb_sentiment", given, mine, saved);
    const double typed_lr = o.lr;
    apply_settings(o, saved);
    if (support::given(given, "lr")) o.lr = typed_lr;
    std::size_t epochs_done = 0;
    support::read_saved(m, "epoch", epochs_done);
    support::read_saved(m, "schedule-epochs", schedule_epochs);
    (void)m.at("generator");
    if (m.contains("history")) (void)m.at("history").get<std::vector<EpochScores>>();  // checked before anything loads
    return epochs_done;
}

// A resumed cosine schedule ends where it was planned to: --epochs cannot go past it.
void check_schedule(const Options& o, std::size_t schedule_epochs) {
    if (schedule_epochs == 0 || schedule_epochs > std::size_t(std::numeric_limits<std::int64_t>::max()))
        support::die("imdb_sentiment", o.resume + "/checkpoint.json: schedule-epochs " + std::to_string(schedule_epochs) +
                                           " is not a positive epoch count");
    if (o.schedule == "cosine" && o.epochs > schedule_epochs)
        support::die("imdb_sentiment", o.resume + " follows a cosine schedule that ends at epoch " +
                                           std::to_string(schedule_epochs) + "; --epochs cannot go past it");
}

// The settings of a run: the flags', or a resumed run's from its checkpoint. Returns the epochs a
// cosine schedule spans (fixed when the run first started).
std::size_t resume_settings(support::Run& run, Options& o, const po::variables_map& given) {
    std::size_t schedule_epochs = o.epochs;
    if (!run.resuming()) return schedule_epochs;
    run.resume([&](const auto& m) { return take_saved_settings(o, given, m, schedule_epochs); }, [&] { check_settings(o); });
    check_schedule(o, schedule_epochs);
    return schedule_epochs;
}

// cosine: the lr falls from --lr to 0 along a half cosine over the epochs, stepped after each;
// constant: none.
std::unique_ptr<xg::optim::LRScheduler> make_schedule(const std::string& kind, xg::optim::Adam& adam, std::size_t epochs) {
    if (kind == "cosine") return std::make_unique<xg::optim::CosineAnnealingLR>(adam, std::int64_t(epochs));
    return nullptr;
}

// --resume, once the model, optimizer and schedule are built: their state, the scores so far,
// the batch order and random stream the run would have had. A constant lr may change.
void load_resumed(support::Run& run, SentimentModel& model, xg::optim::Adam& adam, xg::optim::LRScheduler* schedule,
                  xg::data::BucketIterator& train_it, std::vector<EpochScores>& history, const Options& o,
                  const po::variables_map& given) {
    if (run.meta().contains("history")) history = run.meta().at("history").get<std::vector<EpochScores>>();
    xg::optim::load_checkpoint(run.resume_path(), model, &adam, schedule);
    if (o.schedule == "constant" && support::given(given, "lr")) adam.set_lr(o.lr);
    for (std::size_t e = 0; e < run.first_epoch(); ++e) train_it.plan_epoch();
    run.resumed();
}

// The reviews, tokenized and encoded with the vocabulary (built from the training split, or a
// resumed run's), in length buckets; each rank reads its share of every batch.
struct Data {
    xg::data::Vocab vocab;
    xg::data::BucketIterator train, test;
    std::size_t train_reviews, test_reviews;
};
// One split's reviews as ids (the vocabulary built from them when none is given yet). Its text
// and tokens go when it returns: one split's words at a time, a few hundred MB of the full data.
xg::data::EncodedReviews encode_split(const Options& o, const char* split, std::uint64_t seed,
                                      std::optional<xg::data::Vocab>& vocab) {
    const auto reviews = load_split(o.data, split, o.limit, seed);
    check_split(reviews, o.data, split);
    const auto tokens = xg::data::tokenize_reviews(reviews, make_tokenizer(o.tokenizer));
    if (!vocab) vocab = xg::data::build_imdb_vocab(tokens, o.min_freq);
    return xg::data::encode_reviews(tokens, xg::data::labels_of(reviews), *vocab, o.num_steps);
}

Data load_data(const Options& o) {
    const auto shard = xg::distributed::shard();
    support::Clock clock;
    std::optional<xg::data::Vocab> vocab;
    if (!o.resume.empty()) vocab = xg::data::Vocab::load(o.resume + "/vocab.json");
    auto train = encode_split(o, "train", o.seed, vocab);
    auto test = encode_split(o, "test", o.seed + 1, vocab);
    const std::size_t train_reviews = train.size(), test_reviews = test.size();
    xg::data::BucketIterator train_it(std::move(train), xg::data::BucketIteratorOptions(o.batch_size).seed(o.seed).shard(shard));
    xg::data::BucketIterator test_it(std::move(test), xg::data::BucketIteratorOptions(o.batch_size).shuffle(false).shard(shard));
    std::printf("%zu train and %zu test reviews from %s, vocabulary %zu (read and encoded in %.1f s)\n", train_reviews,
                test_reviews, o.data.c_str(), vocab->size(), clock.seconds());
    return {std::move(*vocab), std::move(train_it), std::move(test_it), train_reviews, test_reviews};
}

// The words and texts freed by load_data lie between the ids it keeps, where glibc would hold
// them for good: handed back, they are not part of training's peak (-230 MB on the full data).
void return_freed_memory() {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void print_setup(const SentimentModel& model, const xg::optim::Adam& adam, const Options& o,
                 const xg::distributed::DistributedDataParallel& ddp) {
    namespace dist = xg::distributed;
    std::printf("%s\n%zu parameters, %d threads, %s\n", model.repr().c_str(), model.num_parameters(), xg::get_num_threads(),
                adam.repr().c_str());
    if (dist::world_size() > 1)
        std::printf("data parallel: %d ranks, each about %zu reviews of every batch of %zu, %zu gradient buckets\n",
                    dist::world_size(), o.batch_size / std::size_t(dist::world_size()), o.batch_size, ddp.buckets().size());
}

// One line per epoch, and the same figures into --metrics and the --plot curves.
void report_epoch(support::Run& run, std::size_t epochs_done, double lr, const Scores& train, const Scores& test,
                  double seconds, const support::Clock& eval_clock, const std::vector<EpochScores>& history,
                  const std::string& kind) {
    std::printf("epoch %zu: lr %.3g, loss %.4f, train acc %.4f, test acc %.4f; training %.1f reviews/s, %.0f tokens/s "
                "(%.0f s), test %.0f s\n",
                epochs_done, lr, train.loss / double(train.n), train.accuracy(), test.accuracy(), double(train.n) / seconds,
                double(train.tokens) / seconds, seconds, eval_clock.seconds());
    std::fflush(stdout);
    const EpochScores& e = history.back();
    run.log({{"epoch", epochs_done}, {"lr", lr}, {"loss", e.loss}, {"accuracy", e.train_accuracy}, {"test_loss", e.test_loss},
             {"test_accuracy", e.test_accuracy}, {"tokens_per_s", double(train.tokens) / seconds},
             {"reviews_per_s", double(train.n) / seconds}, {"seconds", seconds}, {"test_seconds", eval_clock.seconds()}});
    std::vector<support::Series> curves = {{"train loss", {}}, {"train acc", {}}, {"test loss", {}}, {"test acc", {}}};
    for (const auto& h : history) {
        curves[0].values.push_back(h.loss), curves[1].values.push_back(h.train_accuracy);
        curves[2].values.push_back(h.test_loss), curves[3].values.push_back(h.test_accuracy);
    }
    run.plot("IMDB, " + kind + ": loss and accuracy", "", curves);
}

void report(const support::Run& run, const Options& o, const Scores& train, const Scores& test, const Data& data,
            const xg::distributed::DistributedDataParallel& ddp) {
    std::printf("\nconfusion matrix on the %zu test reviews (rows: truth, columns: prediction)\n"
                "              negative  positive\n  negative  %10zu%10zu\n  positive  %10zu%10zu\n",
                test.n, test.tn, test.fp, test.fn, test.tp);
    std::printf("test accuracy %.4f, train accuracy %.4f, %.1f s in all\n", test.accuracy(), train.accuracy(), run.seconds());
    run.print_json({{"model", o.spec.kind},
                    {"test_accuracy", test.accuracy()},
                    {"train_accuracy", train.accuracy()},
                    {"loss", train.n ? train.loss / double(train.n) : 0.0},
                    {"test_loss", test.n ? test.loss / double(test.n) : 0.0},
                    {"reviews_per_s", run.examples_per_s()},
                    {"tokens_per_s", run.tokens_per_s()},
                    {"train_reviews", data.train_reviews},
                    {"test_reviews", data.test_reviews}},
                   ddp);
}

int train(Options o, const po::variables_map& given) {
    support::Run run("imdb_sentiment", o);
    const std::size_t schedule_epochs = resume_settings(run, o, given);
    run.check_outputs();
    xg::detect_anomaly(o.detect_anomaly);
    xg::manual_seed(o.seed);
    support::start_rank(o.threads, o.flush_denormal);
    Data data = load_data(o);
    return_freed_memory();
    SentimentModel model(o.spec, data.vocab.size(), data.vocab["<pad>"]);
    xg::optim::Adam adam(model.parameters(), xg::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
    const auto schedule = make_schedule(o.schedule, adam, schedule_epochs);
    std::vector<EpochScores> history;  // every epoch so far, a resumed run's earlier ones too
    if (run.resuming()) load_resumed(run, model, adam, schedule.get(), data.train, history, o, given);
    xg::distributed::DistributedDataParallel ddp(model);  // under mpirun: gradients averaged in backward()
    print_setup(model, adam, o, ddp);

    run.begin_epochs(/*progress_bar=*/false);  // train_epoch draws a bar of its own
    Scores train_scores, test_scores;
    for (std::size_t epoch = run.first_epoch(); epoch < o.epochs; ++epoch) {
        run.start_epoch();
        train_scores = train_epoch(model, data.train, adam, o.clip, ddp, "epoch " + std::to_string(epoch + 1) + " batch");
        all_reduce(train_scores);  // every rank's reviews
        const double seconds = run.end_training(train_scores.tokens, train_scores.n);
        support::Clock eval_clock;
        test_scores = evaluate(model, data.test);
        history.push_back({train_scores.loss / double(train_scores.n), train_scores.accuracy(),
                           test_scores.loss / double(test_scores.n), test_scores.accuracy()});
        report_epoch(run, epoch + 1, adam.lr(), train_scores, test_scores, seconds, eval_clock, history, o.spec.kind);
        if (schedule) schedule->step();
        run.save(model, adam, {{"settings", settings_json(o)}, {"epoch", epoch + 1}, {"schedule-epochs", schedule_epochs},
                               {"lr", adam.lr()}, {"history", history}},
                 data.vocab, schedule.get());
    }
    report(run, o, train_scores, test_scores, data, ddp);
    return 0;
}

int predict(const std::string& checkpoint, const std::vector<std::string>& texts) {
    const Options saved = support::saved_settings<Options>("imdb_sentiment", checkpoint);
    const auto tokenizer = make_tokenizer(saved.tokenizer);
    for (std::size_t i = 0; i < texts.size(); ++i)
        if (tokenizer(texts[i]).empty()) support::die("imdb_sentiment", "predict: text " + std::to_string(i + 1) + " has no words");
    const auto vocab = xg::data::Vocab::load(checkpoint + "/vocab.json");
    SentimentModel model(saved.spec, vocab.size(), vocab["<pad>"]);
    xg::optim::load_checkpoint(checkpoint, model);
    model.eval();
    xg::NoGradGuard no_grad;
    for (const auto& text : texts) {
        auto ids = vocab.encode(tokenizer(text));
        if (ids.size() > saved.num_steps) ids.resize(saved.num_steps);
        xg::IndexArray tokens = xg::IndexArray::from_shape({1, ids.size()});
        std::copy(ids.begin(), ids.end(), tokens.begin());
        const float p = positive_probability(model.forward(tokens, {ids.size()}))[0];
        std::printf("%.4f\t%s\t%s\n", p, p > 0.5f ? "positive" : "negative", text.c_str());
    }
    return 0;
}

int main(int argc, char** argv) {
    const char* out_of_memory = "out of memory: the model or the batches are too large (--embed, --hidden, --batch-size)";
    return support::main(argc, argv, "imdb_sentiment", out_of_memory, parse_flags, [](const Flags& f) {
        if (f.command == "predict") return predict(f.checkpoint, f.texts);
        return train(f.o, f.vm);
    });
}

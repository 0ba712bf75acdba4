// Data parallel equals one process: k optimizer steps on N ranks, each with its share of
// every batch, give the parameters that one process gets from the whole batches. Run it
// under mpirun (tests/distributed.sh) and alone; alone it checks the single-rank path.
//   test_distributed            the equivalence checks; prints "ok - ..." lines
//   test_distributed --fail     rank 1 throws while rank 0 waits in an allreduce
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace dist = xg::distributed;
using xg::Tensor;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
    if (dist::rank() == 0) std::printf("%s - %s\n", ok ? "ok" : "FAILED", what.c_str());
    failures += !ok;
}

// Largest |a - b| over two models' parameters, and whether all are within the fixtures'
// float tolerance (atol 1e-5 + rtol 1e-4 * |b|): sums over ranks round differently.
struct Diff {
    double max_abs = 0;
    bool close = true;
};
Diff difference(xg::nn::Module& a, xg::nn::Module& b) {
    const auto pa = a.parameters(), pb = b.parameters();
    Diff d;
    for (std::size_t i = 0; i < pa.size(); ++i)
        for (std::size_t j = 0; j < pa[i].numel(); ++j) {
            const double x = pa[i].value().data()[j], y = pb[i].value().data()[j];
            d.max_abs = std::max(d.max_abs, std::abs(x - y));
            d.close = d.close && std::abs(x - y) <= 1e-5 + 1e-4 * std::abs(y);
        }
    return d;
}

// Every rank holds the same parameters: the sum over ranks is N times this rank's.
bool ranks_agree(xg::nn::Module& m) {
    for (const auto& p : m.parameters()) {
        Tensor sum = xg::from_array(xt::xarray<float>(p.value()));
        dist::all_reduce(sum);
        for (std::size_t j = 0; j < p.numel(); ++j)
            if (sum.value().data()[j] != p.value().data()[j] * float(dist::world_size())) return false;
    }
    return true;
}

// ---- a character language model on d2l's sequential batches -----------------------------

struct LM : xg::nn::Module {
    xg::nn::Embedding embed;
    xg::nn::LSTM lstm;
    xg::nn::Linear out;
    LM(long V) : embed(xg::nn::EmbeddingOptions(V, 8)), lstm(xg::nn::LSTMOptions(8, 16)), out(xg::nn::LinearOptions(16, V)) {
        register_module("embed", embed);
        register_module("lstm", lstm);
        register_module("out", out);
    }
    Tensor loss(const xg::data::LMBatch& b) {
        xg::IndexArray x = xt::transpose(b.X), y = xt::transpose(b.Y);  // time-major
        y.reshape({y.size()});
        auto [h, state] = lstm.forward(embed.forward(x));
        return xg::cross_entropy(out.forward(xg::reshape(h, {long(y.size()), 16L})), y);
    }
};

std::vector<std::int64_t> random_corpus(std::size_t n, std::int64_t V) {
    std::mt19937_64 g(7);
    std::vector<std::int64_t> c(n);
    for (auto& t : c) t = std::int64_t(g() % std::uint64_t(V));
    return c;
}

// Two epochs of steps with shard (one process: {0, 1}), SGD with clipping or Adam.
void train_lm(LM& model, const xg::data::Shard& shard, bool adam, bool use_ddp) {
    const auto corpus = random_corpus(2000, 12);
    std::unique_ptr<xg::optim::Optimizer> opt;
    if (adam) opt = std::make_unique<xg::optim::Adam>(model.parameters(), xg::optim::AdamOptions(0.01));
    else opt = std::make_unique<xg::optim::SGD>(model.parameters(), xg::optim::SGDOptions(0.5));
    std::optional<dist::DistributedDataParallel> ddp;
    if (use_ddp) ddp.emplace(model, dist::DDPOptions().bucket_cap_mb(0.004));  // several buckets
    for (int epoch = 0; epoch < 2; ++epoch)
        for (const auto& b : xg::data::seq_data_iter_sequential(corpus, 8, 6, std::size_t(epoch), shard)) {
            opt->zero_grad();
            model.loss(b).backward();
            xg::optim::clip_grad_norm(model.parameters(), 1.0);
            opt->step();
        }
}

void lm_case() {
    for (const bool adam : {false, true}) {
        const char* name = adam ? "LSTM language model, Adam" : "LSTM language model, SGD + clipping";
        xg::manual_seed(1);
        LM one(12);
        train_lm(one, {}, adam, false);
        // other ranks start elsewhere: DistributedDataParallel broadcasts rank 0's weights
        xg::manual_seed(dist::rank() == 0 ? 1 : 100 + std::uint64_t(dist::rank()));
        LM many(12);
        train_lm(many, dist::shard(), adam, true);
        const Diff d = difference(many, one);
        char what[200];
        std::snprintf(what, sizeof what, "%s: %d ranks x batch %d equal 1 process x batch 8 (largest difference %.2g)",
                      name, dist::world_size(), 8 / dist::world_size(), d.max_abs);
        check(d.close, what);
        check(ranks_agree(many), std::string(name) + ": every rank holds the same parameters");
    }
}

// ---- review classification on bucketed batches with lengths -------------------------------

struct Classifier : xg::nn::Module {
    xg::nn::Embedding embed;
    xg::nn::LSTM lstm;
    xg::nn::Linear out;
    Classifier()
        : embed(xg::nn::EmbeddingOptions(30, 8).padding_idx(1)),
          lstm(xg::nn::LSTMOptions(8, 8).bidirectional(true)),
          out(xg::nn::LinearOptions(16, 2)) {
        register_module("embed", embed);
        register_module("lstm", lstm);
        register_module("out", out);
    }
    Tensor loss(const xg::data::TextBatch& b) {
        xg::IndexArray x = xt::transpose(b.tokens);
        auto [h, state] = lstm.forward(embed.forward(x), {}, b.lengths);
        return xg::cross_entropy(out.forward(xg::select(h, 0, 0)), b.labels);
    }
};

xg::data::EncodedReviews random_reviews(std::size_t n) {
    std::mt19937_64 g(11);
    xg::data::EncodedReviews r;
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<std::int64_t> ids(1 + g() % 12);
        for (auto& t : ids) t = 2 + std::int64_t(g() % 28);
        r.ids.push_back(ids);
        r.labels.push_back(std::int64_t(g() % 2));
    }
    return r;
}

// 17 reviews in batches of 8: the last batch has one review, so under 2 ranks one rank
// has nothing and joins through synchronize().
void train_reviews(Classifier& model, const xg::data::Shard& shard, bool use_ddp) {
    xg::data::BucketIterator it(random_reviews(17), xg::data::BucketIteratorOptions(8).seed(5).bucket_batches(2).shard(shard));
    xg::optim::Adam opt(model.parameters(), xg::optim::AdamOptions(0.02));
    std::optional<dist::DistributedDataParallel> ddp;
    if (use_ddp) ddp.emplace(model);
    for (int epoch = 0; epoch < 3; ++epoch)
        for (const auto& idx : it.plan_epoch()) {
            const auto b = it.batch(idx);
            opt.zero_grad();
            if (b.size() == 0) {
                ddp->synchronize();
            } else {
                Tensor loss = model.loss(b);
                (b.loss_scale == 1.0 ? loss : loss * float(b.loss_scale)).backward();
            }
            opt.step();
        }
}

void reviews_case() {
    xg::manual_seed(2);
    Classifier one;
    train_reviews(one, {}, false);
    xg::manual_seed(2);
    Classifier many;
    train_reviews(many, dist::shard(), true);
    const Diff d = difference(many, one);
    char what[200];
    std::snprintf(what, sizeof what,
                  "BiLSTM on bucketed reviews with lengths, Adam, a last batch of 1: %d ranks equal 1 process "
                  "(largest difference %.2g)",
                  dist::world_size(), d.max_abs);
    check(d.close, what);
    check(ranks_agree(many), "bucketed reviews: every rank holds the same parameters");
}

// ---- the pieces ---------------------------------------------------------------------------

void collectives_case() {
    Tensor t = xg::full({3}, float(dist::rank() + 1));
    dist::all_reduce(t, dist::ReduceOp::sum);
    const float n = float(dist::world_size()), sum = n * (n + 1) / 2;
    check(t.value()(0) == sum && t.value()(2) == sum, "all_reduce sum: 1 + 2 + ... + N on every rank");
    dist::all_reduce(t, dist::ReduceOp::mean);
    check(std::abs(t.value()(1) - sum) < 1e-6f, "all_reduce mean of equal values leaves them");
    Tensor b = xg::full({2}, float(dist::rank()));
    dist::broadcast(b, dist::world_size() - 1);
    check(b.value()(0) == float(dist::world_size() - 1), "broadcast from the last rank");
    check(dist::all_reduce(1.0) == double(dist::world_size()), "all_reduce of one number counts the ranks");

    // a backward that gives some parameter no gradient still averages (zeros from this rank)
    xg::manual_seed(3);
    LM m(5);
    dist::DistributedDataParallel ddp(m);
    Tensor w = m.out.weight;
    Tensor loss = xg::sum(w * float(dist::rank() + 1));
    m.zero_grad();
    loss.backward();
    const float mean = (n + 1) / 2;
    check(std::abs(w.grad()(0, 0) - mean) < 1e-6f && !m.lstm.named_parameters().empty(),
          "DDP: d/dw sum(w * (rank + 1)) averages to (N + 1) / 2");
    {
        auto guard = ddp.no_sync();
        m.zero_grad();
        xg::sum(w * float(dist::rank() + 1)).backward();
    }
    check(std::abs(w.grad()(0, 0) - float(dist::rank() + 1)) < 1e-6f, "DDP: no_sync() keeps the local gradient");
}

}  // namespace

int main(int argc, char** argv) {
    dist::Environment env(argc, argv);
    if (argc > 1 && std::strcmp(argv[1], "--fail") == 0) {
        // rank 1 fails while rank 0 waits in a collective: the job must end, not hang
        if (dist::rank() == 1) throw std::runtime_error("rank 1 fails on purpose");
        dist::all_reduce(1.0);
        dist::barrier();
        return 0;
    }
    xg::set_num_threads(1);
    if (dist::rank() == 0)
        std::printf("# %d rank(s), MPI %s\n", dist::world_size(), dist::available() ? "built in" : "not built in");
    collectives_case();
    lm_case();
    reviews_case();
    if (failures) std::fprintf(stderr, "%s: %d check(s) failed\n", dist::rank_label().c_str(), failures);
    return failures ? 1 : 0;
}

#include "data/lm_iterator.hpp"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.hpp"
#include "autograd/factory.hpp"
#include "data/time_machine.hpp"

namespace xg::data {

namespace {

void check_sizes(const char* who, std::size_t batch_size, std::size_t num_steps) {
    XG_CHECK(batch_size > 0 && num_steps > 0,
             who << ": batch_size and num_steps must be positive, got " << batch_size << " and " << num_steps);
}

std::size_t draw(std::size_t hi) {  // uniform on [0, hi], Python's random.randint(0, hi)
    return std::uniform_int_distribution<std::size_t>(0, hi)(xg::generator());
}

// Copies corpus[start, start + T) into row r of X and corpus[start + 1, start + T + 1) into Y.
void fill_row(LMBatch& b, std::size_t r, const std::vector<std::int64_t>& corpus, std::size_t start, std::size_t T) {
    std::copy_n(corpus.begin() + std::ptrdiff_t(start), T, b.X.data() + r * T);
    std::copy_n(corpus.begin() + std::ptrdiff_t(start + 1), T, b.Y.data() + r * T);
}

void check_shard_of(const char* who, std::size_t batch_size, const Shard& shard) {
    check_shard(shard, who);
    XG_CHECK(batch_size % shard.world_size == 0, who << ": batch_size " << batch_size << " does not split evenly over "
                                                     << shard.world_size << " ranks; use a multiple of "
                                                     << shard.world_size);
}

LMBatch empty_batch(std::size_t B, std::size_t T) {
    return {IndexArray::from_shape({B, T}), IndexArray::from_shape({B, T})};
}

}  // namespace

std::size_t num_batches_random(std::size_t n, std::size_t batch_size, std::size_t num_steps, std::size_t offset) {
    check_sizes("num_batches_random", batch_size, num_steps);
    if (n < offset + 1) return 0;
    return (n - offset - 1) / num_steps / batch_size;
}

std::size_t num_batches_sequential(std::size_t n, std::size_t batch_size, std::size_t num_steps, std::size_t offset) {
    check_sizes("num_batches_sequential", batch_size, num_steps);
    if (n < offset + 1) return 0;
    return (n - offset - 1) / batch_size / num_steps;
}

std::vector<LMBatch> seq_data_iter_random(const std::vector<std::int64_t>& corpus, std::size_t batch_size,
                                          std::size_t num_steps, std::optional<std::size_t> offset, const Shard& shard) {
    check_sizes("seq_data_iter_random", batch_size, num_steps);
    check_shard_of("seq_data_iter_random", batch_size, shard);
    const std::size_t T = num_steps, B = batch_size;
    XG_CHECK(!offset || *offset < T, "seq_data_iter_random: offset " << *offset << " must be in [0, " << T - 1 << "]");
    const std::size_t off = offset ? *offset : draw(T - 1);
    const std::size_t nb = num_batches_random(corpus.size(), B, T, off);
    XG_CHECK(nb > 0, "seq_data_iter_random: a corpus of " << corpus.size() << " tokens is too short for batch_size " << B
                                                          << " and num_steps " << T << " at offset " << off << " (needs at least "
                                                          << off + B * T + 1 << ")");
    // Starts of the (n - off - 1) // T subsequences, relative to off, in random order.
    std::vector<std::size_t> starts((corpus.size() - off - 1) / T);
    for (std::size_t i = 0; i < starts.size(); ++i) starts[i] = i * T;
    std::shuffle(starts.begin(), starts.end(), xg::generator());

    std::vector<LMBatch> batches;
    batches.reserve(nb);
    for (std::size_t i = 0; i < nb; ++i) {
        LMBatch b = empty_batch(B / shard.world_size, T);
        for (std::size_t r = shard.rank, row = 0; r < B; r += shard.world_size, ++row)
            fill_row(b, row, corpus, off + starts[i * B + r], T);
        batches.push_back(std::move(b));
    }
    return batches;
}

std::vector<LMBatch> seq_data_iter_sequential(const std::vector<std::int64_t>& corpus, std::size_t batch_size,
                                              std::size_t num_steps, std::optional<std::size_t> offset,
                                              const Shard& shard) {
    check_sizes("seq_data_iter_sequential", batch_size, num_steps);
    check_shard_of("seq_data_iter_sequential", batch_size, shard);
    const std::size_t T = num_steps, B = batch_size;
    XG_CHECK(!offset || *offset <= T, "seq_data_iter_sequential: offset " << *offset << " must be in [0, " << T << "]");
    const std::size_t off = offset ? *offset : draw(T);
    const std::size_t nb = num_batches_sequential(corpus.size(), B, T, off);
    XG_CHECK(nb > 0, "seq_data_iter_sequential: a corpus of " << corpus.size() << " tokens is too short for batch_size "
                                                              << B << " and num_steps " << T << " at offset " << off
                                                              << " (needs at least " << off + B * T + 1 << ")");
    // Xs = corpus[off : off + num_tokens].reshape(B, -1): row r starts at off + r * row_len.
    const std::size_t row_len = (corpus.size() - off - 1) / B;
    std::vector<LMBatch> batches;
    batches.reserve(nb);
    for (std::size_t i = 0; i < nb; ++i) {
        LMBatch b = empty_batch(B / shard.world_size, T);
        for (std::size_t r = shard.rank, row = 0; r < B; r += shard.world_size, ++row)
            fill_row(b, row, corpus, off + r * row_len + i * T, T);
        batches.push_back(std::move(b));
    }
    return batches;
}

SeqDataLoader::SeqDataLoader(const std::string& path, std::size_t batch_size, std::size_t num_steps, bool use_random_iter,
                             std::size_t max_tokens, TokenKind kind)
    : batch_size_(batch_size), num_steps_(num_steps), use_random_iter_(use_random_iter) {
    auto c = load_corpus_time_machine(path, max_tokens, kind);
    corpus_ = std::move(c.ids);
    vocab_ = std::move(c.vocab);
    check();
}

SeqDataLoader::SeqDataLoader(std::vector<std::int64_t> corpus, Vocab vocab, std::size_t batch_size, std::size_t num_steps,
                             bool use_random_iter)
    : corpus_(std::move(corpus)),
      vocab_(std::move(vocab)),
      batch_size_(batch_size),
      num_steps_(num_steps),
      use_random_iter_(use_random_iter) {
    check();
}

void SeqDataLoader::check() const {
    check_sizes("SeqDataLoader", batch_size_, num_steps_);
    // Every epoch must yield a batch, also at the largest offset.
    const std::size_t worst = use_random_iter_ ? num_steps_ - 1 : num_steps_;
    XG_CHECK(num_batches(worst) > 0, "SeqDataLoader: a corpus of " << corpus_.size() << " tokens is too short for batch_size "
                                         << batch_size_ << " and num_steps " << num_steps_ << " ("
                                         << (use_random_iter_ ? "random" : "sequential") << " iteration needs at least "
                                         << worst + batch_size_ * num_steps_ + 1 << " tokens)");
}

std::size_t SeqDataLoader::num_batches(std::size_t offset) const {
    return use_random_iter_ ? num_batches_random(corpus_.size(), batch_size_, num_steps_, offset)
                            : num_batches_sequential(corpus_.size(), batch_size_, num_steps_, offset);
}

std::size_t SeqDataLoader::num_batches() const { return num_batches(use_random_iter_ ? num_steps_ - 1 : num_steps_); }

std::vector<LMBatch> SeqDataLoader::epoch(std::optional<std::size_t> offset) const {
    return use_random_iter_ ? seq_data_iter_random(corpus_, batch_size_, num_steps_, offset, shard_)
                            : seq_data_iter_sequential(corpus_, batch_size_, num_steps_, offset, shard_);
}

SeqDataLoader& SeqDataLoader::shard(const Shard& s) {
    check_shard_of("SeqDataLoader", batch_size_, s);
    shard_ = s;
    return *this;
}

}  // namespace xg::data

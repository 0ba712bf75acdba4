/// \file
/// Language-model minibatches, as d2l makes them (d2l.seq_data_iter_random,
/// d2l.seq_data_iter_sequential, d2l.SeqDataLoader). Shapes: B batch, T num_steps.
///
///   xg::data::SeqDataLoader loader("data/corpora/timemachine.txt", /*B=*/32, /*T=*/35);
///   for (const auto& [X, Y] : loader.epoch()) { ... }   // X, Y: (B, T) token ids, Y = X shifted by one
///
/// Random draws (offset, shuffle) come from xg::generator(), so xg::manual_seed makes epochs
/// reproducible; tests pass the offset explicitly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "data/shard.hpp"
#include "data/tokenizer.hpp"
#include "data/vocab.hpp"

namespace xg::data {

/// X: (B, T) inputs; Y: (B, T) targets, each the token after the one in X.
struct LMBatch {
    IndexArray X;  ///< (B, T) input token ids (B / N rows when sharded)
    IndexArray Y;  ///< (B, T) target ids: Y[r][t] is the corpus token after X[r][t]
};

/// d2l's seq_data_iter_random: drop the first `offset` tokens (drawn from [0, T-1] when not
/// given), cut the rest into (n - 1) // T subsequences of T tokens, shuffle their starts and
/// take B of them per batch; (n - offset - 1) // T // B batches. Neighbouring batches are not
/// contiguous, so the hidden state must be reset between them.
/// Sharded (data parallel), each batch holds this rank's rows r, r + N, ... of the global
/// batch of batch_size rows; batch_size must be a multiple of N. Every rank must draw the
/// same offset and order: the same xg::manual_seed, or an explicit offset.
std::vector<LMBatch> seq_data_iter_random(const std::vector<std::int64_t>& corpus, std::size_t batch_size,
                                          std::size_t num_steps, std::optional<std::size_t> offset = std::nullopt,
                                          const Shard& shard = {});

/// d2l's seq_data_iter_sequential: start at `offset` (drawn from [0, T] when not given), lay
/// the corpus out as B rows of ((n - offset - 1) // B) tokens and walk them T columns at a
/// time, so row r of batch i+1 continues row r of batch i (the hidden state can be carried).
std::vector<LMBatch> seq_data_iter_sequential(const std::vector<std::int64_t>& corpus, std::size_t batch_size,
                                              std::size_t num_steps, std::optional<std::size_t> offset = std::nullopt,
                                              const Shard& shard = {});

/// Batches the iterators above yield for a corpus of n tokens at this offset.
std::size_t num_batches_random(std::size_t n, std::size_t batch_size, std::size_t num_steps, std::size_t offset);
/// As num_batches_random, for seq_data_iter_sequential: (n - offset - 1) // B // T.
std::size_t num_batches_sequential(std::size_t n, std::size_t batch_size, std::size_t num_steps, std::size_t offset);

/// d2l's SeqDataLoader: a corpus, its vocabulary, and one of the two iterators.
class SeqDataLoader {
public:
    /// The time machine: load_corpus_time_machine(path, max_tokens, kind), as d2l's
    /// load_data_time_machine(batch_size, num_steps, use_random_iter, max_tokens).
    SeqDataLoader(const std::string& path, std::size_t batch_size, std::size_t num_steps, bool use_random_iter = false,
                  std::size_t max_tokens = 10000, TokenKind kind = TokenKind::character);
    /// Any encoded corpus.
    SeqDataLoader(std::vector<std::int64_t> corpus, Vocab vocab, std::size_t batch_size, std::size_t num_steps,
                  bool use_random_iter = false);

    /// One epoch's batches; each call draws a new offset (and order, when random).
    std::vector<LMBatch> epoch(std::optional<std::size_t> offset = std::nullopt) const;

    /// Data parallel: epoch() gives this rank's batch_size / N rows of each batch.
    SeqDataLoader& shard(const Shard& s);
    /// The shard epoch() serves (default rank 0 of 1: every row).
    const Shard& shard() const { return shard_; }

    /// Batches in every epoch, whatever the offset; an epoch has this many or one more
    /// (num_batches(offset) tells exactly).
    std::size_t num_batches() const;
    /// Batches in an epoch drawn at this offset.
    std::size_t num_batches(std::size_t offset) const;

    const std::vector<std::int64_t>& corpus() const { return corpus_; }  ///< the token ids, in corpus order
    const Vocab& vocab() const { return vocab_; }                        ///< the vocabulary of corpus()
    std::size_t batch_size() const { return batch_size_; }               ///< B: rows per global batch
    std::size_t num_steps() const { return num_steps_; }                 ///< T: tokens per row
    bool use_random_iter() const { return use_random_iter_; }            ///< random (true) or sequential (false) iteration

private:
    void check() const;

    std::vector<std::int64_t> corpus_;
    Vocab vocab_;
    std::size_t batch_size_;
    std::size_t num_steps_;
    bool use_random_iter_;
    Shard shard_;
};

}  // namespace xg::data

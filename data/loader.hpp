/// \file
/// BatchSampler: the index side of torch.utils.data.DataLoader. It splits [0, n) into
/// batches of indices, shuffled each epoch when asked; the caller gathers the examples.
///
///   xg::data::BatchSampler sampler(n, xg::data::BatchSamplerOptions(64).shuffle(true).seed(1));
///   for (const auto& idx : sampler.epoch()) { ... examples idx[0], idx[1], ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "data/shard.hpp"

namespace xg::data {

/// Options for BatchSampler, with chainable setters, as DataLoader's batch_size, shuffle,
/// drop_last; by default in order, the short batch kept, not sharded.
struct BatchSamplerOptions {
    /// Options with this global batch size (indices per batch, over all ranks).
    explicit BatchSamplerOptions(std::size_t batch_size) : batch_size_(batch_size) {}

    /// Indices per batch (the global batch when sharded); 0 makes BatchSampler throw.
    BatchSamplerOptions& batch_size(std::size_t v) { batch_size_ = v; return *this; }
    /// A new random order every epoch (torch's shuffle=True); else 0, 1, ..., n-1.
    BatchSamplerOptions& shuffle(bool v) { shuffle_ = v; return *this; }
    /// Drop the last batch when it is smaller than batch_size.
    BatchSamplerOptions& drop_last(bool v) { drop_last_ = v; return *this; }
    /// The sampler's own generator, seeded once; epochs differ but the sequence of epochs
    /// is fixed. Without a seed, draws come from xg::generator() (see xg::manual_seed).
    BatchSamplerOptions& seed(std::uint64_t v) { seed_ = v; return *this; }
    /// Data parallel: epoch() gives this rank's rows of each batch (data/shard.hpp); with
    /// shuffle, every rank needs the same seed.
    BatchSamplerOptions& shard(Shard v) { shard_ = v; return *this; }

    std::size_t batch_size() const { return batch_size_; }              ///< indices per batch, over all ranks
    bool shuffle() const { return shuffle_; }                           ///< a new order each epoch; default false
    bool drop_last() const { return drop_last_; }                       ///< whether a short last batch is dropped; default false
    const std::optional<std::uint64_t>& seed() const { return seed_; }  ///< the own generator's seed; none: xg::generator()
    const Shard& shard() const { return shard_; }                       ///< this rank's part; default rank 0 of 1 (all rows)

private:
    std::size_t batch_size_;
    Shard shard_;
    bool shuffle_ = false;
    bool drop_last_ = false;
    std::optional<std::uint64_t> seed_;
};

/// Batches of indices into n examples, as the sampling side of torch.utils.data.DataLoader.
class BatchSampler {
public:
    /// n examples; batch_size 0 throws xg::Error.
    BatchSampler(std::size_t n, BatchSamplerOptions options);

    /// The batches of one epoch: every index in [0, n) exactly once (but the dropped tail);
    /// sharded, this rank's part of each batch, and every index once across the ranks.
    std::vector<std::vector<std::size_t>> epoch();

    /// len(DataLoader): n / B rounded up, or down with drop_last.
    std::size_t num_batches() const;
    /// n, the number of examples (not of batches, unlike len(BatchSampler): see num_batches()).
    std::size_t size() const { return n_; }
    /// The options it was made with.
    const BatchSamplerOptions& options() const { return options_; }

private:
    std::size_t n_;
    BatchSamplerOptions options_;
    std::mt19937_64 own_;  ///< used when options_.seed() is set
};

/// Splits an order of indices into consecutive batches of batch_size (the last may be
/// short, or dropped). Shared by BatchSampler and the IMDB bucket iterator.
std::vector<std::vector<std::size_t>> split_batches(const std::vector<std::size_t>& order, std::size_t batch_size,
                                                    bool drop_last);

}  // namespace xg::data

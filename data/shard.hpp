/// \file
/// One rank's part of every batch, for data-parallel training (xg::distributed). Each
/// global batch of n rows is dealt out row by row: rank r takes rows r, r + N, r + 2N, ...
/// (N = world_size). Every rank draws the same global batches (same seed), so the local
/// batches of one step together are exactly the batch a single process would take, and a
/// batch sorted by length gives every rank a similar share of long rows.
///
///   xg::data::Shard shard{rank, world_size};   // or xg::distributed::shard()
///   BucketIteratorOptions(64).shard(shard)     // also BatchSamplerOptions, SeqDataLoader
#pragma once

#include <cstddef>
#include <vector>

namespace xg::data {

/// Which part of each batch this process takes: rank r of world_size N. The default is the whole batch.
struct Shard {
    std::size_t rank = 0;        ///< this process's rank, in [0, world_size)
    std::size_t world_size = 1;  ///< N, the number of processes sharing each batch
};

/// Throws xg::Error, naming who, unless 0 <= rank < world_size.
void check_shard(const Shard& shard, const char* who);

/// How many of n rows this rank takes (n / N, one more for the first n % N ranks).
std::size_t shard_rows(std::size_t n, const Shard& shard);

/// This rank's rows, in their order.
template <class T>
std::vector<T> take_shard(const std::vector<T>& rows, const Shard& shard) {
    std::vector<T> out;
    out.reserve(shard_rows(rows.size(), shard));
    for (std::size_t i = shard.rank; i < rows.size(); i += shard.world_size) out.push_back(rows[i]);
    return out;
}

/// What to multiply this rank's mean loss over its rows by, so that averaging the ranks'
/// gradients gives the gradient of the mean over all n rows: rows * world_size / n (1 when
/// n divides evenly). 0 for a rank with no rows.
double shard_loss_scale(std::size_t n, const Shard& shard);

}  // namespace xg::data

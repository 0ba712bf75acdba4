#include "data/shard.hpp"

#include "core/error.hpp"

namespace xg::data {

void check_shard(const Shard& shard, const char* who) {
    XG_CHECK(shard.world_size > 0 && shard.rank < shard.world_size,
             who << ": shard rank " << shard.rank << " of world size " << shard.world_size
                 << " (the rank must be in [0, world_size))");
}

std::size_t shard_rows(std::size_t n, const Shard& shard) {
    check_shard(shard, "shard_rows");
    return n / shard.world_size + (shard.rank < n % shard.world_size ? 1 : 0);
}

double shard_loss_scale(std::size_t n, const Shard& shard) {
    if (n == 0) return 0.0;
    return static_cast<double>(shard_rows(n, shard)) * static_cast<double>(shard.world_size) / static_cast<double>(n);
}

}  // namespace xg::data

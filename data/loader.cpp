#include "data/loader.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "autograd/factory.hpp"

namespace xg::data {

BatchSampler::BatchSampler(std::size_t n, BatchSamplerOptions options)
    : n_(n), options_(options), own_(options.seed().value_or(0)) {
    XG_CHECK(options_.batch_size() > 0, "BatchSampler: batch_size must be positive");
    check_shard(options_.shard(), "BatchSampler");
}

std::size_t BatchSampler::num_batches() const {
    const std::size_t B = options_.batch_size();
    return options_.drop_last() ? n_ / B : (n_ + B - 1) / B;
}

std::vector<std::vector<std::size_t>> BatchSampler::epoch() {
    std::vector<std::size_t> order(n_);
    std::iota(order.begin(), order.end(), std::size_t(0));
    if (options_.shuffle()) {
        if (options_.seed())
            std::shuffle(order.begin(), order.end(), own_);
        else
            std::shuffle(order.begin(), order.end(), xg::generator());
    }
    auto batches = split_batches(order, options_.batch_size(), options_.drop_last());
    if (options_.shard().world_size > 1)
        for (auto& b : batches) b = take_shard(b, options_.shard());
    return batches;
}

std::vector<std::vector<std::size_t>> split_batches(const std::vector<std::size_t>& order, std::size_t batch_size,
                                                    bool drop_last) {
    XG_CHECK(batch_size > 0, "split_batches: batch_size must be positive");
    std::vector<std::vector<std::size_t>> out;
    out.reserve(order.size() / batch_size + 1);
    for (std::size_t i = 0; i < order.size(); i += batch_size) {
        const std::size_t end = std::min(order.size(), i + batch_size);
        if (drop_last && end - i < batch_size) break;
        out.emplace_back(order.begin() + std::ptrdiff_t(i), order.begin() + std::ptrdiff_t(end));
    }
    return out;
}

}  // namespace xg::data

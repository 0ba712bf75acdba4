// Internal (not installed): the element loop of an optimizer's update, spread over threads.
#pragma once

#include <cstddef>

#include "core/simd.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim::detail {

/// simd::for_each over [0, n), f(i, like) as there, in for_blocks' blocks over the pool's
/// threads: each element sees the same arithmetic on any thread count.
template <class T, class F>
void for_each_in_blocks(std::size_t n, F&& f) {
    for_blocks(n, [&](std::size_t begin, std::size_t end) {
        simd::for_each<T>(end - begin, [&](std::size_t j, auto like) { f(begin + j, like); });
    });
}

}  // namespace xg::optim::detail

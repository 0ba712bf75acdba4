// Internal (not installed): the element loops of optimizers' updates, spread over threads.
#pragma once

#include <cstddef>
#include <functional>

#include "core/parallel.hpp"
#include "core/simd.hpp"

namespace xg::optim::detail {

/// body(begin, end) over [0, n) in blocks of 32,768 values on the pool's threads: a block is a
/// whole number of SIMD vectors, so each value takes the same path (vector or scalar tail),
/// and the same bits, on any thread count.
inline void for_blocks(std::size_t n, const std::function<void(std::size_t, std::size_t)>& body) {
    parallel_blocks(n, std::size_t(1) << 15, body);
}

/// simd::for_each over [0, n), f(i, like) as there, in for_blocks' blocks.
template <class T, class F>
void for_each_in_blocks(std::size_t n, F&& f) {
    for_blocks(n, [&](std::size_t begin, std::size_t end) {
        simd::for_each<T>(end - begin, [&](std::size_t j, auto like) { f(begin + j, like); });
    });
}

}  // namespace xg::optim::detail

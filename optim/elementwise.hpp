// Internal (not installed): the element loops of optimizers' updates, spread over threads.
#pragma once

#include <cmath>
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

/// Adam's and AdamW's moments m, v (and v's running max vmax, with amsgrad) at step t, with
/// the scalars computed in double, as Python computes them, then used in float.
struct AdamMoments {
    float *m, *v, *vmax;
    float b1, one_b1, b2, one_b2, bc2_sqrt, eps;
    AdamMoments(float* m_, float* v_, float* vmax_, double beta1, double beta2, double t, double eps_)
        : m(m_), v(v_), vmax(vmax_), b1(static_cast<float>(beta1)), one_b1(static_cast<float>(1 - beta1)),
          b2(static_cast<float>(beta2)), one_b2(static_cast<float>(1 - beta2)),
          bc2_sqrt(static_cast<float>(std::sqrt(1 - std::pow(beta2, t)))), eps(static_cast<float>(eps_)) {}

    /// m and v at i moved by the gradient gi (and vmax with amsgrad); returns
    /// m / (sqrt(v) / bc2_sqrt + eps), the direction the step scales.
    template <bool Amsgrad, class V>
    V direction(std::size_t i, const V& gi) const {
        using namespace simd;
        const V mi = loadu<V>(m + i) * b1 + one_b1 * gi;
        V vi = loadu<V>(v + i) * b2 + one_b2 * (gi * gi);
        storeu(m + i, mi);
        storeu(v + i, vi);
        if constexpr (Amsgrad) {
            vi = max(loadu<V>(vmax + i), vi);
            storeu(vmax + i, vi);
        }
        return mi / (sqrt(vi) / bc2_sqrt + eps);
    }
};

}  // namespace xg::optim::detail

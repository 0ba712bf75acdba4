// Internal (not installed): one row's layer norm, forward and backward, shared by the
// layer_norm op (nn/layer_norm.cpp) and the fused LayerNormLSTM (nn/cell_policies/).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "core/simd.hpp"

namespace xg::nn::detail {

// x_hat = (x - mean) * rstd over one row of n, rstd = 1 / sqrt(var + eps) with the biased
// variance, returned. The sums run in SIMD lanes of T: a row of 1024 is one dependency chain
// of 64 adds instead of 1024 (LayerNormLSTM normalises three rows per step). A float row
// sums in float (16 partial sums; the layer_norm op summed in double before 2026-12-06).
template <class T>
T normalise_row(const T* x, T* x_hat, std::size_t n, double eps) {
    const T mean = simd::sum<T, 1>(n, {x}, [](const auto& v) { return v[0]; }) / T(n);
    const T squares = simd::sum<T, 1>(n, {x}, [mean](const auto& v) {
        const auto d = v[0] - std::decay_t<decltype(v[0])>(mean);
        return d * d;
    });
    const T rstd = T(1.0 / std::sqrt(double(squares) / double(n) + eps));
    simd::zip<T, 1, 1>(n, {x}, {x_hat}, [mean, rstd](const auto& v, auto& y) {
        using V = std::decay_t<decltype(v[0])>;
        y[0] = (v[0] - V(mean)) * V(rstd);
    });
    return rstd;
}

// The backward of one row's y = x_hat * w + b (w may be null): x's gradient from g, y's.
// With d = g w (g alone without w),
//   dx = rstd * (d - mean(d) - x_hat * mean(d * x_hat)),
// added into dx, or written when `accumulate` is false (dx may be g). d is n of scratch.
template <class T>
void normalise_row_backward(const T* g, const T* w, const T* x_hat, T rstd, std::size_t n, T* d, T* dx, bool accumulate) {
    if (w)
        simd::zip<T, 2, 1>(n, {g, w}, {d}, [](const auto& v, auto& y) { y[0] = v[0] * v[1]; });
    else
        std::copy_n(g, n, d);
    const T a = simd::sum<T, 1>(n, {d}, [](const auto& v) { return v[0]; }) / T(n);
    const T c = simd::sum<T, 2>(n, {d, x_hat}, [](const auto& v) { return v[0] * v[1]; }) / T(n);
    if (accumulate)
        simd::zip<T, 3, 1>(n, {d, x_hat, dx}, {dx}, [a, c, rstd](const auto& v, auto& y) {
            using V = std::decay_t<decltype(v[0])>;
            y[0] = v[2] + V(rstd) * (v[0] - V(a) - v[1] * V(c));
        });
    else
        simd::zip<T, 2, 1>(n, {d, x_hat}, {dx}, [a, c, rstd](const auto& v, auto& y) {
            using V = std::decay_t<decltype(v[0])>;
            y[0] = V(rstd) * (v[0] - V(a) - v[1] * V(c));
        });
}

}  // namespace xg::nn::detail

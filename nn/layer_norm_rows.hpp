// Internal (not installed): one row's layer norm, forward and backward, shared by the
// layer_norm op (nn/layer_norm.cpp) and the fused LayerNormLSTM (nn/cell_policies/).
#pragma once

#include <cmath>
#include <cstddef>

namespace xg::nn::detail {

// x_hat = (x - mean) * rstd over one row of n, rstd = 1 / sqrt(var + eps) with the biased
// variance, returned; sums in double, so long float rows stay exact.
template <class T>
T normalise_row(const T* x, T* x_hat, std::size_t n, double eps) {
    double sum = 0, squares = 0;
    for (std::size_t j = 0; j < n; ++j) sum += x[j];
    const double mean = sum / double(n);
    for (std::size_t j = 0; j < n; ++j) squares += (x[j] - mean) * (x[j] - mean);
    const T rstd = T(1.0 / std::sqrt(squares / double(n) + eps));
    const T m = T(mean);
    for (std::size_t j = 0; j < n; ++j) x_hat[j] = (x[j] - m) * rstd;
    return rstd;
}

// The backward of one row's y = x_hat * w + b (w may be null): x's gradient from g, y's.
// With d = g w (g alone without w),
//   dx = rstd * (d - mean(d) - x_hat * mean(d * x_hat)),
// added into dx, or written when `accumulate` is false (dx may be g). d is n of scratch.
template <class T>
void normalise_row_backward(const T* g, const T* w, const T* x_hat, T rstd, std::size_t n, T* d, T* dx, bool accumulate) {
    double mean_d = 0, mean_dh = 0;
    for (std::size_t j = 0; j < n; ++j) {
        d[j] = w ? g[j] * w[j] : g[j];
        mean_d += d[j];
        mean_dh += d[j] * x_hat[j];
    }
    const T a = T(mean_d / double(n)), c = T(mean_dh / double(n));
    for (std::size_t j = 0; j < n; ++j) {
        const T v = rstd * (d[j] - a - x_hat[j] * c);
        dx[j] = accumulate ? dx[j] + v : v;
    }
}

}  // namespace xg::nn::detail

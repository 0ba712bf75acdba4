// Vectorised element-wise kernels for the fused layers: the one SIMD switch.
// With XTENSOR_USE_XSIMD (the default build) a kernel body runs on xsimd batches (AVX-512,
// AVX2 or SSE2, by the build's target); without it, the same body runs on scalars. Both give
// the same results to a few ulp.
//
//   // c[j] = f[j] * c[j] + i[j] * g[j], over n elements, one pass
//   simd::zip<float, 4, 1>(n, {f, c, i, g}, {c}, [](const auto& x, auto& y) { y[0] = x[0] * x[1] + x[2] * x[3]; });
//
// The body receives `x` (the inputs) and `y` (the outputs) as arrays of Lane values (batches,
// or scalars) at one offset; it writes every y[k], which zip stores. The tail of a row that is not a whole batch goes
// through padded copies, so short rows (H = 100 is 12 batches and 4 on AVX2) never fall back
// to scalar exp and tanh.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>

#ifdef XTENSOR_USE_XSIMD
#include <xsimd/xsimd.hpp>
#endif

namespace xg::simd {

#ifdef XTENSOR_USE_XSIMD
template <class T>
using Lane = xsimd::batch<T>;
template <class T>
constexpr std::size_t lanes = xsimd::batch<T>::size;
template <class T>
Lane<T> load(const T* p) { return Lane<T>::load_unaligned(p); }
template <class T>
void store(T* p, const Lane<T>& v) { v.store_unaligned(p); }
using xsimd::exp;
using xsimd::tanh;
#else
template <class T>
using Lane = T;
template <class T>
constexpr std::size_t lanes = 1;
template <class T>
T load(const T* p) { return *p; }
template <class T>
void store(T* p, T v) { *p = v; }
using std::exp;
using std::tanh;
#endif

template <class V>
V sigmoid(const V& x) { return V(1) / (V(1) + exp(-x)); }

// out_k[j] = body(in_0[j], ..., in_{NI-1}[j]) for j in [0, n); an output may be an input.
template <class T, std::size_t NI, std::size_t NO, class F>
void zip(std::size_t n, const std::array<const T*, NI>& in, const std::array<T*, NO>& out, F&& body) {
    constexpr std::size_t W = lanes<T>;
    std::array<Lane<T>, NI> x;
    std::array<Lane<T>, NO> y;
    std::size_t j = 0;
    for (; j + W <= n; j += W) {
        for (std::size_t k = 0; k < NI; ++k) x[k] = load(in[k] + j);
        body(x, y);
        for (std::size_t k = 0; k < NO; ++k) store(out[k] + j, y[k]);
    }
    if (j < n) {
        alignas(64) T tail[W] = {};
        for (std::size_t k = 0; k < NI; ++k) {
            for (std::size_t i = 0; i < W; ++i) tail[i] = i < n - j ? in[k][j + i] : T(0);
            x[k] = load<T>(tail);
        }
        body(x, y);
        for (std::size_t k = 0; k < NO; ++k) {
            store(tail, y[k]);
            for (std::size_t i = 0; i < n - j; ++i) out[k][j + i] = tail[i];
        }
    }
}

// p[i] = 1 / (1 + exp(-p[i]))
template <class T>
void sigmoid_inplace(T* p, std::size_t n) {
    zip<T, 1, 1>(n, {p}, {p}, [](const auto& x, auto& y) { y[0] = sigmoid(x[0]); });
}

// dst[i] = tanh(src[i]); dst may equal src
template <class T>
void tanh_to(const T* src, T* dst, std::size_t n) {
    zip<T, 1, 1>(n, {src}, {dst}, [](const auto& x, auto& y) { y[0] = tanh(x[0]); });
}

template <class T>
void tanh_inplace(T* p, std::size_t n) {
    tanh_to(p, p, n);
}

// p[i] = max(p[i], 0)
template <class T>
void relu_inplace(T* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) p[i] = p[i] > T(0) ? p[i] : T(0);  // the compiler vectorises this
}

}  // namespace xg::simd

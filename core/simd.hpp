// The one SIMD header: element loops written once, for one value and for an xsimd batch.
// Each function below takes V = T or V = Lane<T> (an xsimd batch, AVX-512, AVX2 or SSE2 by
// the build's target) and holds both versions side by side. A loop body is written once as a
// generic lambda; for_each runs it on whole batches and then element by element, zip runs it
// on whole batches and a zero-padded last batch (so short rows keep vector exp and tanh).
//
//   // c[j] = f[j] * c[j] + i[j] * g[j], over n elements, one pass
//   simd::zip<float, 4, 1>(n, {f, c, i, g}, {c}, [](const auto& x, auto& y) { y[0] = x[0] * x[1] + x[2] * x[3]; });
//
// Without XTENSOR_USE_XSIMD, Lane<T> is T and only the scalar branches run. Both give the
// same results to a few ulp. Internal: included by .cpp files only, never installed.
#pragma once

#include "core/quiet_intrinsics.hpp"  // first: before anything includes <immintrin.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include <xsimd/xsimd.hpp>

namespace xg::simd {

#ifdef XTENSOR_USE_XSIMD
template <class T>
using Lane = xsimd::batch<T>;
#else
template <class T>
using Lane = T;
#endif

template <class V>
constexpr bool is_batch = !std::is_arithmetic_v<V>;

template <class T>
constexpr std::size_t lanes = [] {
    if constexpr (is_batch<Lane<T>>)
        return Lane<T>::size;
    else
        return std::size_t(1);
}();

// Unaligned, and named apart from xsimd::load and xsimd::store: those are aligned, and
// argument-dependent lookup would pick them for a batch.
template <class V, class T>
V loadu(const T* p) {
    if constexpr (is_batch<V>)
        return V::load_unaligned(p);
    else
        return *p;
}

template <class V, class T>
void storeu(T* p, const V& v) {
    if constexpr (is_batch<V>)
        v.store_unaligned(p);
    else
        *p = v;
}

// sqrt, exp, tanh: GCC does not vectorise a plain loop that calls them (without
// -fno-math-errno it keeps a scalar library call), so loops that need them come here.
template <class V>
V sqrt(const V& x) {
    if constexpr (is_batch<V>)
        return xsimd::sqrt(x);
    else
        return std::sqrt(x);
}

template <class V>
V exp(const V& x) {
    if constexpr (is_batch<V>)
        return xsimd::exp(x);
    else
        return std::exp(x);
}

template <class V>
V tanh(const V& x) {
    if constexpr (is_batch<V>)
        return xsimd::tanh(x);
    else
        return std::tanh(x);
}

template <class V>
V abs(const V& x) {
    if constexpr (is_batch<V>)
        return xsimd::abs(x);
    else
        return std::abs(x);
}

template <class V>
V max(const V& a, const V& b) {
    if constexpr (is_batch<V>)
        return xsimd::max(a, b);
    else
        return a > b ? a : b;
}

template <class V>
V sigmoid(const V& x) { return V(1) / (V(1) + exp(-x)); }

// The sum and the largest of a batch's lanes (of one value: itself).
template <class V>
auto reduce_add(const V& x) {
    if constexpr (is_batch<V>)
        return xsimd::hadd(x);
    else
        return x;
}

template <class V>
auto reduce_max(const V& x) {
    if constexpr (is_batch<V>) {  // xsimd 8 has no reduce_max
        alignas(64) typename V::value_type v[V::size];
        x.store_aligned(v);
        auto m = v[0];
        for (std::size_t i = 1; i < V::size; ++i) m = v[i] > m ? v[i] : m;
        return m;
    } else {
        return x;
    }
}

// body(i, V{}) handles elements [i, i + lanes of V): whole batches first, then one by one.
// V is the lambda's way to know which it got: `using V = decltype(like);`.
template <class T, class F>
void for_each(std::size_t n, F&& body) {
    std::size_t i = 0;
    if constexpr (lanes<T> > 1)
        for (; i + lanes<T> <= n; i += lanes<T>) body(i, Lane<T>(T(0)));
    for (; i < n; ++i) body(i, T(0));
}

// out_k[j] = body(in_0[j], ..., in_{NI-1}[j]) for j in [0, n); an output may be an input.
// The body receives `x` (the inputs) and `y` (the outputs) as arrays of Lane<T> at one
// offset and writes every y[k], which zip stores.
template <class T, std::size_t NI, std::size_t NO, class F>
void zip(std::size_t n, const std::array<const T*, NI>& in, const std::array<T*, NO>& out, F&& body) {
    constexpr std::size_t W = lanes<T>;
    std::array<Lane<T>, NI> x;
    std::array<Lane<T>, NO> y;
    std::size_t j = 0;
    for (; j + W <= n; j += W) {
        for (std::size_t k = 0; k < NI; ++k) x[k] = loadu<Lane<T>>(in[k] + j);
        body(x, y);
        for (std::size_t k = 0; k < NO; ++k) storeu(out[k] + j, y[k]);
    }
    if (j < n) {
        alignas(64) T tail[W] = {};
        for (std::size_t k = 0; k < NI; ++k) {
            for (std::size_t i = 0; i < W; ++i) tail[i] = i < n - j ? in[k][j + i] : T(0);
            x[k] = loadu<Lane<T>>(tail);
        }
        body(x, y);
        for (std::size_t k = 0; k < NO; ++k) {
            storeu(tail, y[k]);
            for (std::size_t i = 0; i < n - j; ++i) out[k][j + i] = tail[i];
        }
    }
}

// The sum over j in [0, n) of body(in_0[j], ..., in_{NI-1}[j]), added up lane by lane (the
// order of a vector sum, not of a plain loop): body gets x, an array of Lane<T>, or of T for
// the last elements, and returns one value of that type.
template <class T, std::size_t NI, class F>
T sum(std::size_t n, const std::array<const T*, NI>& in, F&& body) {
    constexpr std::size_t W = lanes<T>;
    Lane<T> acc(T(0));
    std::array<Lane<T>, NI> x;
    std::size_t j = 0;
    for (; j + W <= n; j += W) {
        for (std::size_t k = 0; k < NI; ++k) x[k] = loadu<Lane<T>>(in[k] + j);
        acc += body(x);
    }
    T total = reduce_add(acc);
    std::array<T, NI> one;
    for (; j < n; ++j) {
        for (std::size_t k = 0; k < NI; ++k) one[k] = in[k][j];
        total += body(one);
    }
    return total;
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

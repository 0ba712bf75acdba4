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

// Masked loads and stores where the ISA has them: `bytes` is their vector size (0: none).
namespace masked {
#if defined(__AVX512F__)
constexpr std::size_t bytes = 64;
inline __m512 load(const float* p, std::size_t m) { return _mm512_maskz_loadu_ps(__mmask16((1u << m) - 1), p); }
inline __m512d load(const double* p, std::size_t m) { return _mm512_maskz_loadu_pd(__mmask8((1u << m) - 1), p); }
inline void store(float* p, __m512 v, std::size_t m) { _mm512_mask_storeu_ps(p, __mmask16((1u << m) - 1), v); }
inline void store(double* p, __m512d v, std::size_t m) { _mm512_mask_storeu_pd(p, __mmask8((1u << m) - 1), v); }
#elif defined(__AVX2__)
constexpr std::size_t bytes = 32;
inline __m256i first8(std::size_t m) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(m)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
inline __m256i first4(std::size_t m) { return _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(m)), _mm256_setr_epi64x(0, 1, 2, 3)); }
inline __m256 load(const float* p, std::size_t m) { return _mm256_maskload_ps(p, first8(m)); }
inline __m256d load(const double* p, std::size_t m) { return _mm256_maskload_pd(p, first4(m)); }
inline void store(float* p, __m256 v, std::size_t m) { _mm256_maskstore_ps(p, first8(m), v); }
inline void store(double* p, __m256d v, std::size_t m) { _mm256_maskstore_pd(p, first4(m), v); }
#else
constexpr std::size_t bytes = 0;
template <class T>
T load(const T* p, std::size_t m);  // declared for the discarded branches below, never called
template <class T, class V>
void store(T* p, const V& v, std::size_t m);
#endif
}  // namespace masked

// The first m values at p (0 < m < lanes), the other lanes zero, and the store of a batch's
// first m lanes to p. Masked where the ISA allows: a row's last batch then neither touches
// memory past the row nor stalls on a vector load over values just stored one by one (that
// stall was an eighth of the LSTM's forward gate math at H = 100).
template <class V, class T>
V load_first(const T* p, std::size_t m) {
    if constexpr (is_batch<V> && sizeof(V) == masked::bytes) {
        return V(masked::load(p, m));
    } else {
        alignas(64) T part[lanes<T>] = {};
        for (std::size_t i = 0; i < m; ++i) part[i] = p[i];
        return loadu<V>(part);
    }
}

template <class V, class T>
void store_first(T* p, const V& v, std::size_t m) {
    if constexpr (is_batch<V> && sizeof(V) == masked::bytes) {
        masked::store(p, v, m);
    } else {
        alignas(64) T part[lanes<T>];
        storeu(part, v);
        for (std::size_t i = 0; i < m; ++i) p[i] = part[i];
    }
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
        for (std::size_t k = 0; k < NI; ++k) x[k] = load_first<Lane<T>>(in[k] + j, n - j);
        body(x, y);
        for (std::size_t k = 0; k < NO; ++k) store_first(out[k] + j, y[k], n - j);
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

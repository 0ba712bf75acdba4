// Vectorised element-wise kernels for the fused layers: the one SIMD switch.
// With XTENSOR_USE_XSIMD (the default build) they use xsimd batches (AVX2 on our
// machines); without it, the scalar loop beside them. Both give the same results to
// a few ulp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#ifdef XTENSOR_USE_XSIMD
#include <xsimd/xsimd.hpp>
#endif

namespace xg::simd {

#ifdef XTENSOR_USE_XSIMD
// dst[i] = f(src[i]) over whole batches; the last partial batch goes through a padded
// copy, so short rows (H = 100 is 12 batches and 4) never fall back to scalar exp/tanh.
template <class T, class F>
void map_batches(const T* src, T* dst, std::size_t n, F&& f) {
    using B = xsimd::batch<T>;
    std::size_t i = 0;
    for (; i + B::size <= n; i += B::size) f(B::load_unaligned(src + i)).store_unaligned(dst + i);
    if (i < n) {
        alignas(64) T tail[B::size] = {};
        std::copy(src + i, src + n, tail);
        f(B::load_aligned(tail)).store_aligned(tail);
        std::copy(tail, tail + (n - i), dst + i);
    }
}
#endif

// p[i] = 1 / (1 + exp(-p[i]))
template <class T>
void sigmoid_inplace(T* p, std::size_t n) {
#ifdef XTENSOR_USE_XSIMD
    using B = xsimd::batch<T>;
    map_batches(p, p, n, [](const B& x) { return B(T(1)) / (B(T(1)) + xsimd::exp(-x)); });
#else
    for (std::size_t i = 0; i < n; ++i) p[i] = T(1) / (T(1) + std::exp(-p[i]));
#endif
}

// dst[i] = tanh(src[i]); dst may equal src
template <class T>
void tanh_to(const T* src, T* dst, std::size_t n) {
#ifdef XTENSOR_USE_XSIMD
    using B = xsimd::batch<T>;
    map_batches(src, dst, n, [](const B& x) { return xsimd::tanh(x); });
#else
    for (std::size_t i = 0; i < n; ++i) dst[i] = std::tanh(src[i]);
#endif
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

// Vectorised element-wise kernels for the fused layers: the one SIMD switch.
// With XTENSOR_USE_XSIMD (the default build) they use xsimd batches (AVX2 on our
// machines); without it, the scalar loop beside them. Both give the same results to
// a few ulp.
#pragma once

#include <cmath>
#include <cstddef>

#ifdef XTENSOR_USE_XSIMD
#include <xsimd/xsimd.hpp>
#endif

namespace xg::simd {

// p[i] = 1 / (1 + exp(-p[i]))
template <class T>
void sigmoid_inplace(T* p, std::size_t n) {
    std::size_t i = 0;
#ifdef XTENSOR_USE_XSIMD
    using B = xsimd::batch<T>;
    for (; i + B::size <= n; i += B::size) {
        const B x = B::load_unaligned(p + i);
        (B(T(1)) / (B(T(1)) + xsimd::exp(-x))).store_unaligned(p + i);
    }
#endif
    for (; i < n; ++i) p[i] = T(1) / (T(1) + std::exp(-p[i]));
}

// dst[i] = tanh(src[i]); dst may equal src
template <class T>
void tanh_to(const T* src, T* dst, std::size_t n) {
    std::size_t i = 0;
#ifdef XTENSOR_USE_XSIMD
    using B = xsimd::batch<T>;
    for (; i + B::size <= n; i += B::size) xsimd::tanh(B::load_unaligned(src + i)).store_unaligned(dst + i);
#endif
    for (; i < n; ++i) dst[i] = std::tanh(src[i]);
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

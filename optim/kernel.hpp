// Internal: the element loops of the optimizers, written once for one float and for an
// xsimd batch of floats. GCC does not vectorise a plain loop that calls sqrt (it keeps a
// scalar library call for errno unless -fno-math-errno), so Adam, AdamW, RMSprop and
// Adagrad run their loops through for_each; loops without sqrt stay plain loops.
// Without XTENSOR_USE_XSIMD only the scalar loop is left. Not an installed header.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#ifdef XTENSOR_USE_XSIMD
#include <xsimd/xsimd.hpp>
#endif

namespace xg::optim::kernel {

// V is float or xsimd::batch<float>; arithmetic with float constants works for both.
template <class V>
V load(const float* p) {
    if constexpr (std::is_same_v<V, float>)
        return *p;
    else
        return V::load_unaligned(p);
}

inline void store(float* p, float x) { *p = x; }
inline float sqrt(float x) { return std::sqrt(x); }
inline float max(float a, float b) { return a > b ? a : b; }

#ifdef XTENSOR_USE_XSIMD
using Batch = xsimd::batch<float>;
inline void store(float* p, const Batch& x) { x.store_unaligned(p); }
inline Batch sqrt(const Batch& x) { return xsimd::sqrt(x); }
inline Batch max(const Batch& a, const Batch& b) { return xsimd::max(a, b); }
#endif

// body(i, V{}) handles elements [i, i + size of V): whole batches first, then one by one.
template <class F>
void for_each(std::size_t n, F&& body) {
    std::size_t i = 0;
#ifdef XTENSOR_USE_XSIMD
    for (; i + Batch::size <= n; i += Batch::size) body(i, Batch(0.f));
#endif
    for (; i < n; ++i) body(i, 0.f);
}

}  // namespace xg::optim::kernel

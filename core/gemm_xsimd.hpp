// The vector type the GEMM loop nest (gemm_kernel.hpp) takes, over an xsimd batch of one
// architecture. Included by the per-ISA files only.
#pragma once

#include "core/quiet_intrinsics.hpp"  // first: before anything includes <immintrin.h>

#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "core/gemm_kernel.hpp"

namespace xg::gemm::detail {
namespace {

template <class T, class Arch>
struct XsimdVec {
    using scalar = T;
    using reg = xsimd::batch<T, Arch>;
    static constexpr std::size_t width = reg::size;
    static reg zero() { return reg(T(0)); }
    static reg broadcast(T x) { return reg(x); }
    static reg load(const T* p) { return reg::load_aligned(p); }  // packed panels are 64-byte aligned
    static reg load_unaligned(const T* p) { return reg::load_unaligned(p); }
    static void store(T* p, const reg& v) { v.store_unaligned(p); }
    static reg add(const reg& a, const reg& b) { return a + b; }
    static void pin(reg& v) {
        typename reg::register_type r = v;
        asm("" : "+v"(r));  // the value now lives in a register
        v = r;
    }
    static reg fma(const reg& a, const reg& b, const reg& c) { return xsimd::fma(a, b, c); }
};

}  // namespace
}  // namespace xg::gemm::detail

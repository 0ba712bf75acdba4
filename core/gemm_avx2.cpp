// The GEMM loop nest for AVX2 with FMA (compiled with -mavx2 -mfma): 4 x 24 float tiles,
// 12 ymm accumulators, 3 for B and 1 broadcast of the 16 registers.
#include "core/gemm_xsimd.hpp"  // first: it quiets GCC 12 about the intrinsics

#include <xsimd/xsimd.hpp>

namespace xg::gemm::detail {
namespace {

// 8 x 8 floats: pairs of rows interleaved by 1, then 2 values, then 128-bit halves
void transpose8(const float* src, std::size_t lds, float* dst, std::size_t ldd) {
    __m256 r[8], t[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4)
        for (int h = 0; h < 2; ++h) {
            r[i + 2 * h] = _mm256_shuffle_ps(t[i + h], t[i + h + 2], 0x44);
            r[i + 2 * h + 1] = _mm256_shuffle_ps(t[i + h], t[i + h + 2], 0xee);
        }
    for (int j = 0; j < 4; ++j) {
        _mm256_storeu_ps(dst + j * ldd, _mm256_permute2f128_ps(r[j], r[j + 4], 0x20));
        _mm256_storeu_ps(dst + (j + 4) * ldd, _mm256_permute2f128_ps(r[j], r[j + 4], 0x31));
    }
}

}  // namespace

Kernel<float> avx2_kernel(float) { return make_kernel<XsimdVec<float, xsimd::fma3<xsimd::avx2>>, 4, 3, &transpose8>(); }
Kernel<double> avx2_kernel(double) { return make_kernel<XsimdVec<double, xsimd::fma3<xsimd::avx2>>, 6, 2>(); }
}  // namespace xg::gemm::detail

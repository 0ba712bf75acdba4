// The GEMM loop nest for AVX-512 (compiled with -mavx512f -mfma): 8 x 32 float tiles,
// 16 zmm accumulators.
#include "core/gemm_xsimd.hpp"  // first: it quiets GCC 12 about the intrinsics

#include <xsimd/xsimd.hpp>

namespace xg::gemm::detail {
namespace {

// 16 x 16 floats: pairs of rows interleaved by 1, 2, then 4 and 8 values (128-bit lanes)
void transpose16(const float* src, std::size_t lds, float* dst, std::size_t ldd) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * lds);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4)
        for (int h = 0; h < 2; ++h) {
            const __m512d a = _mm512_castps_pd(t[i + h]), b = _mm512_castps_pd(t[i + h + 2]);
            r[i + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            r[i + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    for (int i = 0; i < 16; i += 8)
        for (int j = 0; j < 4; ++j) {
            t[i + j] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0x88);
            t[i + j + 4] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0xdd);
        }
    for (int j = 0; j < 8; ++j) {
        _mm512_storeu_ps(dst + j * ldd, _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88));
        _mm512_storeu_ps(dst + (j + 8) * ldd, _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd));
    }
}

}  // namespace

Kernel<float> avx512_kernel(float) { return make_kernel<XsimdVec<float, xsimd::avx512f>, 8, 2, &transpose16>(); }
Kernel<double> avx512_kernel(double) { return make_kernel<XsimdVec<double, xsimd::avx512f>, 8, 2>(); }
}  // namespace xg::gemm::detail

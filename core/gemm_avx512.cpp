// The GEMM loop nest for AVX-512 (compiled with -mavx512f -mfma): 8 x 32 float tiles,
// 16 zmm accumulators.
#include <xsimd/xsimd.hpp>

#include "core/gemm_xsimd.hpp"

namespace xg::gemm::detail {
Kernel<float> avx512_kernel(float) { return make_kernel<XsimdVec<float, xsimd::avx512f>, 8, 2>(); }
Kernel<double> avx512_kernel(double) { return make_kernel<XsimdVec<double, xsimd::avx512f>, 8, 2>(); }
}  // namespace xg::gemm::detail

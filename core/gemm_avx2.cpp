// The GEMM loop nest for AVX2 with FMA (compiled with -mavx2 -mfma): 6 x 16 float tiles,
// 12 ymm accumulators, 2 for B and 1 broadcast of the 16 registers.
#include <xsimd/xsimd.hpp>

#include "core/gemm_xsimd.hpp"

namespace xg::gemm::detail {
Kernel<float> avx2_kernel(float) { return make_kernel<XsimdVec<float, xsimd::fma3<xsimd::avx2>>, 4, 3>(); }
Kernel<double> avx2_kernel(double) { return make_kernel<XsimdVec<double, xsimd::fma3<xsimd::avx2>>, 6, 2>(); }
}  // namespace xg::gemm::detail

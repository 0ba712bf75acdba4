// The GEMM loop nest in plain C++ for CPUs without AVX2 (and other architectures): 16-byte
// vectors through GCC's vector extension (SSE2 on any x86-64, NEON on Arm), 4 x 16 float tiles.
#include <cstring>

#include "core/gemm_kernel.hpp"

namespace xg::gemm::detail {
namespace {

template <class T>
struct PlainVec {
    using scalar = T;
    typedef T reg __attribute__((vector_size(16)));
    static constexpr std::size_t width = 16 / sizeof(T);
    static reg zero() { return reg{} ; }
    static reg broadcast(T x) { return reg{} + x; }
    static reg load(const T* p) { reg v; std::memcpy(&v, p, sizeof v); return v; }
    static reg load_unaligned(const T* p) { return load(p); }
    static void store(T* p, const reg& v) { std::memcpy(p, &v, sizeof v); }
    static void pin(reg&) {}
    static reg add(const reg& a, const reg& b) { return a + b; }
    static reg fma(const reg& a, const reg& b, const reg& c) { return a * b + c; }
};

}  // namespace

Kernel<float> generic_kernel(float) { return make_kernel<PlainVec<float>, 4, 4>(); }
Kernel<double> generic_kernel(double) { return make_kernel<PlainVec<double>, 4, 4>(); }
}  // namespace xg::gemm::detail

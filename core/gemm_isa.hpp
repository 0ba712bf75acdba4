// What each ISA's GEMM file (gemm_<isa>.cpp) gives gemm.cpp: its tile sizes and its loop
// nest (gemm_kernel.hpp). Internal to autograd/.
#pragma once

#include <cstddef>

namespace xg::gemm::detail {

// Cache blocking of K, every ISA: a KC-deep slice of one B panel (KC NR values, 32 KiB for
// AVX-512 floats) stays in L1 while rows of A stream past it (gemm.hpp's k_block)
constexpr std::size_t KC = 256;

// op(A) of a product: A(m, k) = a[m * rs + k * cs], or rows[m][k] when rows is set (rows
// from anywhere, which the loop nest copies one block of rows at a time)
template <class T>
struct OperandA {
    const T* a = nullptr;
    std::size_t rs = 0, cs = 0;
    const T* const* rows = nullptr;
    // the same operand from row m on
    OperandA from(std::size_t m) const { return rows ? OperandA{nullptr, 0, 0, rows + m} : OperandA{a + m * rs, rs, cs, nullptr}; }
};

template <class T>
struct Kernel {
    std::size_t mr = 0, nr = 0;  // register tile: MR rows of C by NR columns (the panel width)
    // C rows [0, M), panels [p0, p1) (+)= op(A) B; not accumulating, a non-null bias (N
    // values) is added to every row of C
    void (*run)(std::size_t M, std::size_t K, const OperandA<T>& a, const T* bp, std::size_t N, std::size_t p0, std::size_t p1,
                bool accumulate, const T* bias, T* c, std::size_t ldc) = nullptr;
    // One panel (K rows of nr values) of a B whose columns are contiguous: column j < n at
    // b + j * ldb, zeros past n
    void (*pack_columns)(const T* b, std::size_t ldb, std::size_t K, std::size_t n, T* panel) = nullptr;
};

Kernel<float> generic_kernel(float);
Kernel<double> generic_kernel(double);
#ifdef XG_GEMM_X86
Kernel<float> avx2_kernel(float);
Kernel<double> avx2_kernel(double);
Kernel<float> avx512_kernel(float);
Kernel<double> avx512_kernel(double);
#endif

}  // namespace xg::gemm::detail

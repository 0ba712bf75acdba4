// The GEMM microkernel and its loop nest, written once and compiled once per ISA
// (gemm_avx512.cpp, gemm_avx2.cpp, gemm_generic.cpp, each with its own -m flags).
// Not a public header; include it from those files only, and keep it free of anything
// that is not a template on the vector type (an inline function compiled with -mavx512f
// could be picked by the linker for callers on older CPUs).
//
// Legend: C (M, N) += A (M, K) B (K, N). B is packed (gemm.hpp): panel p holds columns
// [p NR, p NR + NR) as K rows of NR values. One call of the microkernel computes an
// (MR, NR) tile of C in registers: per k, NR / W vector loads of B, MR broadcasts of A, MR * NR / W FMAs.
#pragma once

#include <cstddef>
#include <type_traits>

#include "core/gemm_isa.hpp"
#include "core/workspace.hpp"  // workspace_acquire/release only: its templates would be compiled for this ISA

namespace xg::gemm::detail {
namespace {

// Cache blocking: MC rows of A (in L2) stream past a KC-deep slice of a B panel (gemm_isa.hpp)
constexpr std::size_t MC = 96;

// c (m, n) (+)= a (m, kc) * b-panel slice (kc, NR); m = M rows, n <= NV * W columns of the
// panel's NP * W (a last, partial panel computes only the vectors it needs). Not accumulating,
// a non-null bias (n values) is added to every row, as if c had held it.
template <class V, std::size_t M, std::size_t NV, std::size_t NP>
void micro(std::size_t kc, const typename V::scalar* a, std::size_t rs, std::size_t cs, const typename V::scalar* b,
           typename V::scalar* c, std::size_t ldc, std::size_t n, bool accumulate, const typename V::scalar* bias) {
    using T = typename V::scalar;
    using R = typename V::reg;
    constexpr std::size_t W = V::width, NR = NP * W;
    R acc[M][NV];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < M; ++i)
#pragma GCC unroll 8
        for (std::size_t v = 0; v < NV; ++v) acc[i][v] = V::zero();
    for (std::size_t k = 0; k < kc; ++k) {
        R bv[NV];
#pragma GCC unroll 8
        for (std::size_t v = 0; v < NV; ++v) {
            bv[v] = V::load(b + k * NR + v * W);
            V::pin(bv[v]);  // NOTE: else GCC re-reads B in every FMA, and the loads, not the FMAs, bound the loop
        }
        const T* ak = a + k * cs;
#pragma GCC unroll 16
        for (std::size_t i = 0; i < M; ++i) {
            const R ai = V::broadcast(ak[i * rs]);
#pragma GCC unroll 8
            for (std::size_t v = 0; v < NV; ++v) acc[i][v] = V::fma(ai, bv[v], acc[i][v]);
        }
    }
    if (n == NV * W) {
#pragma GCC unroll 16
        for (std::size_t i = 0; i < M; ++i)
#pragma GCC unroll 8
            for (std::size_t v = 0; v < NV; ++v) {
                T* ci = c + i * ldc + v * W;
                const T* add = accumulate ? ci : bias ? bias + v * W : nullptr;
                V::store(ci, add ? V::add(acc[i][v], V::load_unaligned(add)) : acc[i][v]);
            }
        return;
    }
    // a partial panel: through a tile, then the n valid columns
    constexpr std::size_t TW = NV * W;
    alignas(64) T tile[M * TW];
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t v = 0; v < NV; ++v) V::store(tile + i * TW + v * W, acc[i][v]);
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < n; ++j)
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i * TW + j] : bias ? bias[j] + tile[i * TW + j] : tile[i * TW + j];
}

// the microkernel for m = 1 ... MR rows, and for the vectors a partial last panel needs
template <class V, std::size_t MR, std::size_t NV, std::size_t NP = NV>
void micro_tile(std::size_t m, std::size_t kc, const typename V::scalar* a, std::size_t rs, std::size_t cs,
                const typename V::scalar* b, typename V::scalar* c, std::size_t ldc, std::size_t n, bool accumulate,
                const typename V::scalar* bias) {
    if constexpr (NV > 1) {
        if (n <= (NV - 1) * V::width) return micro_tile<V, MR, NV - 1, NP>(m, kc, a, rs, cs, b, c, ldc, n, accumulate, bias);
    }
    if constexpr (MR > 1) {
        if (m < MR) return micro_tile<V, MR - 1, NV, NP>(m, kc, a, rs, cs, b, c, ldc, n, accumulate, bias);
    }
    micro<V, MR, NV, NP>(kc, a, rs, cs, b, c, ldc, n, accumulate, bias);
}

// workspace memory for this call (through the functions, not Workspace<T>: its inline
// members would be compiled here with this file's ISA flags, see the top of this file)
template <class T>
struct Scratch {
    T* p;
    std::size_t n;
    explicit Scratch(std::size_t count) : p(count ? static_cast<T*>(workspace_acquire(count * sizeof(T))) : nullptr), n(count) {}
    ~Scratch() { workspace_release(p, n * sizeof(T)); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
};

// A transposed (its rows are columns in memory, cs = lda): copy the block rows [m0, m1) x
// k [k0, k0 + kc) into MR-row strips, each k's MR values side by side. Read in place, the
// block's rows lie lda apart, and a power-of-two lda puts every k of a strip in one L1 set.
template <std::size_t MR, class T>
void pack_a_strips(const T* a, std::size_t cs, std::size_t m, std::size_t kc, T* out) {
    const std::size_t full = m / MR * MR;
    for (std::size_t k = 0; k < kc; ++k) {  // row k of the block is contiguous: read it once, in order
        const T* row = a + k * cs;
        for (std::size_t s = 0; s < full; s += MR)
#pragma GCC unroll 16
            for (std::size_t i = 0; i < MR; ++i) out[s * kc + k * MR + i] = row[s + i];
        for (std::size_t i = full; i < m; ++i) out[full * kc + k * MR + i - full] = row[i];
    }
}

// A given as rows (rows[m] holds A(m, 0...)): the block rows [0, m) x k [k0, k0 + kc) copied
// together, row-major (rows kc apart), where the microkernel reads them as it reads A in place.
template <class T>
void gather_a_rows(const T* const* rows, std::size_t k0, std::size_t m, std::size_t kc, T* out) {
    for (std::size_t i = 0; i < m; ++i) {
        const T* row = rows[i] + k0;
        for (std::size_t k = 0; k < kc; ++k) out[i * kc + k] = row[k];
    }
}

// C rows [0, M) and panels [p0, p1): the loop nest around the microkernel
template <class V, std::size_t MR, std::size_t NV>
void run(std::size_t M, std::size_t K, const OperandA<typename V::scalar>& op_a, const typename V::scalar* bp, std::size_t N,
         std::size_t p0, std::size_t p1, bool accumulate, const typename V::scalar* bias, typename V::scalar* c, std::size_t ldc) {
    using T = typename V::scalar;
    constexpr std::size_t NR = NV * V::width;
    const T* const a = op_a.a;
    const std::size_t rs = op_a.rs, cs = op_a.cs;
    // a transposed block packed once serves every panel; a block of rows is gathered
    const bool pack_a = !op_a.rows && rs == 1 && cs > 1 && p1 - p0 > 1;
    const Scratch<T> scratch(pack_a || op_a.rows ? MC * KC : 0);
    T* const block = scratch.p;
    for (std::size_t k0 = 0; k0 < K; k0 += KC) {
        const std::size_t kc = K - k0 < KC ? K - k0 : KC;
        const bool acc = accumulate || k0 > 0;
        for (std::size_t m0 = 0; m0 < M; m0 += MC) {
            const std::size_t m1 = M - m0 < MC ? M : m0 + MC;
            if (op_a.rows) gather_a_rows(op_a.rows + m0, k0, m1 - m0, kc, block);
            else if (pack_a) pack_a_strips<MR>(a + m0 + k0 * cs, cs, m1 - m0, kc, block);
            for (std::size_t p = p0; p < p1; ++p) {
                const std::size_t n0 = p * NR, n = N - n0 < NR ? N - n0 : NR;
                const auto* b = bp + p * K * NR + k0 * NR;
                const T* bn = !acc && bias ? bias + n0 : nullptr;  // the first K block adds the bias
                for (std::size_t i = m0; i < m1; i += MR) {
                    const std::size_t m = m1 - i < MR ? m1 - i : MR;
                    if (op_a.rows)
                        micro_tile<V, MR, NV>(m, kc, block + (i - m0) * kc, kc, 1, b, c + i * ldc + n0, ldc, n, acc, bn);
                    else if (pack_a)
                        micro_tile<V, MR, NV>(m, kc, block + (i - m0) * kc, 1, MR, b, c + i * ldc + n0, ldc, n, acc, bn);
                    else
                        micro_tile<V, MR, NV>(m, kc, a + i * rs + k0 * cs, rs, cs, b, c + i * ldc + n0, ldc, n, acc, bn);
                }
            }
        }
    }
}

// A W x W transpose, W = the vector width: dst row k (of ldd values) = column k of src's W
// rows (lds values apart). In intrinsics, in the per-ISA files (gemm_avx512.cpp,
// gemm_avx2.cpp): xsimd 8 has no transpose.
template <class T>
using TransposeBlock = void (*)(const T* src, std::size_t lds, T* dst, std::size_t ldd);

// Kernel::pack_columns: W x W blocks by Block where there is one (about 4x faster than value by
// value), the rest value by value, one cache line of each column at a time (what it writes
// stays in L1). Block is a TransposeBlock or nullptr (a pointer template argument compared
// with null would draw GCC's -Waddress).
template <class V, std::size_t NR, auto Block>
void pack_columns(const typename V::scalar* b, std::size_t ldb, std::size_t K, std::size_t n, typename V::scalar* panel) {
    using T = typename V::scalar;
    constexpr std::size_t W = V::width, KB = 64 / sizeof(T);
    constexpr bool blocks = !std::is_null_pointer_v<decltype(Block)>;
    static_assert(!blocks || std::is_same_v<decltype(Block), TransposeBlock<T>>, "Block: a TransposeBlock of V's width");
    const std::size_t kt = blocks ? K / W * W : 0, nt = blocks ? n / W * W : 0;  // [0, kt) x [0, nt) in blocks
    if constexpr (blocks)
        for (std::size_t k0 = 0; k0 < kt; k0 += W)
            for (std::size_t j0 = 0; j0 < nt; j0 += W) Block(b + j0 * ldb + k0, ldb, panel + k0 * NR + j0, NR);
    for (std::size_t k0 = 0; k0 < K; k0 += KB) {
        const std::size_t k1 = K - k0 < KB ? K : k0 + KB;
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t k = j < nt && k0 < kt ? kt : k0; k < k1; ++k) panel[k * NR + j] = b[j * ldb + k];
    }
    for (std::size_t k = 0; k < K && n < NR; ++k)
        for (std::size_t j = n; j < NR; ++j) panel[k * NR + j] = T(0);
}

template <class V, std::size_t MR, std::size_t NV, auto Block = nullptr>  // Block: a TransposeBlock of W x W or none
Kernel<typename V::scalar> make_kernel() {
    return Kernel<typename V::scalar>{MR, NV * V::width, &run<V, MR, NV>, &pack_columns<V, NV * V::width, Block>};
}

}  // namespace
}  // namespace xg::gemm::detail

/// \file
/// xgrad's own GEMM for the hot loops: register-blocked xsimd microkernels for AVX-512,
/// AVX2+FMA and a plain fallback, chosen by the CPU's ISA flags (never a CPU-model table or
/// an environment variable), with the right-hand matrix packed once and reused.
///
///   auto w = xg::gemm::pack(w_hh, H, /*trans=*/true, H, 4 * H);    // B = W_hh^T, (K, N)
///   for (t...) xg::gemm::multiply(B, h_prev, H, false, w, true, a_t, 4 * H);  // a_t += h W_hh^T
///
/// Legend: C (M, N) = op(A) (M, K) * B (K, N), row-major. The packed layout is N cut into
/// panels of NR columns, each panel K rows of NR contiguous values (zero-padded), the order
/// the microkernel streams it in; one packing serves every time step, both passes and every
/// thread. A is read in place (row- or column-major, or as a list of rows), C accumulates or is
/// overwritten.
/// Results do not depend on the thread count: each C element is summed in one fixed order.
#pragma once

#include <cstddef>
#include <memory>

#include "core/instantiate.hpp"
#include "core/workspace.hpp"

namespace xg::gemm {

/// A microkernel family: portable C++, AVX2 with FMA, or AVX-512.
enum class Isa { generic, avx2, avx512 };

const char* isa_name(Isa isa);     ///< "avx512", "avx2", "generic"
bool isa_supported(Isa isa);       ///< compiled in and run by this CPU
Isa best_isa();                    ///< the fastest supported one
Isa active_isa();                  ///< what pack() uses by default (best_isa() unless set)
void set_isa(Isa isa);             ///< force a path (tests, benchmarks); an error if unsupported

/// Every product sums K in blocks of this many, in order: a product split at multiples of it
/// into products that accumulate gives the same bits as the whole (a long K can then be
/// packed a block of rows at a time).
constexpr std::size_t k_block = 256;

/// B (K, N) in the microkernel's layout for one ISA. Move-only; share it through a pointer.
template <class T>
struct PackedB {
    Isa isa = Isa::generic;            ///< the kernel it was packed for; multiply() uses that one
    std::size_t K = 0, N = 0, nr = 0;  ///< nr: panel width
    /** \var K
        B's rows (the product's inner dimension). */
    /** \var N
        B's columns. */
    Workspace<T> data;                 ///< ceil(N / nr) panels of K * nr
};

/// B(k, n) = trans ? b[n * ldb + k] : b[k * ldb + n]
template <class T>
PackedB<T> pack(const T* b, std::size_t ldb, bool trans, std::size_t K, std::size_t N, Isa isa = active_isa());

/// B (K, N) whose row k is the N values at rows[k]: rows gathered from anywhere (a padded
/// sequence's rows in packed order) go straight into the packed layout, with no gathered copy.
template <class T>
PackedB<T> pack_rows(const T* const* rows, std::size_t K, std::size_t N, Isa isa = active_isa());

/// B (K, N) whose row k is the n_left values at left[k] followed by the N - n_left at
/// right[k]: two gathered operands side by side, so that one product serves both (a recurrent
/// layer's dW_hh and dW_ih share one packing of dA^T). The bits of the joined copy packed.
template <class T>
PackedB<T> pack_joined_rows(const T* const* left, std::size_t n_left, const T* const* right, std::size_t K, std::size_t N,
                            Isa isa = active_isa());

/// C (M, N) (+)= op(A) B, op(A)(m, k) = trans_a ? a[k * lda + m] : a[m * lda + k]. Splits over
/// xgrad's threads when the product is large and no parallel region is running. Not
/// accumulating, a non-null bias (N values) is added to every row of C, in the same order as
/// C = bias followed by an accumulating product, without the pass that fills C.
template <class T>
void multiply(std::size_t M, const T* a, std::size_t lda, bool trans_a, const PackedB<T>& b, bool accumulate, T* c,
              std::size_t ldc, const T* bias = nullptr);

/// multiply() with A's row m the K values at a_rows[m]: rows gathered from anywhere (a padded
/// sequence's rows in packed order) are read where they live, with no gathered copy; the same
/// bits as multiply() of the gathered copy.
template <class T>
void multiply_rows(std::size_t M, const T* const* a_rows, const PackedB<T>& b, bool accumulate, T* c, std::size_t ldc,
                   const T* bias = nullptr);

/// Part `part` of `parts` of multiply() (accumulate and bias as there), on the calling thread:
/// the columns of C in a contiguous run of B's panels. The parts together compute C bit for
/// bit as multiply() does; a team's members each take one (core/parallel.hpp's run_team).
template <class T>
void multiply_part(std::size_t part, std::size_t parts, std::size_t M, const T* a, std::size_t lda, bool trans_a,
                   const PackedB<T>& b, bool accumulate, T* c, std::size_t ldc, const T* bias = nullptr);
/// One-off product: packs B, then multiply().
template <class T>
void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, bool accumulate, T* c, std::size_t ldc, const T* bias = nullptr);

/// The reference: three plain loops, summed in double (tests check every path against it).
template <class T>
void reference(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const T* a, std::size_t lda,
               const T* b, std::size_t ldb, bool accumulate, T* c, std::size_t ldc);

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_GEMM_FUNCTIONS(T, OP, OVERLOAD) OP(T, pack) OP(T, pack_rows) OP(T, pack_joined_rows) OP(T, multiply) OP(T, multiply_rows) OP(T, multiply_part) OP(T, gemm) OP(T, reference)
XG_DECLARE_OPS(XG_GEMM_FUNCTIONS)

}  // namespace xg::gemm

#include "core/gemm.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/error.hpp"
#include "core/gemm_isa.hpp"
#include "core/parallel.hpp"

namespace xg::gemm {

static_assert(k_block == detail::KC, "gemm.hpp's k_block is the kernels' K blocking");

namespace {

// What the compiler may assume (a native build for an AVX-512 machine can skip the check).
constexpr Isa compiled_isa() {
#if defined(__AVX512F__)
    return Isa::avx512;
#elif defined(__AVX2__) && defined(__FMA__)
    return Isa::avx2;
#else
    return Isa::generic;
#endif
}

Isa detect() {
    Isa found = Isa::generic;
#ifdef XG_GEMM_X86
    __builtin_cpu_init();
    // libgcc's flags include the OS's consent (XCR0) to the wider registers
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) found = Isa::avx2;
    if (__builtin_cpu_supports("avx512f")) found = Isa::avx512;
#endif
    return std::max(found, compiled_isa());
}

Isa& detected() {
    static Isa isa = detect();
    return isa;
}

std::atomic<Isa>& chosen() {
    static std::atomic<Isa> isa{detected()};
    return isa;
}

template <class T>
detail::Kernel<T> kernel(Isa isa) {
    switch (isa) {
#ifdef XG_GEMM_X86
        case Isa::avx512: return detail::avx512_kernel(T());
        case Isa::avx2: return detail::avx2_kernel(T());
#endif
        default: return detail::generic_kernel(T());
    }
}

// Below this many multiply-adds a product is not worth a thread start.
constexpr double kSplitWork = 2e6;
// Below this many values of B, packing is not worth a wake-up.
constexpr double kSplitPack = 65536;

}  // namespace

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::avx512: return "avx512";
        case Isa::avx2: return "avx2";
        default: return "generic";
    }
}

bool isa_supported(Isa isa) { return isa <= detected(); }
Isa best_isa() { return detected(); }
Isa active_isa() { return chosen().load(std::memory_order_relaxed); }

void set_isa(Isa isa) {
    XG_CHECK(isa_supported(isa), "gemm: this CPU (or build) has no " << isa_name(isa) << " kernels; best is "
                                                                      << isa_name(best_isa()));
    chosen().store(isa, std::memory_order_relaxed);
}

namespace {

// An empty packing of B (K, N) for `isa`, ceil(N / nr) panels of K rows of nr values.
template <class T>
PackedB<T> packing(std::size_t K, std::size_t N, Isa isa) {
    XG_CHECK(isa_supported(isa), "gemm: this CPU (or build) has no " << isa_name(isa) << " kernels");
    PackedB<T> p;
    p.isa = isa;
    p.K = K;
    p.N = N;
    p.nr = kernel<T>(isa).nr;
    p.data = workspace<T>(std::max<std::size_t>(1, (N + p.nr - 1) / p.nr * K * p.nr));
    return p;
}

// body(first, last) over [0, count): split over the threads for a big B (the recurrent
// weights, packed while the other threads wait), else at once on this thread
template <class Body>
void pack_in_parts(std::size_t count, std::size_t K, std::size_t N, const Body& body) {
    const std::size_t threads = std::size_t(get_num_threads());
    if (threads > 1 && count >= 2 * threads && double(K) * double(N) >= kSplitPack && !in_parallel_region()) {
        const std::size_t per = (count + threads - 1) / threads;
        parallel_for(threads, [&](std::size_t u) { body(std::min(count, u * per), std::min(count, (u + 1) * per)); });
    } else {
        body(0, count);
    }
}

// Rows [k0, k1) of B (row(k) points at B(k, 0)) into every panel: B is read once, in order.
// NR values a panel row, NR fixed: whole panel rows are copied inline, not by a memmove call.
template <std::size_t NR, class T, class Row>
void copy_rows(PackedB<T>& p, std::size_t k0, std::size_t k1, const Row& row) {
    const std::size_t nr = NR ? NR : p.nr, whole = p.N / nr * nr;
    for (std::size_t k = k0; k < k1; ++k) {
        const T* src = row(k);
        for (std::size_t n0 = 0; n0 < whole; n0 += nr) std::memcpy(p.data.get() + (n0 / nr * p.K + k) * nr, src + n0, nr * sizeof(T));
        if (whole < p.N) {
            T* dst = p.data.get() + (whole / nr * p.K + k) * nr;
            std::copy_n(src + whole, p.N - whole, dst);
            std::fill(dst + p.N - whole, dst + nr, T(0));
        }
    }
}

template <class T, class Row>
void copy_rows(PackedB<T>& p, std::size_t k0, std::size_t k1, const Row& row) {
    switch (p.nr) {  // the panel widths of the kernels (gemm_<isa>.cpp)
        case 8: return copy_rows<8>(p, k0, k1, row);
        case 16: return copy_rows<16>(p, k0, k1, row);
        case 24: return copy_rows<24>(p, k0, k1, row);
        case 32: return copy_rows<32>(p, k0, k1, row);
        default: return copy_rows<0>(p, k0, k1, row);
    }
}

// Panels [q0, q1) of a B whose columns are contiguous (B(k, n) = b[n * ldb + k]): a
// transposing copy by the ISA's kernel (vector transposes), one panel at a time.
template <class T>
void copy_columns(PackedB<T>& p, std::size_t q0, std::size_t q1, const T* b, std::size_t ldb) {
    const auto pack_columns = kernel<T>(p.isa).pack_columns;
    for (std::size_t q = q0; q < q1; ++q) {
        const std::size_t n0 = q * p.nr;
        pack_columns(b + n0 * ldb, ldb, p.K, std::min(p.nr, p.N - n0), p.data.get() + q * p.K * p.nr);
    }
}

}  // namespace

template <class T>
PackedB<T> pack(const T* b, std::size_t ldb, bool trans, std::size_t K, std::size_t N, Isa isa) {
    PackedB<T> p = packing<T>(K, N, isa);
    if (trans)
        pack_in_parts((N + p.nr - 1) / p.nr, K, N, [&](std::size_t q0, std::size_t q1) { copy_columns(p, q0, q1, b, ldb); });
    else
        pack_in_parts(K, K, N, [&](std::size_t k0, std::size_t k1) { copy_rows(p, k0, k1, [&](std::size_t k) { return b + k * ldb; }); });
    return p;
}

template <class T>
PackedB<T> pack_rows(const T* const* rows, std::size_t K, std::size_t N, Isa isa) {
    PackedB<T> p = packing<T>(K, N, isa);
    pack_in_parts(K, K, N, [&](std::size_t k0, std::size_t k1) { copy_rows(p, k0, k1, [&](std::size_t k) { return rows[k]; }); });
    return p;
}

template <class T>
PackedB<T> pack_joined_rows(const T* const* left, std::size_t n_left, const T* const* right, std::size_t K, std::size_t N,
                            Isa isa) {
    XG_CHECK(n_left <= N, "gemm::pack_joined_rows: " << n_left << " left columns of " << N);
    PackedB<T> p = packing<T>(K, N, isa);
    pack_in_parts(K, K, N, [&](std::size_t k0, std::size_t k1) {
        for (std::size_t k = k0; k < k1; ++k)  // each panel's columns from left below n_left, from right above
            for (std::size_t n0 = 0; n0 < N; n0 += p.nr) {
                T* dst = p.data.get() + (n0 / p.nr * K + k) * p.nr;
                const std::size_t n1 = std::min(N, n0 + p.nr), split = std::clamp(n_left, n0, n1);
                for (std::size_t n = n0; n < split; ++n) dst[n - n0] = left[k][n];
                for (std::size_t n = split; n < n1; ++n) dst[n - n0] = right[k][n - n_left];
                for (std::size_t n = n1; n < n0 + p.nr; ++n) dst[n - n0] = T(0);
            }
    });
    return p;
}

namespace {

template <class T>
detail::OperandA<T> operand_a(const T* a, std::size_t lda, bool trans_a) {
    return trans_a ? detail::OperandA<T>{a, 1, lda, nullptr} : detail::OperandA<T>{a, lda, 1, nullptr};
}

// multiply_part() for any operand A
template <class T>
void multiply_part_of(std::size_t part, std::size_t parts, std::size_t M, const detail::OperandA<T>& a, const PackedB<T>& b,
                      bool accumulate, T* c, std::size_t ldc, const T* bias) {
    const std::size_t N = b.N, K = b.K;
    if (M == 0 || N == 0 || part >= parts) return;
    const detail::Kernel<T> kern = kernel<T>(b.isa);
    const std::size_t panels = (N + kern.nr - 1) / kern.nr;
    const std::size_t p0 = panels * part / parts, p1 = panels * (part + 1) / parts;
    if (p0 == p1) return;
    if (K == 0) {  // C = bias or 0 (the kernel ignores the bias when accumulating)
        if (accumulate) return;
        const std::size_t n0 = p0 * kern.nr, n1 = std::min(N, p1 * kern.nr);
        for (std::size_t i = 0; i < M; ++i) {
            if (bias) std::copy(bias + n0, bias + n1, c + i * ldc + n0);
            else std::fill(c + i * ldc + n0, c + i * ldc + n1, T(0));
        }
        return;
    }
    kern.run(M, K, a, b.data.get(), N, p0, p1, accumulate, bias, c, ldc);
}

// multiply() for any operand A
template <class T>
void multiply_of(std::size_t M, const detail::OperandA<T>& a, const PackedB<T>& b, bool accumulate, T* c, std::size_t ldc,
                 const T* bias) {
    const std::size_t N = b.N, K = b.K;
    if (M == 0 || N == 0) return;
    const std::size_t threads = std::size_t(get_num_threads());
    if (K == 0 || threads <= 1 || in_parallel_region() || double(M) * double(N) * double(K) < kSplitWork)
        return multiply_part_of(0, 1, M, a, b, accumulate, c, ldc, bias);
    const detail::Kernel<T> kern = kernel<T>(b.isa);
    const std::size_t panels = (N + kern.nr - 1) / kern.nr;
    // Split rows when there are enough for every thread, else panels; every element of C is
    // still summed by one thread in the same order, so the result does not depend on the split.
    const std::size_t strips = (M + kern.mr - 1) / kern.mr;
    if (strips >= 2 * threads) {
        const std::size_t per = (strips + threads - 1) / threads;
        parallel_for(threads, [&](std::size_t u) {
            const std::size_t r0 = std::min(M, u * per * kern.mr), r1 = std::min(M, (u + 1) * per * kern.mr);
            if (r0 < r1) kern.run(r1 - r0, K, a.from(r0), b.data.get(), N, 0, panels, accumulate, bias, c + r0 * ldc, ldc);
        });
    } else {
        const std::size_t parts = std::min(threads, panels), per = (panels + parts - 1) / parts;
        parallel_for(parts, [&](std::size_t u) {
            const std::size_t p0 = std::min(panels, u * per), p1 = std::min(panels, (u + 1) * per);
            if (p0 < p1) kern.run(M, K, a, b.data.get(), N, p0, p1, accumulate, bias, c, ldc);
        });
    }
}

}  // namespace

template <class T>
void multiply_part(std::size_t part, std::size_t parts, std::size_t M, const T* a, std::size_t lda, bool trans_a,
                   const PackedB<T>& b, bool accumulate, T* c, std::size_t ldc, const T* bias) {
    multiply_part_of(part, parts, M, operand_a(a, lda, trans_a), b, accumulate, c, ldc, bias);
}

template <class T>
void multiply(std::size_t M, const T* a, std::size_t lda, bool trans_a, const PackedB<T>& b, bool accumulate, T* c,
              std::size_t ldc, const T* bias) {
    multiply_of(M, operand_a(a, lda, trans_a), b, accumulate, c, ldc, bias);
}

template <class T>
void multiply_rows(std::size_t M, const T* const* a_rows, const PackedB<T>& b, bool accumulate, T* c, std::size_t ldc,
                   const T* bias) {
    multiply_of(M, detail::OperandA<T>{nullptr, 0, 0, a_rows}, b, accumulate, c, ldc, bias);
}

template <class T>
void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, bool accumulate, T* c, std::size_t ldc, const T* bias) {
    if (M == 0 || N == 0) return;
    multiply(M, a, lda, trans_a, pack(b, ldb, trans_b, K, N), accumulate, c, ldc, bias);
}

template <class T>
void reference(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const T* a, std::size_t lda,
               const T* b, std::size_t ldb, bool accumulate, T* c, std::size_t ldc) {
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            double s = accumulate ? double(c[i * ldc + j]) : 0.0;
            for (std::size_t k = 0; k < K; ++k)
                s += double(trans_a ? a[k * lda + i] : a[i * lda + k]) * double(trans_b ? b[j * ldb + k] : b[k * ldb + j]);
            c[i * ldc + j] = T(s);
        }
}

XG_DEFINE_OPS(XG_GEMM_FUNCTIONS)

}  // namespace xg::gemm

#include "core/gemm.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/error.hpp"
#include "core/gemm_isa.hpp"
#include "core/parallel.hpp"

namespace xg::gemm {

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

template <class T>
PackedB<T> pack(const T* b, std::size_t ldb, bool trans, std::size_t K, std::size_t N, Isa isa) {
    XG_CHECK(isa_supported(isa), "gemm: this CPU (or build) has no " << isa_name(isa) << " kernels");
    PackedB<T> p;
    p.isa = isa;
    p.K = K;
    p.N = N;
    p.nr = kernel<T>(isa).nr;
    const std::size_t nr = p.nr, panels = (N + nr - 1) / nr;
    p.data = workspace<T>(std::max<std::size_t>(1, panels * K * nr));
    T* out = p.data.get();
    auto pack_panel = [&](std::size_t q) {
        const std::size_t n0 = q * nr, n = std::min(nr, N - n0);
        T* panel = out + q * K * nr;
        if (!trans) {  // rows of B are contiguous: copy NR values a row
            for (std::size_t k = 0; k < K; ++k) {
                std::memcpy(panel + k * nr, b + k * ldb + n0, n * sizeof(T));
                std::fill(panel + k * nr + n, panel + (k + 1) * nr, T(0));
            }
        } else {  // columns of B are contiguous: a transposing copy, one panel (<= 64 KiB) at a time
            for (std::size_t j = 0; j < n; ++j) {
                const T* col = b + (n0 + j) * ldb;
                for (std::size_t k = 0; k < K; ++k) panel[k * nr + j] = col[k];
            }
            for (std::size_t k = 0; k < K && n < nr; ++k) std::fill(panel + k * nr + n, panel + (k + 1) * nr, T(0));
        }
    };
    // a big B (the recurrent weights, packed while the other threads wait) splits over the threads
    const std::size_t threads = std::size_t(get_num_threads());
    if (threads > 1 && panels >= 2 * threads && double(K) * double(N) >= kSplitPack && !in_parallel_region()) {
        const std::size_t per = (panels + threads - 1) / threads;
        parallel_for(threads, [&](std::size_t u) {
            for (std::size_t q = u * per; q < std::min(panels, (u + 1) * per); ++q) pack_panel(q);
        });
    } else {
        for (std::size_t q = 0; q < panels; ++q) pack_panel(q);
    }
    return p;
}

template <class T>
void multiply_part(std::size_t part, std::size_t parts, std::size_t M, const T* a, std::size_t lda, bool trans_a,
                   const PackedB<T>& b, bool accumulate, T* c, std::size_t ldc, const T* bias) {
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
    kern.run(M, K, a, trans_a ? 1 : lda, trans_a ? lda : 1, b.data.get(), N, p0, p1, accumulate, bias, c, ldc);
}

template <class T>
void multiply(std::size_t M, const T* a, std::size_t lda, bool trans_a, const PackedB<T>& b, bool accumulate, T* c,
              std::size_t ldc, const T* bias) {
    const std::size_t N = b.N, K = b.K;
    if (M == 0 || N == 0) return;
    const std::size_t threads = std::size_t(get_num_threads());
    if (K == 0 || threads <= 1 || in_parallel_region() || double(M) * double(N) * double(K) < kSplitWork)
        return multiply_part(0, 1, M, a, lda, trans_a, b, accumulate, c, ldc, bias);
    const detail::Kernel<T> kern = kernel<T>(b.isa);
    const std::size_t rs = trans_a ? 1 : lda, cs = trans_a ? lda : 1;
    const std::size_t panels = (N + kern.nr - 1) / kern.nr;
    // Split rows when there are enough for every thread, else panels; every element of C is
    // still summed by one thread in the same order, so the result does not depend on the split.
    const std::size_t strips = (M + kern.mr - 1) / kern.mr;
    if (strips >= 2 * threads) {
        const std::size_t per = (strips + threads - 1) / threads;
        parallel_for(threads, [&](std::size_t u) {
            const std::size_t r0 = std::min(M, u * per * kern.mr), r1 = std::min(M, (u + 1) * per * kern.mr);
            if (r0 < r1) kern.run(r1 - r0, K, a + r0 * rs, rs, cs, b.data.get(), N, 0, panels, accumulate, bias, c + r0 * ldc, ldc);
        });
    } else {
        const std::size_t parts = std::min(threads, panels), per = (panels + parts - 1) / parts;
        parallel_for(parts, [&](std::size_t u) {
            const std::size_t p0 = std::min(panels, u * per), p1 = std::min(panels, (u + 1) * per);
            if (p0 < p1) kern.run(M, K, a, rs, cs, b.data.get(), N, p0, p1, accumulate, bias, c, ldc);
        });
    }
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

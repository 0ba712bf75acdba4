// GFLOP/s of xgrad's GEMM paths and OpenBLAS at the recurrent layers' shapes, beside this
// machine's measured FMA peak (one FMA loop per thread, as wide as the build's target).
//
//   build/bench/gemm [--threads N] [--ms MS]      (a native build measures the real peak)
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE build/bench/gemm   (OpenBLAS left to pick its kernel)
//
// Each shape is C (M, N) += A (M, K) B (K, N) in the layout the layer uses; "packed" times
// the product alone with B packed beforehand (the recurrent step, weights packed once), "gemm"
// includes packing B (a one-off product).
#ifdef XG_BENCH_OPENBLAS
#include <cblas.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "core/kernels.hpp"  // internal: GEMM, parallel_for, workspace

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Runs f until `ms` milliseconds have passed (after one warm-up call); seconds per call.
template <class F>
double time_per_call(double ms, F&& f) {
    f();
    std::size_t calls = 0;
    const auto t0 = Clock::now();
    do {
        f();
        ++calls;
    } while (seconds_since(t0) * 1e3 < ms);
    return seconds_since(t0) / double(calls);
}

// One thread's FMA throughput: 12 independent chains of vector FMAs (more than latency x ports).
double fma_gflops_one_thread(double ms) {
    using B = xsimd::batch<float>;
    B acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = B(float(i) * 1e-3f);
    const B x(0.999999f), y(1e-7f);
    constexpr long inner = 1 << 16;
    long rounds = 0;
    const auto t0 = Clock::now();
    do {
        for (long r = 0; r < inner; ++r)
#pragma GCC unroll 12
            for (int i = 0; i < 12; ++i) acc[i] = xsimd::fma(acc[i], x, y);
        ++rounds;
    } while (seconds_since(t0) * 1e3 < ms);
    const double s = seconds_since(t0);
    float sink = 0;
    for (int i = 0; i < 12; ++i) sink += xsimd::hadd(acc[i]);
    if (sink == 12345.f) std::puts("");  // keeps the loop
    return 2.0 * 12 * B::size * double(inner) * double(rounds) / s / 1e9;
}

double fma_gflops(int threads, double ms) {
    std::vector<double> per(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { per[t] = fma_gflops_one_thread(ms); });
    for (auto& t : pool) t.join();
    double sum = 0;
    for (double g : per) sum += g;
    return sum;
}

struct Shape {
    const char* what;
    std::size_t M, N, K;
    bool trans_a, trans_b;
};

}  // namespace

int main(int argc, char** argv) {
    int threads = 1;
    double ms = 300;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::puts("usage: gemm [--threads N] [--ms MS]\n"
                      "GFLOP/s of xgrad's GEMM paths (each ISA this CPU runs) and OpenBLAS at the\n"
                      "recurrent layers' shapes, against the measured FMA peak on N threads.");
            return 0;
        } else if (a == "--threads" && i + 1 < argc) {
            threads = std::atoi(argv[++i]);
        } else if (a == "--ms" && i + 1 < argc) {
            ms = std::atof(argv[++i]);
        } else {
            std::fprintf(stderr, "gemm: unknown flag %s (see --help)\n", a.c_str());
            return 2;
        }
    }
    if (threads < 1 || ms <= 0) {
        std::fprintf(stderr, "gemm: --threads must be >= 1 and --ms > 0\n");
        return 2;
    }
    xg::set_num_threads(threads);
#ifdef XG_BENCH_OPENBLAS
    openblas_set_num_threads(threads);
#endif
    const double peak = fma_gflops(threads, ms);
    std::printf("FMA peak, %d thread(s), %zu-float vectors: %.0f GFLOP/s\n", threads, xsimd::batch<float>::size, peak);
#ifdef XG_BENCH_OPENBLAS
    std::printf("OpenBLAS core: %s (OPENBLAS_CORETYPE=%s)\n", openblas_get_corename(),
                std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "unset");
#endif

    const Shape shapes[] = {
        {"LSTM step fwd  h W_hh^T", 32, 1024, 256, false, true},
        {"LSTM step bwd  dA W_hh", 32, 256, 1024, false, false},
        {"  half the rows (2-thread chunk)", 16, 1024, 256, false, true},
        {"  half the rows, bwd", 16, 256, 1024, false, false},
        {"IMDB step fwd  h W_hh^T", 64, 400, 100, false, true},
        {"IMDB step bwd  dA W_hh", 64, 100, 400, false, false},
        {"LSTM dW_hh     dA^T Hprev", 1024, 256, 1120, true, false},
        {"LSTM in-proj   X W_ih^T", 1120, 1024, 28, false, true},
        {"Linear fwd     h W^T", 1120, 28, 256, false, true},
    };
    std::vector<xg::gemm::Isa> isas;
    for (auto isa : {xg::gemm::Isa::avx512, xg::gemm::Isa::avx2, xg::gemm::Isa::generic})
        if (xg::gemm::isa_supported(isa)) isas.push_back(isa);

    std::printf("\n%-27s %15s %9s", "shape", "M x N x K", "OpenBLAS");
    for (auto isa : isas) std::printf(" %9s %9s", (std::string(xg::gemm::isa_name(isa)) + "-pk").c_str(), xg::gemm::isa_name(isa));
    std::printf(" %6s\n", "%peak");
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    for (const Shape& s : shapes) {
        std::vector<float> a(s.M * s.K), b(s.K * s.N), c(s.M * s.N, 0.f);
        for (auto& v : a) v = u(rng);
        for (auto& v : b) v = u(rng);
        const std::size_t lda = s.trans_a ? s.M : s.K, ldb = s.trans_b ? s.K : s.N;
        const double flop = 2.0 * double(s.M) * double(s.N) * double(s.K);
#ifdef XG_BENCH_OPENBLAS
        const double blas = time_per_call(ms, [&] {
            cblas_sgemm(CblasRowMajor, s.trans_a ? CblasTrans : CblasNoTrans, s.trans_b ? CblasTrans : CblasNoTrans, int(s.M),
                        int(s.N), int(s.K), 1.f, a.data(), int(lda), b.data(), int(ldb), 1.f, c.data(), int(s.N));
        });
        std::printf("%-27s %4zux%4zux%4zu %9.1f", s.what, s.M, s.N, s.K, flop / blas / 1e9);
#else
        std::printf("%-27s %4zux%4zux%4zu %9s", s.what, s.M, s.N, s.K, "-");
#endif
        double best_pk = 0;
        for (auto isa : isas) {
            xg::gemm::set_isa(isa);
            const auto packed = xg::gemm::pack(b.data(), ldb, s.trans_b, s.K, s.N);
            const double pk = time_per_call(ms, [&] { xg::gemm::multiply(s.M, a.data(), lda, s.trans_a, packed, true, c.data(), s.N); });
            const double one = time_per_call(ms, [&] {
                xg::gemm::gemm(s.trans_a, s.trans_b, s.M, s.N, s.K, a.data(), lda, b.data(), ldb, true, c.data(), s.N);
            });
            std::printf(" %9.1f %9.1f", flop / pk / 1e9, flop / one / 1e9);
            if (isa == isas.front()) best_pk = flop / pk / 1e9;
        }
        std::printf(" %5.0f%%\n", 100 * best_pk / peak);
    }
    std::printf("(GFLOP/s; -pk: B packed beforehand, as the recurrent step runs; %%peak: %s-pk / FMA peak)\n",
                xg::gemm::isa_name(isas.front()));
    return 0;
}

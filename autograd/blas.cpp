#include "autograd/blas.hpp"

#include <cblas.h>

#include <algorithm>

#include "autograd/parallel.hpp"

namespace xg::blas {

namespace {

// Below this many multiply-adds a GEMM is not worth splitting over threads.
constexpr double kSplitWork = 4e6;

template <class T, class Gemm>
void split_gemm(Gemm&& gemm, bool ta, bool tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb,
                T beta, T* c, int ldc) {
    if (m == 0 || n == 0) return;
    const int threads = get_num_threads();
    if (threads <= 1 || in_parallel_region() || double(m) * n * k < kSplitWork || m < 32) {
        gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    // rows [r0, r1) of C need rows [r0, r1) of op(A): a row block of A, or a column block when transposed
    const int parts = std::min(threads, m / 16), step = (m + parts - 1) / parts;
    parallel_for(std::size_t(parts), [&](std::size_t p) {
        const int r0 = int(p) * step, r1 = std::min(m, r0 + step);
        if (r0 < r1)
            gemm(ta, tb, r1 - r0, n, k, alpha, ta ? a + r0 : a + std::size_t(r0) * lda, lda, b, ldb, beta,
                 c + std::size_t(r0) * ldc, ldc);
    });
}

auto order(bool t) { return t ? CblasTrans : CblasNoTrans; }

}  // namespace

void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
          float beta, float* c, int ldc) {
    split_gemm<float>([](bool ta_, bool tb_, int m_, int n_, int k_, float al, const float* a_, int lda_, const float* b_,
                         int ldb_, float be, float* c_, int ldc_) {
        cblas_sgemm(CblasRowMajor, order(ta_), order(tb_), m_, n_, k_, al, a_, lda_, b_, ldb_, be, c_, ldc_);
    }, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, int lda, const double* b, int ldb,
          double beta, double* c, int ldc) {
    split_gemm<double>([](bool ta_, bool tb_, int m_, int n_, int k_, double al, const double* a_, int lda_,
                          const double* b_, int ldb_, double be, double* c_, int ldc_) {
        cblas_dgemm(CblasRowMajor, order(ta_), order(tb_), m_, n_, k_, al, a_, lda_, b_, ldb_, be, c_, ldc_);
    }, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void set_num_threads(int n) { openblas_set_num_threads(n); }
int num_threads() { return openblas_get_num_threads(); }

}  // namespace xg::blas

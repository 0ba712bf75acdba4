// The one place xgrad calls BLAS: row-major GEMM for float and double, and the thread count.
#pragma once

namespace xg::blas {

// C (m, n) = alpha * op(A) op(B) + beta * C, row-major; op(A) is (m, k), op(B) is (k, n).
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
          float beta, float* c, int ldc);
void gemm(bool trans_a, bool trans_b, int m, int n, int k, double alpha, const double* a, int lda, const double* b,
          int ldb, double beta, double* c, int ldc);

// Threads OpenBLAS itself may use for one GEMM. xgrad keeps this at 1 and splits large
// GEMMs over xg::get_num_threads() threads instead (see autograd/parallel.hpp).
void set_num_threads(int n);
int num_threads();

}  // namespace xg::blas

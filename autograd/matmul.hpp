/// \file
/// Matrix products through BLAS.
#pragma once

#include "core/instantiate.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// As torch.matmul: (n, k) x (k, m) -> (n, m); (b, n, k) x (b, k, m) -> (b, n, m) with a
/// batch of 1 or a 2-D side broadcast; more batch dims broadcast against each other, as
/// (2, 1, n, k) x (5, k, m) -> (2, 5, n, m); a 1-D operand is a row (left) or column
/// (right) vector that is dropped from the result.
template <class T> TensorT<T> matmul(const TensorT<T>& a, const TensorT<T>& b);

/// x W^T + b as torch.nn.functional.linear: x (..., I), weight (O, I), bias (O) or empty.
/// One GEMM forward; backward dW = g^T x, dx = g W, db = sum of g over rows.
template <class T> TensorT<T> linear(const TensorT<T>& x, const TensorT<T>& weight, const TensorT<T>& bias = TensorT<T>());

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_MATMUL_OPS(T, OP, OVERLOAD) \
    OP(T, matmul) OP(T, linear)
XG_DECLARE_OPS(XG_MATMUL_OPS)

}  // namespace xg

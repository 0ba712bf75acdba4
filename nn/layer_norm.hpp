/// \file
/// Layer normalisation over the last dim, as torch.nn.functional.layer_norm(x, (N,), weight,
/// bias, eps): one fused op, its forward and backward side by side in layer_norm.cpp.
#pragma once

#include "autograd/tensor.hpp"
#include "core/instantiate.hpp"

namespace xg::nn {

/// Each row of the last dim (N features) to zero mean and unit variance (biased, as torch),
/// then * weight + bias ((N) each; either may be an empty handle). Differentiable in all three.
template <class T>
TensorT<T> layer_norm(const TensorT<T>& x, const TensorT<T>& weight, const TensorT<T>& bias, double eps = 1e-5);
/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_LAYER_NORM_FUNCTIONS(T, OP, OVERLOAD) OP(T, layer_norm)
XG_DECLARE_OPS(XG_LAYER_NORM_FUNCTIONS)

}  // namespace xg::nn

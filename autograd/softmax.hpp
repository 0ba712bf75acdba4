/// \file
/// The softmax family: softmax and log_softmax.
#pragma once

#include "core/instantiate.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// Softmax along dim (default the last), as torch.softmax; computed from x - max, so large
/// inputs do not overflow. Differentiable.
template <class T> TensorT<T> softmax(const TensorT<T>& x, long dim = -1);
/// Log of softmax along dim, as torch.log_softmax: x - logsumexp(x), more accurate than
/// log(softmax(x)). Differentiable.
template <class T> TensorT<T> log_softmax(const TensorT<T>& x, long dim = -1);

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_SOFTMAX_OPS(T, OP, OVERLOAD) OP(T, softmax) OP(T, log_softmax)
XG_DECLARE_OPS(XG_SOFTMAX_OPS)

}  // namespace xg

/// \file
/// The pointwise family: element-wise functions, selection by a mask, and dropout.
#pragma once

#include <limits>

#include "core/instantiate.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// Elementwise e^x, as torch.exp; differentiable.
template <class T> TensorT<T> exp(const TensorT<T>& x);
/// Elementwise natural log, as torch.log; differentiable (gradient 1/x).
template <class T> TensorT<T> log(const TensorT<T>& x);
/// Elementwise square root, as torch.sqrt; differentiable.
template <class T> TensorT<T> sqrt(const TensorT<T>& x);
template <class T> TensorT<T> abs(const TensorT<T>& x);  ///< gradient sign(x), 0 at 0 as PyTorch
/// Elementwise 1 / (1 + e^-x), as torch.sigmoid; differentiable.
template <class T> TensorT<T> sigmoid(const TensorT<T>& x);
/// Elementwise tanh, as torch.tanh; differentiable.
template <class T> TensorT<T> tanh(const TensorT<T>& x);
template <class T> TensorT<T> relu(const TensorT<T>& x);  ///< gradient 0 at 0 as PyTorch
/// Gradient flows where min <= x <= max, as torch.clamp.
template <class T>
TensorT<T> clamp(const TensorT<T>& x, std::type_identity_t<T> min,
                 std::type_identity_t<T> max = std::numeric_limits<T>::infinity());

/// cond ? a : b, all three broadcast together.
template <class T> TensorT<T> where(const Mask& cond, const TensorT<T>& a, const TensorT<T>& b);
/// x with value wherever mask (broadcast to x's shape) is true; no gradient flows there.
template <class T> TensorT<T> masked_fill(const TensorT<T>& x, const Mask& mask, std::type_identity_t<T> value);

/// Zeroes each element with probability p and scales the rest by 1/(1-p) when training;
/// the identity otherwise (inverted dropout, as torch.nn.functional.dropout).
template <class T> TensorT<T> dropout(const TensorT<T>& x, double p, bool training = true);

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_POINTWISE_OPS(T, OP, OVERLOAD)                                                         \
    OP(T, exp) OP(T, log) OP(T, sqrt) OP(T, abs) OP(T, sigmoid) OP(T, tanh) OP(T, relu) OP(T, clamp) \
    OP(T, where) OP(T, masked_fill) OP(T, dropout)
XG_DECLARE_OPS(XG_POINTWISE_OPS)

}  // namespace xg

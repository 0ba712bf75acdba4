/// \file
/// Element-wise functions and selection by a mask.
#pragma once

#include <limits>

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

}  // namespace xg

/// \file
/// Softmax family and dropout.
#pragma once

#include "autograd/tensor.hpp"

namespace xg {

/// Softmax along dim (default the last), as torch.softmax; computed from x - max, so large
/// inputs do not overflow. Differentiable.
template <class T> TensorT<T> softmax(const TensorT<T>& x, long dim = -1);
/// Log of softmax along dim, as torch.log_softmax: x - logsumexp(x), more accurate than
/// log(softmax(x)). Differentiable.
template <class T> TensorT<T> log_softmax(const TensorT<T>& x, long dim = -1);

/// Zeroes each element with probability p and scales the rest by 1/(1-p) when training;
/// the identity otherwise (inverted dropout, as torch.nn.functional.dropout).
template <class T> TensorT<T> dropout(const TensorT<T>& x, double p, bool training = true);

}  // namespace xg

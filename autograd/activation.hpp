/// \file
/// Softmax family and dropout.
#pragma once

#include "autograd/tensor.hpp"

namespace xg {

template <class T> TensorT<T> softmax(const TensorT<T>& x, long dim = -1);
template <class T> TensorT<T> log_softmax(const TensorT<T>& x, long dim = -1);

/// Zeroes each element with probability p and scales the rest by 1/(1-p) when training;
/// the identity otherwise (inverted dropout, as torch.nn.functional.dropout).
template <class T> TensorT<T> dropout(const TensorT<T>& x, double p, bool training = true);

}  // namespace xg

/// \file
/// Reductions over all elements (a 0-d result) or over given dims, with keepdim.
/// Negative dims count from the end.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

using Dims = std::vector<long>;

template <class T> TensorT<T> sum(const TensorT<T>& x);
template <class T> TensorT<T> sum(const TensorT<T>& x, const Dims& dims, bool keepdim = false);
template <class T> TensorT<T> sum(const TensorT<T>& x, long dim, bool keepdim = false) { return sum(x, Dims{dim}, keepdim); }
template <class T> TensorT<T> mean(const TensorT<T>& x);
template <class T> TensorT<T> mean(const TensorT<T>& x, const Dims& dims, bool keepdim = false);
template <class T> TensorT<T> mean(const TensorT<T>& x, long dim, bool keepdim = false) { return mean(x, Dims{dim}, keepdim); }
/// The largest value (torch.amax): ties share the gradient evenly.
template <class T> TensorT<T> max(const TensorT<T>& x);
template <class T> TensorT<T> max(const TensorT<T>& x, const Dims& dims, bool keepdim = false);
template <class T> TensorT<T> max(const TensorT<T>& x, long dim, bool keepdim = false) { return max(x, Dims{dim}, keepdim); }
/// Index of the largest value along dim (the first one on ties); not differentiable.
template <class T> IndexArray argmax(const TensorT<T>& x, long dim, bool keepdim = false);

}  // namespace xg

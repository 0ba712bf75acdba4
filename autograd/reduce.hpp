/// \file
/// Reductions over all elements (a 0-d result) or over given dims, with keepdim.
/// Negative dims count from the end.
#pragma once

#include <vector>

#include "core/instantiate.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// A list of dims to reduce over; negative ones count from the end.
using Dims = std::vector<long>;

/// Sum of all elements as a 0-d tensor, accumulated in double, as torch.sum; differentiable.
template <class T> TensorT<T> sum(const TensorT<T>& x);
/// Sum over dims (each at most once), keeping them as size 1 if keepdim, as torch.sum(x, dims).
template <class T> TensorT<T> sum(const TensorT<T>& x, const Dims& dims, bool keepdim = false);
/// Sum over one dim, as torch.sum(x, dim).
template <class T> TensorT<T> sum(const TensorT<T>& x, long dim, bool keepdim = false) { return sum(x, Dims{dim}, keepdim); }
/// Mean of all elements as a 0-d tensor, as torch.mean (NaN for an empty tensor); differentiable.
template <class T> TensorT<T> mean(const TensorT<T>& x);
/// Mean over dims (each at most once), keeping them as size 1 if keepdim, as torch.mean(x, dims).
template <class T> TensorT<T> mean(const TensorT<T>& x, const Dims& dims, bool keepdim = false);
/// Mean over one dim, as torch.mean(x, dim).
template <class T> TensorT<T> mean(const TensorT<T>& x, long dim, bool keepdim = false) { return mean(x, Dims{dim}, keepdim); }
/// The largest value (torch.amax): ties share the gradient evenly.
template <class T> TensorT<T> max(const TensorT<T>& x);
/// Largest value over dims, as torch.amax(x, dims); ties share the gradient evenly.
template <class T> TensorT<T> max(const TensorT<T>& x, const Dims& dims, bool keepdim = false);
/// Largest value over one dim, as torch.amax(x, dim) (values only: use argmax for indices).
template <class T> TensorT<T> max(const TensorT<T>& x, long dim, bool keepdim = false) { return max(x, Dims{dim}, keepdim); }
/// Index of the largest value along dim (the first one on ties); not differentiable.
template <class T> IndexArray argmax(const TensorT<T>& x, long dim, bool keepdim = false);

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_REDUCE_OPS(T, OP, OVERLOAD) \
    OP(T, argmax)                                                  \
    OVERLOAD(T, sum, TensorT<T>(const TensorT<T>&))                    \
    OVERLOAD(T, sum, TensorT<T>(const TensorT<T>&, const Dims&, bool))  \
    OVERLOAD(T, mean, TensorT<T>(const TensorT<T>&))                   \
    OVERLOAD(T, mean, TensorT<T>(const TensorT<T>&, const Dims&, bool)) \
    OVERLOAD(T, max, TensorT<T>(const TensorT<T>&))                    \
    OVERLOAD(T, max, TensorT<T>(const TensorT<T>&, const Dims&, bool))
XG_DECLARE_OPS(XG_REDUCE_OPS)

}  // namespace xg

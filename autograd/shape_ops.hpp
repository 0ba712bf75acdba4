/// \file
/// Ops that move elements around: reshape, transpose, cat, slices, flips.
/// Every result is a new contiguous array (no views share storage).
#pragma once

#include <type_traits>
#include <vector>

#include "core/instantiate.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// The same elements in a new shape with the same element count, as torch.reshape; differentiable.
template <class T> TensorT<T> reshape(const TensorT<T>& x, const Shape& shape);
/// reshape(x, {-1, 28}): a signed list may hold one -1, inferred from the others.
template <class T> TensorT<T> reshape(const TensorT<T>& x, const std::vector<long>& shape);
/// A braced list of any integer types: reshape(x, {n, 1, -1}) with n an int, a long or a size_t.
template <class T> TensorT<T> reshape(const TensorT<T>& x, std::initializer_list<Dim> shape) { return reshape(x, to_longs(shape)); }
/// view: reshape under PyTorch's other name (the result is a copy here, as every op's is)
template <class T> TensorT<T> view(const TensorT<T>& x, const Shape& shape) { return reshape(x, shape); }
/// view with a signed shape that may hold one -1, as reshape's.
template <class T> TensorT<T> view(const TensorT<T>& x, const std::vector<long>& shape) { return reshape(x, shape); }
/// view with a braced list of any integer types, -1 allowed: view(x, {n, -1}).
template <class T> TensorT<T> view(const TensorT<T>& x, std::initializer_list<Dim> shape) { return reshape(x, to_longs(shape)); }
/// Dims start_dim..end_dim (inclusive) merged into one, as torch.flatten; a 0-d tensor becomes (1).
template <class T> TensorT<T> flatten(const TensorT<T>& x, long start_dim = 0, long end_dim = -1);
/// A size-1 dim inserted at dim (negative counts from the end of the result), as torch.unsqueeze.
template <class T> TensorT<T> unsqueeze(const TensorT<T>& x, long dim);
/// dim removed if its size is 1, else the same shape; always a new tensor, as torch.squeeze(x, dim).
template <class T> TensorT<T> squeeze(const TensorT<T>& x, long dim);
/// dim0 and dim1 swapped, as torch.transpose (a copy, not a view).
template <class T> TensorT<T> transpose(const TensorT<T>& x, long dim0, long dim1);
/// Dims reordered so that result dim i is x's dims[i], as torch.permute.
template <class T> TensorT<T> permute(const TensorT<T>& x, const std::vector<long>& dims);
/// permute with a braced list of any integer types: permute(x, {1, 0, 2}).
template <class T> TensorT<T> permute(const TensorT<T>& x, std::initializer_list<Dim> dims) { return permute(x, to_longs(dims)); }
/// Tensors joined along an existing dim; other sizes must match, as torch.cat. Differentiable.
template <class T> TensorT<T> cat(const std::vector<TensorT<T>>& xs, long dim = 0);
/// Equal-shaped tensors joined along a new dim, as torch.stack. Differentiable.
template <class T> TensorT<T> stack(const std::vector<TensorT<T>>& xs, long dim = 0);
/// xg::cat({a, b}, 1), as torch.cat([a, b], 1)
template <class T> TensorT<T> cat(std::initializer_list<TensorT<T>> xs, long dim = 0) { return cat(std::vector<TensorT<T>>(xs), dim); }
/// xg::stack({a, b}, 0), as torch.stack([a, b], 0).
template <class T> TensorT<T> stack(std::initializer_list<TensorT<T>> xs, long dim = 0) { return stack(std::vector<TensorT<T>>(xs), dim); }
/// Elements start, start+step, ... < end along dim; start/end may be negative, end is clipped.
template <class T> TensorT<T> slice(const TensorT<T>& x, long dim, long start, long end, long step = 1);
/// length elements from start along dim (start may be negative), as torch.narrow; must fit.
template <class T> TensorT<T> narrow(const TensorT<T>& x, long dim, long start, long length);
/// Index i along dim, which is removed (x[:, i] for dim 1).
template <class T> TensorT<T> select(const TensorT<T>& x, long dim, long index);
/// The entries at a 1-D list of indices along dim, as torch.index_select; repeats add up in
/// the gradient.
template <class T> TensorT<T> index_select(const TensorT<T>& x, long dim, const IndexArray& index);
/// The entries of x picked along dim by index, as torch.gather: for dim 0 of a 3-D x,
/// out[i][j][k] = x[index[i][j][k]][j][k]. index has x's number of dims and, except along
/// dim, sizes no larger than x's (an empty index may have any shape); the result has index's
/// shape. Repeats add up in the gradient.
template <class T> TensorT<T> gather(const TensorT<T>& x, long dim, const IndexArray& index);
/// The order of elements reversed along each of dims, as torch.flip.
template <class T> TensorT<T> flip(const TensorT<T>& x, const std::vector<long>& dims);
/// flip with a braced list of any integer types: flip(x, {0, 1}).
template <class T> TensorT<T> flip(const TensorT<T>& x, std::initializer_list<Dim> dims) { return flip(x, to_longs(dims)); }
/// Repeat size-1 dims (a broadcast made explicit), as Tensor.expand.
template <class T> TensorT<T> expand(const TensorT<T>& x, const Shape& shape);

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_SHAPE_OPS(T, OP, OVERLOAD) \
    OP(T, flatten) OP(T, unsqueeze) OP(T, squeeze) OP(T, transpose) OP(T, slice) OP(T, narrow)      \
    OP(T, select) OP(T, index_select) OP(T, gather) OP(T, expand)                                                  \
    OVERLOAD(T, reshape, TensorT<T>(const TensorT<T>&, const Shape&))                                \
    OVERLOAD(T, reshape, TensorT<T>(const TensorT<T>&, const std::vector<long>&))                    \
    OVERLOAD(T, permute, TensorT<T>(const TensorT<T>&, const std::vector<long>&))                    \
    OVERLOAD(T, cat, TensorT<T>(const std::vector<TensorT<T>>&, long))                               \
    OVERLOAD(T, stack, TensorT<T>(const std::vector<TensorT<T>>&, long))                             \
    OVERLOAD(T, flip, TensorT<T>(const TensorT<T>&, const std::vector<long>&))
XG_DECLARE_OPS(XG_SHAPE_OPS)

}  // namespace xg

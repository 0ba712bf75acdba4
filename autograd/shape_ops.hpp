/// \file
/// Ops that move elements around: reshape, transpose, cat, slices, flips.
/// Every result is a new contiguous array (no views share storage).
#pragma once

#include <type_traits>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

template <class T> TensorT<T> reshape(const TensorT<T>& x, const Shape& shape);
/// reshape(x, {-1, 28}): a signed list may hold one -1, inferred from the others.
template <class T> TensorT<T> reshape(const TensorT<T>& x, const std::vector<long>& shape);
/// A braced list of any integer types: reshape(x, {n, 1, -1}) with n an int, a long or a size_t.
template <class T> TensorT<T> reshape(const TensorT<T>& x, std::initializer_list<Dim> shape) { return reshape(x, to_longs(shape)); }
/// view: reshape under PyTorch's other name (the result is a copy here, as every op's is)
template <class T> TensorT<T> view(const TensorT<T>& x, const Shape& shape) { return reshape(x, shape); }
template <class T> TensorT<T> view(const TensorT<T>& x, const std::vector<long>& shape) { return reshape(x, shape); }
template <class T> TensorT<T> view(const TensorT<T>& x, std::initializer_list<Dim> shape) { return reshape(x, to_longs(shape)); }
template <class T> TensorT<T> flatten(const TensorT<T>& x, long start_dim = 0, long end_dim = -1);
template <class T> TensorT<T> unsqueeze(const TensorT<T>& x, long dim);
template <class T> TensorT<T> squeeze(const TensorT<T>& x, long dim);
template <class T> TensorT<T> transpose(const TensorT<T>& x, long dim0, long dim1);
template <class T> TensorT<T> permute(const TensorT<T>& x, const std::vector<long>& dims);
template <class T> TensorT<T> permute(const TensorT<T>& x, std::initializer_list<Dim> dims) { return permute(x, to_longs(dims)); }
template <class T> TensorT<T> cat(const std::vector<TensorT<T>>& xs, long dim = 0);
template <class T> TensorT<T> stack(const std::vector<TensorT<T>>& xs, long dim = 0);
/// xg::cat({a, b}, 1), as torch.cat([a, b], 1)
template <class T> TensorT<T> cat(std::initializer_list<TensorT<T>> xs, long dim = 0) { return cat(std::vector<TensorT<T>>(xs), dim); }
template <class T> TensorT<T> stack(std::initializer_list<TensorT<T>> xs, long dim = 0) { return stack(std::vector<TensorT<T>>(xs), dim); }
/// Elements start, start+step, ... < end along dim; start/end may be negative, end is clipped.
template <class T> TensorT<T> slice(const TensorT<T>& x, long dim, long start, long end, long step = 1);
template <class T> TensorT<T> narrow(const TensorT<T>& x, long dim, long start, long length);
/// Index i along dim, which is removed (x[:, i] for dim 1).
template <class T> TensorT<T> select(const TensorT<T>& x, long dim, long index);
template <class T> TensorT<T> index_select(const TensorT<T>& x, long dim, const IndexArray& index);
template <class T> TensorT<T> flip(const TensorT<T>& x, const std::vector<long>& dims);
template <class T> TensorT<T> flip(const TensorT<T>& x, std::initializer_list<Dim> dims) { return flip(x, to_longs(dims)); }
/// Repeat size-1 dims (a broadcast made explicit), as Tensor.expand.
template <class T> TensorT<T> expand(const TensorT<T>& x, const Shape& shape);

}  // namespace xg

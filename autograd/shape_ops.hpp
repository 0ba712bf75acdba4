// Ops that move elements around: reshape, transpose, cat, slices, flips.
// Every result is a new contiguous array (no views share storage).
#pragma once

#include <type_traits>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

template <class T> TensorT<T> reshape(const TensorT<T>& x, const Shape& shape);
// reshape(x, {-1, 28}): a signed list may hold one -1, inferred from the others.
template <class T> TensorT<T> reshape(const TensorT<T>& x, const std::vector<long>& shape);
template <class T, class I>
    requires std::is_signed_v<I>
TensorT<T> reshape(const TensorT<T>& x, std::initializer_list<I> shape) {
    return reshape(x, std::vector<long>(shape.begin(), shape.end()));
}
template <class T> TensorT<T> flatten(const TensorT<T>& x, long start_dim = 0, long end_dim = -1);
template <class T> TensorT<T> unsqueeze(const TensorT<T>& x, long dim);
template <class T> TensorT<T> squeeze(const TensorT<T>& x, long dim);
template <class T> TensorT<T> transpose(const TensorT<T>& x, long dim0, long dim1);
template <class T> TensorT<T> permute(const TensorT<T>& x, const std::vector<long>& dims);
template <class T> TensorT<T> cat(const std::vector<TensorT<T>>& xs, long dim = 0);
template <class T> TensorT<T> stack(const std::vector<TensorT<T>>& xs, long dim = 0);
// xg::cat({a, b}, 1), as torch.cat([a, b], 1)
template <class T> TensorT<T> cat(std::initializer_list<TensorT<T>> xs, long dim = 0) { return cat(std::vector<TensorT<T>>(xs), dim); }
template <class T> TensorT<T> stack(std::initializer_list<TensorT<T>> xs, long dim = 0) { return stack(std::vector<TensorT<T>>(xs), dim); }
// Elements start, start+step, ... < end along dim; start/end may be negative, end is clipped.
template <class T> TensorT<T> slice(const TensorT<T>& x, long dim, long start, long end, long step = 1);
template <class T> TensorT<T> narrow(const TensorT<T>& x, long dim, long start, long length);
// Index i along dim, which is removed (x[:, i] for dim 1).
template <class T> TensorT<T> select(const TensorT<T>& x, long dim, long index);
template <class T> TensorT<T> index_select(const TensorT<T>& x, long dim, const IndexArray& index);
template <class T> TensorT<T> flip(const TensorT<T>& x, const std::vector<long>& dims);
// Repeat size-1 dims (a broadcast made explicit), as Tensor.expand.
template <class T> TensorT<T> expand(const TensorT<T>& x, const Shape& shape);

}  // namespace xg

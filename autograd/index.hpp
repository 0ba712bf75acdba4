/// \file
/// Integer tensors: token ids, class ids, gather indices. They are xg::IndexArray (an
/// xtensor array of int64: no gradient flows into an index), and these helpers give them
/// the spellings a float Tensor has, so that no xtensor call is needed to make or read one.
///
///   xg::IndexArray ids = xg::long_tensor(token_ids);                   // torch.tensor(ids, dtype=torch.long)
///   xg::IndexArray batch = xg::long_tensor({3, 1, 4, 1, 5, 9}, {2, 3});
///   xg::size(batch, 0); xg::numel(batch); xg::to_vector(batch); xg::item<int>(xg::long_tensor({7}));
///
/// Embedding, cross_entropy, nll_loss, index_select and the data iterators take and give
/// IndexArray.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

namespace detail {
IndexArray make_index_array(std::vector<std::int64_t> values, const Shape& shape);  ///< checks numel
template <std::integral I>
std::vector<std::int64_t> to_int64(std::span<const I> values) {
    std::vector<std::int64_t> out;
    out.reserve(values.size());
    for (const I v : values) {
        if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t))
            XG_CHECK(v <= static_cast<std::uint64_t>(INT64_MAX), "long_tensor: " << v << " does not fit in int64");
        out.push_back(static_cast<std::int64_t>(v));
    }
    return out;
}
}  // namespace detail

/// A 1-D index array of the values, or one of `shape` (its element count must match).
template <std::integral I>
IndexArray long_tensor(std::span<const I> values, const ShapeArg& shape = Shape{}) {
    const Shape& s = shape;
    return detail::make_index_array(detail::to_int64(values), s.empty() ? Shape{values.size()} : s);
}
/// A 1-D index array of a vector of any integer type, or one of `shape`.
template <std::integral I>
IndexArray long_tensor(const std::vector<I>& values, const ShapeArg& shape = Shape{}) {
    return long_tensor(std::span<const I>(values), shape);
}
/// A 1-D index array of a braced list, or one of `shape`: xg::long_tensor({3, 1, 4}).
inline IndexArray long_tensor(std::initializer_list<std::int64_t> values, const ShapeArg& shape = Shape{}) {
    return long_tensor(std::span<const std::int64_t>(values.begin(), values.size()), shape);
}

/// A float Tensor's size(d), numel(), to_vector() and item<T>(), for an index array.
std::size_t size(const IndexArray& ids, long d);  ///< negative d counts from the end
inline std::size_t numel(const IndexArray& ids) { return ids.size(); }  ///< the number of elements
/// Every element in row-major order, as a std::vector.
inline std::vector<std::int64_t> to_vector(const IndexArray& ids) { return {ids.data(), ids.data() + ids.size()}; }
std::int64_t item(const IndexArray& ids);  ///< the single element of a one-element array
/// The single element converted to T: xg::item<int>(ids).
template <class T>
T item(const IndexArray& ids) {
    return static_cast<T>(item(ids));
}

}  // namespace xg

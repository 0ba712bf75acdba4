/// \file
/// Lookups by integer index: embedding rows and one-hot codes.
#pragma once

#include "core/instantiate.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// weight (V, E) and ids of any shape S -> (S..., E). Rows equal to padding_idx
/// (if >= 0) get no gradient. Backward scatters into the rows that were used.
template <class T> TensorT<T> embedding(const TensorT<T>& weight, const IndexArray& ids, long padding_idx = -1);

/// ids of shape S -> (S..., num_classes) of 0/1 (no gradient), as torch.nn.functional.one_hot.
template <class T = float> TensorT<T> one_hot(const IndexArray& ids, std::size_t num_classes);

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_GATHER_OPS(T, OP, OVERLOAD) \
    OP(T, embedding) OP(T, one_hot)
XG_DECLARE_OPS(XG_GATHER_OPS)

}  // namespace xg

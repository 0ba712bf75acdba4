/// \file
/// The state that recurrent cells and layers share, and what a layer returns.
#pragma once

#include <cstddef>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::nn {

/// Per-sequence lengths for a padded batch, one per sequence, each in [1, S] (as
/// pack_padded_sequence's lengths); empty means every sequence has all S steps.
using Lengths = std::vector<std::size_t>;

/// The state of a recurrent cell or layer: h, and c for an LSTM (empty otherwise). An empty h
/// means zeros. A cell's is (B, Hout) and (B, H); a layer's (D*L, B, Hout) and (D*L, B, H).
template <class T>
struct RecurrentStateT {
    TensorT<T> h;  ///< hidden state: (B, Hout) for a cell, (D*L, B, Hout) for a layer
    TensorT<T> c;  ///< cell state: (B, H) for a cell, (D*L, B, H) for a layer

    /// Both halves cut from the graph: carry the state into the next batch (truncated BPTT).
    /// An empty state (no initial state yet) stays empty.
    RecurrentStateT detach() const { return {h.defined() ? h.detach() : h, c.defined() ? c.detach() : c}; }
};

/// What RNNBaseT::forward, LSTMT::forward and unroll() return: the output sequence and the final state.
template <class T>
struct RecurrentResultT {
    TensorT<T> output;         ///< (S, B, D*Hout), or (B, S, D*Hout) with batch_first: the last layer's h at every step
    RecurrentStateT<T> state;  ///< the final h of every layer and direction, and c for an LSTM
};

using RecurrentState = RecurrentStateT<float>;    ///< RecurrentStateT in float.
using RecurrentResult = RecurrentResultT<float>;  ///< RecurrentResultT in float.

}  // namespace xg::nn

/// \file
/// Any cell over a sequence: layers, both directions, per-sequence lengths, batch_first and
/// dropout between layers, from the cell's one-step function alone, with no kernel to write.
/// A cell written from primitive ops gets what the fused layers have this way, and every
/// fused layer is tested against it (tests/nn_rnn.cpp).
///
///   xg::nn::GRUCell fwd(xg::nn::GRUCellOptions(I, H)), bwd(xg::nn::GRUCellOptions(I, H));
///   auto [out, state] = xg::nn::unroll<float>({{xg::nn::cell_step(fwd), xg::nn::cell_step(bwd)}}, x, {}, lengths);
///
///   // a cell of your own: (x_t, state) -> next state
///   auto mine = [&](const xg::Tensor& x, const xg::nn::RecurrentState& s) -> xg::nn::RecurrentState {
///       xg::Tensor h = s.h.defined() ? s.h : xg::zeros({x.size(0), H});
///       return {xg::tanh(xg::linear(x, w_ih) + xg::linear(h, w_hh)), {}};
///   };
///
/// Shapes as the fused layers' (nn/rnn.hpp): x (S, B, I), or (B, S, I) with batch_first, or
/// (S, I) unbatched; out (S, B, D*Hout); state h (D*L, B, Hout), c (D*L, B, H) if the cells
/// return one. Past a sequence's length its output is zeros and its state stays as it was;
/// the reverse direction starts at each sequence's own last step, as pack_padded_sequence.
#pragma once

#include <functional>
#include <vector>

#include "core/options.hpp"
#include "nn/recurrent_state.hpp"
#include "nn/rnn_cell.hpp"

namespace xg::nn {

/// One step of a cell: (x_t (B, in), state) -> the next state. At the first step the state is
/// the layer's initial state for this cell, or empty (h and c undefined) for zeros.
template <class T>
using CellStep = std::function<RecurrentStateT<T>(const TensorT<T>& x, const RecurrentStateT<T>& state)>;

/// A cell module's step function (the module must outlive it): RNNCell and GRUCell give h,
/// LSTMCell h and c.
template <class T>
CellStep<T> cell_step(RNNCellT<T>& cell) {
    return [&cell](const TensorT<T>& x, const RecurrentStateT<T>& s) { return RecurrentStateT<T>{cell.forward(x, s.h), {}}; };
}
/// GRUCell's step: h only.
template <class T>
CellStep<T> cell_step(GRUCellT<T>& cell) {
    return [&cell](const TensorT<T>& x, const RecurrentStateT<T>& s) { return RecurrentStateT<T>{cell.forward(x, s.h), {}}; };
}
/// LSTMCell's step: h and c.
template <class T>
CellStep<T> cell_step(LSTMCellT<T>& cell) {
    return [&cell](const TensorT<T>& x, const RecurrentStateT<T>& s) { return cell.forward(x, s); };
}

/// Settings of unroll() beyond the cells: those of the fused layers that are not the cell's,
/// and the regularisers, which work with any cell. Every probability is in [0, 1] and off (0)
/// by default; masks come from the thread's generator (xg::manual_seed), so a fixed seed gives
/// the same masks on any thread count.
struct UnrollOptions {
    XG_ARG(bool, batch_first) = false;  ///< input and output as (B, S, ...); the state is unaffected
    XG_ARG(double, dropout) = 0.0;      ///< dropout probability on each layer's output but the last
    XG_ARG(bool, training) = true;      ///< masks apply only in training, as F.dropout's training
    /// Zoneout (Krueger et al. 2016) of h: in training each unit keeps its previous value with
    /// this probability, at each step; in evaluation h = p * previous + (1 - p) * new.
    XG_ARG(double, zoneout_h) = 0.0;
    XG_ARG(double, zoneout_c) = 0.0;  ///< zoneout of c, as zoneout_h (cells that return c)
    /// Variational (locked) dropout (Gal and Ghahramani 2016) of each layer's input: one mask
    /// per sequence and feature, the same at every step.
    XG_ARG(double, input_dropout) = 0.0;
    XG_ARG(double, output_dropout) = 0.0;  ///< variational dropout of each layer's output, as input_dropout
};

/// Runs cells[l][d] (layer l, direction d: 0 forward, 1 reverse; every layer has the same
/// number of directions, 1 or 2) over x, layer l + 1 reading layer l's outputs (directions
/// concatenated). `state` is the initial state of every layer and direction, or empty for
/// zeros. Throws xg::Error on mismatched shapes, lengths or cells.
template <class T>
RecurrentResultT<T> unroll(const std::vector<std::vector<CellStep<T>>>& cells, const TensorT<T>& x,
                           const RecurrentStateT<T>& state = {}, const Lengths& lengths = {},
                           const UnrollOptions& options = {});
/// Variational (locked) dropout (Gal and Ghahramani 2016; AWD-LSTM's LockedDropout) of a
/// sequence x (S, B, F), or (B, S, F) with batch_first: in training one mask per sequence and
/// feature, the same at every step, kept values scaled by 1 / (1 - p); else x itself.
template <class T>
TensorT<T> locked_dropout(const TensorT<T>& x, double p, bool training, bool batch_first = false);
/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_UNROLL_FUNCTIONS(T, OP, OVERLOAD) OP(T, unroll) OP(T, locked_dropout)
XG_DECLARE_OPS(XG_UNROLL_FUNCTIONS)

}  // namespace xg::nn

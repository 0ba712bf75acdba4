// Internal (not installed): the kernels behind nn/rnn.hpp.
// Fused recurrent layers: one layer (one or both directions) over a whole sequence
// is ONE tape entry. Used by nn::RNN, nn::GRU, nn::LSTM, nn::LayerNormLSTM and
// nn::PeepholeLSTM, each cell a policy (nn/cell_policies/) of one driver (nn/rnn_driver.hpp);
// tested against the same cells written with primitive ops (tests/nn_rnn.cpp) and
// gradient-checked in double.
//
// Size legend: T time steps (S in the code, where T names the scalar type), B batch,
// I input, H hidden, P projection, Hout = P if P > 0 else H, G gates (the LSTMs 4: i f g o;
// GRU 3: r z n; RNN 1), D directions.
//
// Per direction the sequence is packed as PyTorch's PackedSequence: rows sorted by
// length (longest first), step t holding the batch_sizes[t] rows still running, so
// padded steps cost nothing. Forward:
//   A  = X W_ih^T + b_ih (+ b_hh)           one GEMM for all steps   (N, G*H)
//   per step t: A_t += h_{t-1} W_hh^T        one GEMM per step        (b_t, G*H)
//               gates, cell and output       one SIMD pass (the policy's forward)
// W_hh (and W_hr) are packed once per call into the GEMM's layout (core/gemm.hpp) and
// read by every step and every thread; the backward packs them once more, untransposed.
// Backward (BPTT) walks the steps in reverse with one GEMM per step for dh_{t-1}, then
// dW_ih, dW_hh (and dW_hr) with one GEMM each over all steps.
// The packed X and H_prev are never gathered into whole copies: the input GEMM reads x's rows where they
// live (gemm::multiply_rows), and the weight-gradient GEMMs pack their B straight from the
// rows of x, y and h0 (gemm::pack_rows).
#pragma once

#include <cstddef>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/rnn_weights.hpp"

namespace xg::nn::detail {

template <class T>
struct LayerResult {
    TensorT<T> y;    // (S, B, D*Hout), or (B, S, D*Hout) when batch_first; zeros at padded steps
    TensorT<T> h_n;  // (D, B, Hout): each sequence's state after its last real step
    TensorT<T> c_n;  // (D, B, H), cells with a c only
};

// One layer of a built-in cell, chosen by RNNMode (nn/rnn_weights.hpp). x: (S, B, I), or
// (B, S, I) when batch_first. h0: (D, B, Hout) and c0: (D, B, H), or empty handles for zeros.
// lengths: empty (every sequence has S steps) or B values in [1, S]. The reverse direction
// starts at each sequence's own last step.
template <class T>
LayerResult<T> rnn_layer(RNNMode mode, const TensorT<T>& x, const std::vector<DirectionWeights<T>>& dirs,
                         const TensorT<T>& h0, const TensorT<T>& c0, const std::vector<std::size_t>& lengths,
                         bool batch_first, const Zoneout& zoneout = {});

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_RNN_LAYER_FUNCTIONS(T, OP, OVERLOAD) OP(T, rnn_layer)
XG_DECLARE_OPS(XG_RNN_LAYER_FUNCTIONS)

}  // namespace xg::nn::detail

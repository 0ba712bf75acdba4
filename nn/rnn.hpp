/// \file
/// Recurrent layers with PyTorch's options, parameter names, shapes and initialisation:
/// RNN (tanh or relu), GRU and LSTM (with projection, LSTMP).
///
///   xg::nn::LSTM lstm(xg::nn::LSTMOptions(I, H).num_layers(2).bidirectional(true));
///   auto [out, state] = lstm.forward(x);             // zero initial state
///   auto [out, state] = lstm.forward(x, {h0, c0});   // state.h, state.c
///   auto [out, h] = gru.forward(x, h0);              // GRU and RNN: PyTorch's (out, h_n)
///
/// Any of the three, behind their common base (PyTorch's RNNBase), as d2l writes
/// `Y, state = self.rnn(X, state)`:
///   std::shared_ptr<xg::nn::RNNBase> rnn = std::make_shared<xg::nn::GRU>(...);
///   auto [Y, next] = rnn->forward(X, state);         // state.c only for an LSTM
///
/// Shapes (D = 2 if bidirectional else 1, L = num_layers, Hout = proj_size or H):
///   x   (S, B, I), or (B, S, I) with batch_first, or (S, I) unbatched
///   out (S, B, D*Hout), or (B, S, D*Hout) with batch_first
///   h   (D*L, B, Hout)        c (D*L, B, H)   (LSTM)
///
/// Equations per layer and direction (x_t the layer's input, h_{t-1} its previous output):
///   RNN:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)          (or relu)
///   GRU:  r = s(W_ir x + b_ir + W_hr h + b_hr)    z = s(W_iz x + b_iz + W_hz h + b_hz)
///         n = tanh(W_in x + b_in + r * (W_hn h + b_hn))    h_t = (1 - z) * n + z * h_{t-1}
///   LSTM: i = s(W_ii x + b_ii + W_hi h + b_hi)    f = s(W_if x + b_if + W_hf h + b_hf)
///         g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = s(W_io x + b_io + W_ho h + b_ho)
///         c_t = f * c_{t-1} + i * g               h_t = o * tanh(c_t)
///         with proj_size P > 0: h_t = W_hr (o * tanh(c_t))   (W_hr is (P, H))
/// Gate rows are stacked in that order in weight_ih_l{k} / weight_hh_l{k}: (i, f, g, o),
/// (r, z, n). Between layers, dropout (training only).
///
/// Variable-length batches (PyTorch's pack_padded_sequence): pass lengths (one per
/// sequence, in [1, S]); padded steps cost no compute, get zeros in `out` and no
/// gradient, the final state is each sequence's own last step, and the reverse
/// direction starts there.
///
/// Each layer runs as one fused tape entry (see nn/rnn_kernels.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/module.hpp"
#include "core/options.hpp"
#include "nn/recurrent_state.hpp"
#include "nn/rnn_weights.hpp"

namespace xg::nn {

/// Settings of RNN, as torch.nn.RNN's constructor arguments.
struct RNNOptions {
    /// (RNNOptions(100, 256, 2): num_layers positional too, as torch.nn's third argument)
    RNNOptions(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers = 1)
        : input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers) {}
    XG_ARG(std::int64_t, input_size);          ///< I: features per input step
    XG_ARG(std::int64_t, hidden_size);         ///< H: features of the hidden state
    XG_ARG(std::int64_t, num_layers);          ///< L: stacked layers, each fed the previous one's output
    XG_ARG(std::string, nonlinearity) = "tanh";  ///< "tanh" or "relu"; anything else is rejected
    XG_ARG(bool, bias) = true;                 ///< add b_ih and b_hh, as torch.nn.RNN's bias
    XG_ARG(bool, batch_first) = false;         ///< input and output as (B, S, ...) instead of (S, B, ...); h is unaffected
    XG_ARG(double, dropout) = 0.0;             ///< dropout probability on each layer's output but the last, in training only
    XG_ARG(bool, bidirectional) = false;       ///< also run each layer backwards in time, doubling the output width (D = 2)
};

/// Settings of GRU, as torch.nn.GRU's constructor arguments.
struct GRUOptions {
    /// (GRUOptions(100, 256, 2): num_layers positional too, as torch.nn's third argument)
    GRUOptions(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers = 1)
        : input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers) {}
    XG_ARG(std::int64_t, input_size);      ///< I: features per input step
    XG_ARG(std::int64_t, hidden_size);     ///< H: features of the hidden state
    XG_ARG(std::int64_t, num_layers);      ///< L: stacked layers, each fed the previous one's output
    XG_ARG(bool, bias) = true;             ///< add b_ih and b_hh, as torch.nn.GRU's bias
    XG_ARG(bool, batch_first) = false;     ///< input and output as (B, S, ...) instead of (S, B, ...); h is unaffected
    XG_ARG(double, dropout) = 0.0;         ///< dropout probability on each layer's output but the last, in training only
    XG_ARG(bool, bidirectional) = false;   ///< also run each layer backwards in time, doubling the output width (D = 2)
};

/// Settings of LSTM, as torch.nn.LSTM's constructor arguments.
struct LSTMOptions {
    /// (LSTMOptions(100, 256, 2): num_layers positional too, as torch.nn's third argument)
    LSTMOptions(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers = 1)
        : input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers) {}
    XG_ARG(std::int64_t, input_size);      ///< I: features per input step
    XG_ARG(std::int64_t, hidden_size);     ///< H: features of the cell state
    XG_ARG(std::int64_t, num_layers);      ///< L: stacked layers, each fed the previous one's output
    XG_ARG(bool, bias) = true;             ///< add b_ih and b_hh, as torch.nn.LSTM's bias
    XG_ARG(bool, batch_first) = false;     ///< input and output as (B, S, ...) instead of (S, B, ...); h and c are unaffected
    XG_ARG(double, dropout) = 0.0;         ///< dropout probability on each layer's output but the last, in training only
    XG_ARG(bool, bidirectional) = false;   ///< also run each layer backwards in time, doubling the output width (D = 2)
    XG_ARG(std::int64_t, proj_size) = 0;   ///< P > 0 projects h to P features with weight_hr (LSTMP); must be below H
};

/// An LSTM's state (h, c), as PyTorch's (h_0, c_0) tuple: RecurrentStateT by another name.
template <class T>
using LSTMStateT = RecurrentStateT<T>;
/// What LSTMT::forward returns, PyTorch's (output, (h_n, c_n)): RecurrentResultT by another name.
template <class T>
using LSTMResultT = RecurrentResultT<T>;

/// What RNNT::forward and GRUT::forward return, PyTorch's (output, h_n).
template <class T>
struct RNNResultT {
    TensorT<T> output;  ///< (S, B, D*H), or (B, S, D*H) with batch_first: the last layer's h at every step
    TensorT<T> h;  ///< (D*L, B, H)
};

/// What RNN, GRU and LSTM share: parameters, settings, checks and the layer loop
/// (PyTorch's RNNBase). Its forward serves all three with one state type.
template <class T>
class RNNBaseT : public ModuleT<T> {
public:
    /// The settings, stored once; options() of each layer is made from them.
    struct Config {
        detail::RNNMode mode;      ///< the cell: RNN with tanh or relu, LSTM or GRU
        std::int64_t input_size,   ///< I, as the options' input_size
            hidden_size,           ///< H, as the options' hidden_size
            num_layers,            ///< L, as the options' num_layers
            proj_size;             ///< P, LSTM's proj_size; 0 (no projection) for RNN and GRU
        bool bias,                 ///< as the options' bias
            batch_first,           ///< as the options' batch_first
            bidirectional;         ///< as the options' bidirectional
        double dropout;            ///< as the options' dropout
    };

    /// out and the final state; state.c (in and out) only for an LSTM, where h and c are
    /// given together or not at all.
    RecurrentResultT<T> forward(const TensorT<T>& x, const RecurrentStateT<T>& state, const Lengths& lengths = {});
    /// module(x, ...) is module.forward(x, ...), as in PyTorch
    RecurrentResultT<T> operator()(const TensorT<T>& x, const RecurrentStateT<T>& state, const Lengths& lengths = {}) {
        return forward(x, state, lengths);
    }

    /// The settings this layer was built with, whichever of RNN, GRU and LSTM it is.
    const Config& config() const { return config_; }
    std::string extra_repr() const override;
    /// Every parameter back to U(-1/sqrt(H), 1/sqrt(H)), as PyTorch's reset_parameters.
    void reset_parameters();

protected:
    /// Checks the settings, then registers each layer's and direction's parameters under
    /// PyTorch's names (weight_ih_l0, ..., weight_hh_l0_reverse) and calls reset_parameters().
    explicit RNNBaseT(const Config& config);

private:
    Config config_;
    std::vector<std::vector<detail::DirectionWeights<T>>> layers_;
};

/// Elman RNN with tanh or relu, as torch.nn.RNN.
template <class T>
class RNNT : public RNNBaseT<T> {
public:
    /// A layer with these settings, parameters drawn as reset_parameters() does; throws on a
    /// nonlinearity other than "tanh" or "relu".
    explicit RNNT(const RNNOptions& options);
    using RNNBaseT<T>::forward;  // (x, RecurrentState, lengths)
    /// (out, h_n) from x and an optional h0 (empty: zeros), as torch.nn.RNN's forward; the
    /// base forward(x, RecurrentState, lengths) is also available.
    RNNResultT<T> forward(const TensorT<T>& x, const TensorT<T>& h0 = {}, const Lengths& lengths = {});
    using RNNBaseT<T>::operator();
    /// module(x, h0, lengths) is module.forward(x, h0, lengths), as in PyTorch.
    RNNResultT<T> operator()(const TensorT<T>& x, const TensorT<T>& h0 = {}, const Lengths& lengths = {}) {
        return forward(x, h0, lengths);
    }
    /// The settings, rebuilt from config(): RNNT(layer.options()) makes a layer like this one.
    RNNOptions options() const;
    std::string type_name() const override { return "RNN"; }
};

/// Gated recurrent unit layer, as torch.nn.GRU.
template <class T>
class GRUT : public RNNBaseT<T> {
public:
    /// A layer with these settings, parameters drawn as reset_parameters() does.
    explicit GRUT(const GRUOptions& options);
    using RNNBaseT<T>::forward;  // (x, RecurrentState, lengths)
    /// (out, h_n) from x and an optional h0 (empty: zeros), as torch.nn.GRU's forward; the
    /// base forward(x, RecurrentState, lengths) is also available.
    RNNResultT<T> forward(const TensorT<T>& x, const TensorT<T>& h0 = {}, const Lengths& lengths = {});
    using RNNBaseT<T>::operator();
    /// module(x, h0, lengths) is module.forward(x, h0, lengths), as in PyTorch.
    RNNResultT<T> operator()(const TensorT<T>& x, const TensorT<T>& h0 = {}, const Lengths& lengths = {}) {
        return forward(x, h0, lengths);
    }
    /// The settings, rebuilt from config(): GRUT(layer.options()) makes a layer like this one.
    GRUOptions options() const;
    std::string type_name() const override { return "GRU"; }
};

/// Long short-term memory layer, optionally with projection (LSTMP), as torch.nn.LSTM.
template <class T>
class LSTMT : public RNNBaseT<T> {
public:
    /// A layer with these settings, parameters drawn as reset_parameters() does.
    explicit LSTMT(const LSTMOptions& options);
    /// (out, (h_n, c_n)) from x and an optional {h0, c0} (both or neither; empty: zeros), as
    /// torch.nn.LSTM's forward.
    LSTMResultT<T> forward(const TensorT<T>& x, const LSTMStateT<T>& state = {}, const Lengths& lengths = {}) {
        return RNNBaseT<T>::forward(x, state, lengths);
    }
    /// module(x, state, lengths) is module.forward(x, state, lengths), as in PyTorch.
    LSTMResultT<T> operator()(const TensorT<T>& x, const LSTMStateT<T>& state = {}, const Lengths& lengths = {}) {
        return forward(x, state, lengths);
    }
    /// The settings, rebuilt from config(): LSTMT(layer.options()) makes a layer like this one.
    LSTMOptions options() const;
    std::string type_name() const override { return "LSTM"; }
};

using RNNBase = RNNBaseT<float>;                  ///< RNNBaseT in float: the type most programs use.
using LSTMState = LSTMStateT<float>;              ///< LSTMStateT in float.
using LSTMResult = LSTMResultT<float>;            ///< LSTMResultT in float.
using RNNResult = RNNResultT<float>;              ///< RNNResultT in float.
using RNN = RNNT<float>;                          ///< RNNT in float: the type most programs use.
using GRU = GRUT<float>;                          ///< GRUT in float: the type most programs use.
using LSTM = LSTMT<float>;                        ///< LSTMT in float: the type most programs use.

XG_EXTERN_CLASS(RNNBaseT) XG_EXTERN_CLASS(RNNT) XG_EXTERN_CLASS(GRUT) XG_EXTERN_CLASS(LSTMT)

}  // namespace xg::nn

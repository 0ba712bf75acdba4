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
#include "nn/rnn_weights.hpp"

namespace xg::nn {

using Lengths = std::vector<std::size_t>;

struct RNNOptions {
    /// (RNNOptions(100, 256, 2): num_layers positional too, as torch.nn's third argument)
    RNNOptions(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers = 1)
        : input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers) {}
    XG_ARG(std::int64_t, input_size);
    XG_ARG(std::int64_t, hidden_size);
    XG_ARG(std::int64_t, num_layers);
    XG_ARG(std::string, nonlinearity) = "tanh";  // or "relu"
    XG_ARG(bool, bias) = true;
    XG_ARG(bool, batch_first) = false;
    XG_ARG(double, dropout) = 0.0;
    XG_ARG(bool, bidirectional) = false;
};

struct GRUOptions {
    /// (GRUOptions(100, 256, 2): num_layers positional too, as torch.nn's third argument)
    GRUOptions(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers = 1)
        : input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers) {}
    XG_ARG(std::int64_t, input_size);
    XG_ARG(std::int64_t, hidden_size);
    XG_ARG(std::int64_t, num_layers);
    XG_ARG(bool, bias) = true;
    XG_ARG(bool, batch_first) = false;
    XG_ARG(double, dropout) = 0.0;
    XG_ARG(bool, bidirectional) = false;
};

struct LSTMOptions {
    /// (LSTMOptions(100, 256, 2): num_layers positional too, as torch.nn's third argument)
    LSTMOptions(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers = 1)
        : input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers) {}
    XG_ARG(std::int64_t, input_size);
    XG_ARG(std::int64_t, hidden_size);
    XG_ARG(std::int64_t, num_layers);
    XG_ARG(bool, bias) = true;
    XG_ARG(bool, batch_first) = false;
    XG_ARG(double, dropout) = 0.0;
    XG_ARG(bool, bidirectional) = false;
    XG_ARG(std::int64_t, proj_size) = 0;
};

/// A recurrent layer's state: h, and c for an LSTM (empty for RNN and GRU). An empty h
/// means zeros.
template <class T>
struct RecurrentStateT {
    TensorT<T> h;  ///< (D*L, B, Hout)
    TensorT<T> c;  ///< (D*L, B, H)

    /// Both halves cut from the graph: carry the state into the next batch (truncated BPTT).
    /// An empty state (no initial state yet) stays empty.
    RecurrentStateT detach() const { return {h.defined() ? h.detach() : h, c.defined() ? c.detach() : c}; }
};

template <class T>
struct RecurrentResultT {
    TensorT<T> output;
    RecurrentStateT<T> state;
};

template <class T>
using LSTMStateT = RecurrentStateT<T>;
template <class T>
using LSTMResultT = RecurrentResultT<T>;

template <class T>
struct RNNResultT {
    TensorT<T> output;
    TensorT<T> h;  ///< (D*L, B, H)
};

/// What RNN, GRU and LSTM share: parameters, settings, checks and the layer loop
/// (PyTorch's RNNBase). Its forward serves all three with one state type.
template <class T>
class RNNBaseT : public ModuleT<T> {
public:
    /// The settings, stored once; options() of each layer is made from them.
    struct Config {
        detail::RNNMode mode;
        std::int64_t input_size, hidden_size, num_layers, proj_size;
        bool bias, batch_first, bidirectional;
        double dropout;
    };

    /// out and the final state; state.c (in and out) only for an LSTM, where h and c are
    /// given together or not at all.
    RecurrentResultT<T> forward(const TensorT<T>& x, const RecurrentStateT<T>& state, const Lengths& lengths = {});
    /// module(x, ...) is module.forward(x, ...), as in PyTorch
    RecurrentResultT<T> operator()(const TensorT<T>& x, const RecurrentStateT<T>& state, const Lengths& lengths = {}) {
        return forward(x, state, lengths);
    }

    const Config& config() const { return config_; }
    std::string extra_repr() const override;
    /// Every parameter back to U(-1/sqrt(H), 1/sqrt(H)), as PyTorch's reset_parameters.
    void reset_parameters();

protected:
    explicit RNNBaseT(const Config& config);

private:
    Config config_;
    std::vector<std::vector<detail::DirectionWeights<T>>> layers_;
};

template <class T>
class RNNT : public RNNBaseT<T> {
public:
    explicit RNNT(const RNNOptions& options);
    using RNNBaseT<T>::forward;  ///< (x, RecurrentState, lengths)
    RNNResultT<T> forward(const TensorT<T>& x, const TensorT<T>& h0 = {}, const Lengths& lengths = {});
    using RNNBaseT<T>::operator();
    RNNResultT<T> operator()(const TensorT<T>& x, const TensorT<T>& h0 = {}, const Lengths& lengths = {}) {
        return forward(x, h0, lengths);
    }
    RNNOptions options() const;
    std::string type_name() const override { return "RNN"; }
};

template <class T>
class GRUT : public RNNBaseT<T> {
public:
    explicit GRUT(const GRUOptions& options);
    using RNNBaseT<T>::forward;  ///< (x, RecurrentState, lengths)
    RNNResultT<T> forward(const TensorT<T>& x, const TensorT<T>& h0 = {}, const Lengths& lengths = {});
    using RNNBaseT<T>::operator();
    RNNResultT<T> operator()(const TensorT<T>& x, const TensorT<T>& h0 = {}, const Lengths& lengths = {}) {
        return forward(x, h0, lengths);
    }
    GRUOptions options() const;
    std::string type_name() const override { return "GRU"; }
};

template <class T>
class LSTMT : public RNNBaseT<T> {
public:
    explicit LSTMT(const LSTMOptions& options);
    LSTMResultT<T> forward(const TensorT<T>& x, const LSTMStateT<T>& state = {}, const Lengths& lengths = {}) {
        return RNNBaseT<T>::forward(x, state, lengths);
    }
    LSTMResultT<T> operator()(const TensorT<T>& x, const LSTMStateT<T>& state = {}, const Lengths& lengths = {}) {
        return forward(x, state, lengths);
    }
    LSTMOptions options() const;
    std::string type_name() const override { return "LSTM"; }
};

using RNNBase = RNNBaseT<float>;
using RecurrentState = RecurrentStateT<float>;
using RecurrentResult = RecurrentResultT<float>;
using LSTMState = LSTMStateT<float>;
using LSTMResult = LSTMResultT<float>;
using RNNResult = RNNResultT<float>;
using RNN = RNNT<float>;
using GRU = GRUT<float>;
using LSTM = LSTMT<float>;

}  // namespace xg::nn

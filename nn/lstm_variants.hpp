/// \file
/// The LSTM variants PyTorch users have asked for since 2017, as cells and as layers:
///
/// LayerNormLSTM (Ba et al. 2016; TF-addons' LayerNormLSTMCell, Haste), gate order i, f, g, o:
///   gates = LN(W_ih x; ln_ih) + LN(W_hh h; ln_hh) + b_ih + b_hh
///   c' = f * c + i * g        h' = o * tanh(LN(c'; ln_c))
/// with LN as torch.nn.functional.layer_norm over the last dim, eps 1e-5.
///
/// Peephole LSTM (Gers and Schmidhuber; TF's LSTMCell(use_peepholes=True)):
///   i = s(W_ii x + W_hi h + b_i + p_i * c)     f = s(... + p_f * c)     g = tanh(...)
///   c' = f * c + i * g      o = s(... + p_o * c')      h' = o * tanh(c')
/// with the peepholes one (3H) vector weight_ch = [p_i, p_f, p_o], initialised to 0, so an
/// untrained peephole LSTM equals an LSTM.
///
///   xg::nn::LayerNormLSTM lstm(xg::nn::LayerNormLSTMOptions(I, H, 2).bidirectional(true));
///   auto [out, state] = lstm(x, {}, lengths);     // shapes as xg::nn::LSTM's (nn/rnn.hpp)
///   xg::nn::PeepholeLSTMCell cell(xg::nn::LSTMCellOptions(I, H));
///   auto [h, c] = cell(x_t, {h, c});
///
/// The cells are written from primitive ops. The layers run fused, as LSTM does (one tape
/// entry per layer; their policies are in nn/cell_policies/), with every regulariser.
/// forward_unrolled() runs the composed cells through unroll() (nn/unroll.hpp) instead: the
/// reference the fused layers are tested against, with the same masks for the same seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/options.hpp"
#include "nn/layer_norm.hpp"
#include "nn/module.hpp"
#include "nn/recurrent_state.hpp"
#include "nn/rnn_cell.hpp"
#include "nn/rnn_weights.hpp"
#include "nn/unroll.hpp"

namespace xg::nn {

/// One LayerNormLSTM cell's or layer direction's parameters. b_ih and b_hh may be empty.
template <class T>
struct LayerNormLSTMWeights {
    TensorT<T> w_ih;          ///< (4H, I), as LSTM's weight_ih
    TensorT<T> w_hh;          ///< (4H, H), as LSTM's weight_hh
    TensorT<T> b_ih;          ///< (4H), or empty
    TensorT<T> b_hh;          ///< (4H), or empty
    TensorT<T> ln_ih_weight;  ///< (4H): the norm of W_ih x
    TensorT<T> ln_ih_bias;    ///< (4H)
    TensorT<T> ln_hh_weight;  ///< (4H): the norm of W_hh h
    TensorT<T> ln_hh_bias;    ///< (4H)
    TensorT<T> ln_c_weight;   ///< (H): the norm of c' inside tanh
    TensorT<T> ln_c_bias;     ///< (H)
};
/// One peephole LSTM cell's or layer direction's parameters. b_ih and b_hh may be empty.
template <class T>
struct PeepholeLSTMWeights {
    TensorT<T> w_ih;  ///< (4H, I), as LSTM's weight_ih
    TensorT<T> w_hh;  ///< (4H, H), as LSTM's weight_hh
    TensorT<T> b_ih;  ///< (4H), or empty
    TensorT<T> b_hh;  ///< (4H), or empty
    TensorT<T> w_ch;  ///< (3H): the peepholes p_i, p_f, p_o
};

/// One LayerNormLSTM step from primitive ops: x (B, I), state h, c (B, H), both defined.
template <class T>
RecurrentStateT<T> layer_norm_lstm_cell(const TensorT<T>& x, const RecurrentStateT<T>& state, const LayerNormLSTMWeights<T>& w);
/// One peephole LSTM step from primitive ops: x (B, I), state h, c (B, H), both defined.
template <class T>
RecurrentStateT<T> peephole_lstm_cell(const TensorT<T>& x, const RecurrentStateT<T>& state, const PeepholeLSTMWeights<T>& w);
/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_LSTM_VARIANT_FUNCTIONS(T, OP, OVERLOAD) OP(T, layer_norm_lstm_cell) OP(T, peephole_lstm_cell)
XG_DECLARE_OPS(XG_LSTM_VARIANT_FUNCTIONS)

/// A LayerNormLSTM cell, with LSTMCell's options and parameters (weight_ih, weight_hh,
/// bias_ih, bias_hh) plus ln_ih_weight, ln_ih_bias, ln_hh_weight, ln_hh_bias (4H) and
/// ln_c_weight, ln_c_bias (H), initialised to 1 and 0.
template <class T>
class LayerNormLSTMCellT : public CellBaseT<T> {
public:
    /// A cell with these settings, weights drawn U(-1/sqrt(H), 1/sqrt(H)) as LSTMCell's.
    explicit LayerNormLSTMCellT(const LSTMCellOptions& options);
    TensorT<T> ln_ih_weight,  ///< (4H), 1 at first: the norm of W_ih x
        ln_ih_bias,           ///< (4H), 0 at first
        ln_hh_weight,         ///< (4H), 1 at first: the norm of W_hh h
        ln_hh_bias,           ///< (4H), 0 at first
        ln_c_weight,          ///< (H), 1 at first: the norm of c' inside tanh
        ln_c_bias;            ///< (H), 0 at first
    /// (h', c') from x (B, I) or (I) and the state (both or neither; empty: zeros), as LSTMCell's forward.
    RecurrentStateT<T> forward(const TensorT<T>& x, const RecurrentStateT<T>& state = {});
    /// module(x, state) is module.forward(x, state), as in PyTorch.
    RecurrentStateT<T> operator()(const TensorT<T>& x, const RecurrentStateT<T>& state = {}) { return forward(x, state); }
    std::string type_name() const override { return "LayerNormLSTMCell"; }
};

/// A peephole LSTM cell, with LSTMCell's options and parameters plus weight_ch (3H), initialised to 0.
template <class T>
class PeepholeLSTMCellT : public CellBaseT<T> {
public:
    /// A cell with these settings, weights drawn U(-1/sqrt(H), 1/sqrt(H)) as LSTMCell's.
    explicit PeepholeLSTMCellT(const LSTMCellOptions& options);
    TensorT<T> weight_ch;  ///< (3H): the peepholes [p_i, p_f, p_o], 0 at first
    /// (h', c') from x (B, I) or (I) and the state (both or neither; empty: zeros), as LSTMCell's forward.
    RecurrentStateT<T> forward(const TensorT<T>& x, const RecurrentStateT<T>& state = {});
    /// module(x, state) is module.forward(x, state), as in PyTorch.
    RecurrentStateT<T> operator()(const TensorT<T>& x, const RecurrentStateT<T>& state = {}) { return forward(x, state); }
    std::string type_name() const override { return "PeepholeLSTMCell"; }
};

/// LayerNormLSTMCell's step for unroll() (the module must outlive it).
template <class T>
CellStep<T> cell_step(LayerNormLSTMCellT<T>& cell) {
    return [&cell](const TensorT<T>& x, const RecurrentStateT<T>& s) { return cell.forward(x, s); };
}
/// PeepholeLSTMCell's step for unroll() (the module must outlive it).
template <class T>
CellStep<T> cell_step(PeepholeLSTMCellT<T>& cell) {
    return [&cell](const TensorT<T>& x, const RecurrentStateT<T>& s) { return cell.forward(x, s); };
}

/// Settings of the LSTM variants' layers: torch.nn.LSTM's, without proj_size.
struct LSTMVariantOptions {
    /// (LayerNormLSTMOptions(100, 256, 2): num_layers positional too, as torch.nn's third argument)
    LSTMVariantOptions(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers = 1)
        : input_size_(input_size), hidden_size_(hidden_size), num_layers_(num_layers) {}
    XG_ARG(std::int64_t, input_size);     ///< I: features per input step
    XG_ARG(std::int64_t, hidden_size);    ///< H: features of the hidden and cell states
    XG_ARG(std::int64_t, num_layers);     ///< L: stacked layers, each fed the previous one's output
    XG_ARG(bool, bias) = true;            ///< add b_ih and b_hh
    XG_ARG(bool, batch_first) = false;    ///< input and output as (B, S, ...); h and c are unaffected
    XG_ARG(double, dropout) = 0.0;        ///< dropout probability on each layer's output but the last, in training only
    XG_ARG(bool, bidirectional) = false;  ///< also run each layer backwards in time (D = 2)
    /// DropConnect on W_hh, AWD-LSTM's weight drop (Merity et al. 2017): in training, each
    /// element of every W_hh is dropped with this probability, one mask per forward call.
    XG_ARG(double, weight_drop) = 0.0;
    XG_ARG(double, zoneout_h) = 0.0;       ///< zoneout of h, as UnrollOptions' (nn/unroll.hpp)
    XG_ARG(double, zoneout_c) = 0.0;       ///< zoneout of c, as UnrollOptions'
    XG_ARG(double, input_dropout) = 0.0;   ///< variational dropout of each layer's input, as UnrollOptions'
    XG_ARG(double, output_dropout) = 0.0;  ///< variational dropout of each layer's output, as UnrollOptions'
};
using LayerNormLSTMOptions = LSTMVariantOptions;  ///< LayerNormLSTM's settings
using PeepholeLSTMOptions = LSTMVariantOptions;   ///< PeepholeLSTM's settings

/// What the LSTM variants' layers share: settings, checks and the run through unroll().
/// Parameters per layer k and direction: LSTM's names (weight_ih_l{k}, ..., with _reverse)
/// and the variant's own (ln_ih_weight_l{k}, ..., weight_ch_l{k}).
template <class T>
class LSTMVariantBaseT : public ModuleT<T> {
public:
    /// (out, (h_n, c_n)) from x and an optional {h0, c0} (both or neither), shapes as LSTM's.
    RecurrentResultT<T> forward(const TensorT<T>& x, const RecurrentStateT<T>& state = {}, const Lengths& lengths = {});
    /// module(x, state, lengths) is module.forward(x, state, lengths), as in PyTorch.
    RecurrentResultT<T> operator()(const TensorT<T>& x, const RecurrentStateT<T>& state = {}, const Lengths& lengths = {}) {
        return forward(x, state, lengths);
    }
    /// The same through unroll() of the composed cells, whatever the settings: slower, one
    /// tape entry per op per step; the reference the fused layers are tested against.
    RecurrentResultT<T> forward_unrolled(const TensorT<T>& x, const RecurrentStateT<T>& state = {}, const Lengths& lengths = {});
    /// Whether forward() runs the fused layer: always for a cell the driver knows, never for a
    /// subclass built without one (see the constructors).
    bool runs_fused() const;
    const LSTMVariantOptions& options() const { return options_; }  ///< the settings it was built with
    std::string extra_repr() const override;

protected:
    /// Checks the settings; `name` prefixes error messages. A layer built this way always runs
    /// through unroll(): a subclass of one's own cell needs no fused kernel.
    LSTMVariantBaseT(const char* name, const LSTMVariantOptions& options);
    /// The same, for a cell the fused driver knows: `own` names its own parameters per layer
    /// and direction (before the suffix), in the order its policy reads them.
    LSTMVariantBaseT(const char* name, const LSTMVariantOptions& options, detail::RNNMode fused, std::vector<std::string> own);
    /// The step of layer l's direction d, reading that direction's parameters.
    virtual CellStep<T> step(std::size_t l, std::size_t d) const = 0;
    /// W_hh of that name, with weight_drop's mask in training (DropConnect).
    TensorT<T> recurrent_weight(const std::string& name) const;
    /// "_l{l}" or "_l{l}_reverse": the parameter names' suffix.
    static std::string suffix(std::size_t l, std::size_t d);
    /// For each layer and direction in order: LSTM's weight_ih, weight_hh (and biases), drawn
    /// U(-1/sqrt(H), 1/sqrt(H)) as LSTM's, then the variant's own through register_own(suffix).
    void register_directions(const std::function<void(const std::string& suffix)>& register_own);
    /// The bias parameter of that name, or an empty handle without bias.
    TensorT<T> optional(const std::string& name) const;
    const char* name_;            ///< "LayerNormLSTM" or "PeepholeLSTM", for error messages
    LSTMVariantOptions options_;  ///< the settings it was built with

private:
    RecurrentResultT<T> forward_fused(const TensorT<T>& x, const RecurrentStateT<T>& state, const Lengths& lengths);
    /// Checks x's shape, the state's and the lengths against the settings.
    void check_input(const TensorT<T>& x, const RecurrentStateT<T>& state, const Lengths& lengths) const;
    std::optional<detail::RNNMode> fused_;  ///< the fused driver's cell, if it has one
    std::vector<std::string> own_;          ///< the cell's own parameters' names, in its policy's order
};

/// LayerNormLSTM layers: the LSTM options (no proj_size), layer norm as in the file comment.
template <class T>
class LayerNormLSTMT : public LSTMVariantBaseT<T> {
public:
    /// Weights U(-1/sqrt(H), 1/sqrt(H)) as LSTM's, norms' weights 1 and biases 0.
    explicit LayerNormLSTMT(const LayerNormLSTMOptions& options);
    std::string type_name() const override { return "LayerNormLSTM"; }

private:
    CellStep<T> step(std::size_t l, std::size_t d) const override;
};

/// Peephole LSTM layers: the LSTM options (no proj_size), peepholes as in the file comment.
template <class T>
class PeepholeLSTMT : public LSTMVariantBaseT<T> {
public:
    /// Weights U(-1/sqrt(H), 1/sqrt(H)) as LSTM's, peepholes 0.
    explicit PeepholeLSTMT(const PeepholeLSTMOptions& options);
    std::string type_name() const override { return "PeepholeLSTM"; }

private:
    CellStep<T> step(std::size_t l, std::size_t d) const override;
};

using LayerNormLSTMCell = LayerNormLSTMCellT<float>;  ///< LayerNormLSTMCellT in float.
using PeepholeLSTMCell = PeepholeLSTMCellT<float>;    ///< PeepholeLSTMCellT in float.
using LayerNormLSTM = LayerNormLSTMT<float>;          ///< LayerNormLSTMT in float.
using PeepholeLSTM = PeepholeLSTMT<float>;            ///< PeepholeLSTMT in float.

XG_EXTERN_CLASS(LayerNormLSTMCellT) XG_EXTERN_CLASS(PeepholeLSTMCellT) XG_EXTERN_CLASS(LSTMVariantBaseT)
XG_EXTERN_CLASS(LayerNormLSTMT) XG_EXTERN_CLASS(PeepholeLSTMT)

}  // namespace xg::nn

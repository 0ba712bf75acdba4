/// \file
/// One time step of RNN, GRU and LSTM, written with primitive ops (linear, sigmoid,
/// tanh, *, +): the readable reference the fused layers (nn/rnn.hpp) are tested
/// against, and what "from scratch" examples build on. Equations as in nn/rnn.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "nn/module.hpp"
#include "nn/recurrent_state.hpp"
#include "core/options.hpp"

namespace xg::nn {

/// x (B, I), h (B, Hout), c (B, H); weights as the layers' (*_l0). Biases and w_hr may be
/// empty handles. Returns (h', c').
template <class T>
std::pair<TensorT<T>, TensorT<T>> lstm_cell(const TensorT<T>& x, const TensorT<T>& h, const TensorT<T>& c,
                                            const TensorT<T>& w_ih, const TensorT<T>& w_hh, const TensorT<T>& b_ih,
                                            const TensorT<T>& b_hh, const TensorT<T>& w_hr = {});
/// One GRU step from primitive ops: h' = (1 - z) * n + z * h, shapes and weights as
/// lstm_cell's (gates r, z, n). Biases may be empty handles.
template <class T>
TensorT<T> gru_cell(const TensorT<T>& x, const TensorT<T>& h, const TensorT<T>& w_ih, const TensorT<T>& w_hh,
                    const TensorT<T>& b_ih, const TensorT<T>& b_hh);
/// One RNN step: h' = tanh(W_ih x + b_ih + W_hh h + b_hh); nonlinearity "relu" uses relu
/// instead; any other value is an xg::Error.
template <class T>
TensorT<T> rnn_cell(const TensorT<T>& x, const TensorT<T>& h, const TensorT<T>& w_ih, const TensorT<T>& w_hh,
                    const TensorT<T>& b_ih, const TensorT<T>& b_hh, const std::string& nonlinearity = "tanh");
/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_CELL_FUNCTIONS(T, OP, OVERLOAD) OP(T, lstm_cell) OP(T, gru_cell) OP(T, rnn_cell)
XG_DECLARE_OPS(XG_CELL_FUNCTIONS)

/// Settings of RNNCell, as torch.nn.RNNCell's constructor arguments.
struct RNNCellOptions {
    /// The two required settings, positional as in torch.nn.RNNCell(input_size, hidden_size).
    RNNCellOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
    XG_ARG(std::int64_t, input_size);            ///< I: features of the input
    XG_ARG(std::int64_t, hidden_size);           ///< H: features of the hidden state
    XG_ARG(bool, bias) = true;                   ///< add bias_ih and bias_hh, as torch.nn.RNNCell's bias
    XG_ARG(std::string, nonlinearity) = "tanh";  ///< "tanh" or "relu"; anything else is rejected
};

/// Settings of GRUCell, as torch.nn.GRUCell's constructor arguments.
struct GRUCellOptions {
    /// The two required settings, positional as in torch.nn.GRUCell(input_size, hidden_size).
    GRUCellOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
    XG_ARG(std::int64_t, input_size);   ///< I: features of the input
    XG_ARG(std::int64_t, hidden_size);  ///< H: features of the hidden state
    XG_ARG(bool, bias) = true;          ///< add bias_ih and bias_hh, as torch.nn.GRUCell's bias
};

/// Settings of LSTMCell, as torch.nn.LSTMCell's constructor arguments.
struct LSTMCellOptions {
    /// The two required settings, positional as in torch.nn.LSTMCell(input_size, hidden_size).
    LSTMCellOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
    XG_ARG(std::int64_t, input_size);   ///< I: features of the input
    XG_ARG(std::int64_t, hidden_size);  ///< H: features of the hidden and cell states
    XG_ARG(bool, bias) = true;          ///< add bias_ih and bias_hh, as torch.nn.LSTMCell's bias
};

/// Parameters weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H), initialised
/// U(-1/sqrt(H), 1/sqrt(H)) as PyTorch's cells. Input (B, I) or unbatched (I); a missing
/// state is zeros.
template <class T>
class CellBaseT : public ModuleT<T> {
public:
    TensorT<T> weight_ih,  ///< (G*H, I), the gates' rows stacked
        weight_hh,         ///< (G*H, H), the gates' rows stacked
        bias_ih,           ///< (G*H), an empty handle without bias
        bias_hh;           ///< (G*H), an empty handle without bias
    std::string extra_repr() const override;

protected:
    /// Checks the sizes, registers the parameters for `gates` stacked gates (G) and draws them;
    /// `name` prefixes error messages.
    CellBaseT(const char* name, std::int64_t input_size, std::int64_t hidden_size, bool bias, std::size_t gates);
    /// x as (B, I) and the state as (B, width), checked; `batched` false for a 1-D input
    TensorT<T> check_input(const TensorT<T>& x, bool& batched) const;
    /// s checked against (batch, H), or (H) when not `batched`, and returned as (batch, H);
    /// an empty s gives zeros. `what` names it in the error message.
    TensorT<T> check_state(const TensorT<T>& s, std::size_t batch, bool batched, const char* what) const;
    /// An LSTM-like cell's forward around its step: checks x and the state (h and c, both or
    /// neither; empty is zeros), runs step on the batched forms and unbatches the result for a 1-D x.
    RecurrentStateT<T> forward_with_cell_state(
        const TensorT<T>& x, const RecurrentStateT<T>& state,
        const std::function<RecurrentStateT<T>(const TensorT<T>&, const RecurrentStateT<T>&)>& step) const;
    const char* name_;  ///< the cell's name for error messages: "RNNCell", "GRUCell" or "LSTMCell"
    std::int64_t input_size_,  ///< I, as the options' input_size
        hidden_size_;          ///< H, as the options' hidden_size
    bool bias_;  ///< whether bias_ih and bias_hh exist
};

/// One Elman RNN step with tanh or relu, as torch.nn.RNNCell.
template <class T>
class RNNCellT : public CellBaseT<T> {
public:
    /// A cell with these settings; throws on a nonlinearity other than "tanh" or "relu".
    explicit RNNCellT(const RNNCellOptions& options);
    /// h' from x (B, I) or (I) and h (B, H) or (H), empty for zeros, as torch.nn.RNNCell's forward.
    TensorT<T> forward(const TensorT<T>& x, const TensorT<T>& h = {});
    /// module(x, h) is module.forward(x, h), as in PyTorch.
    TensorT<T> operator()(const TensorT<T>& x, const TensorT<T>& h = {}) { return forward(x, h); }
    std::string type_name() const override { return "RNNCell"; }
    std::string extra_repr() const override;

private:
    RNNCellOptions options_;
};

/// One GRU step, as torch.nn.GRUCell.
template <class T>
class GRUCellT : public CellBaseT<T> {
public:
    /// A cell with these settings, parameters drawn U(-1/sqrt(H), 1/sqrt(H)).
    explicit GRUCellT(const GRUCellOptions& options);
    /// h' from x (B, I) or (I) and h (B, H) or (H), empty for zeros, as torch.nn.GRUCell's forward.
    TensorT<T> forward(const TensorT<T>& x, const TensorT<T>& h = {});
    /// module(x, h) is module.forward(x, h), as in PyTorch.
    TensorT<T> operator()(const TensorT<T>& x, const TensorT<T>& h = {}) { return forward(x, h); }
    std::string type_name() const override { return "GRUCell"; }
};

/// An LSTM cell's state, PyTorch's (h, c) tuple; both empty means zeros. The same type as a
/// layer's state, so a cell runs through unroll() (nn/unroll.hpp) as it is.
template <class T>
using CellStateT = RecurrentStateT<T>;

/// One LSTM step, as torch.nn.LSTMCell (no projection; lstm_cell() takes w_hr).
template <class T>
class LSTMCellT : public CellBaseT<T> {
public:
    /// A cell with these settings, parameters drawn U(-1/sqrt(H), 1/sqrt(H)).
    explicit LSTMCellT(const LSTMCellOptions& options);
    /// returns (h', c'), as PyTorch's LSTMCell
    CellStateT<T> forward(const TensorT<T>& x, const CellStateT<T>& state = {});
    /// module(x, state) is module.forward(x, state), as in PyTorch.
    CellStateT<T> operator()(const TensorT<T>& x, const CellStateT<T>& state = {}) { return forward(x, state); }
    std::string type_name() const override { return "LSTMCell"; }
};

using RNNCell = RNNCellT<float>;      ///< RNNCellT in float: the type most programs use.
using GRUCell = GRUCellT<float>;      ///< GRUCellT in float: the type most programs use.
using LSTMCell = LSTMCellT<float>;    ///< LSTMCellT in float: the type most programs use.
using CellState = CellStateT<float>;  ///< CellStateT in float.

XG_EXTERN_CLASS(CellBaseT) XG_EXTERN_CLASS(RNNCellT) XG_EXTERN_CLASS(GRUCellT) XG_EXTERN_CLASS(LSTMCellT)

}  // namespace xg::nn

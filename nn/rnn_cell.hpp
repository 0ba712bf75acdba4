/// \file
/// One time step of RNN, GRU and LSTM, written with primitive ops (linear, sigmoid,
/// tanh, *, +): the readable reference the fused layers (nn/rnn.hpp) are tested
/// against, and what "from scratch" examples build on. Equations as in nn/rnn.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "nn/module.hpp"
#include "core/options.hpp"

namespace xg::nn {

/// x (B, I), h (B, Hout), c (B, H); weights as the layers' (*_l0). Biases and w_hr may be
/// empty handles. Returns (h', c').
template <class T>
std::pair<TensorT<T>, TensorT<T>> lstm_cell(const TensorT<T>& x, const TensorT<T>& h, const TensorT<T>& c,
                                            const TensorT<T>& w_ih, const TensorT<T>& w_hh, const TensorT<T>& b_ih,
                                            const TensorT<T>& b_hh, const TensorT<T>& w_hr = {});
template <class T>
TensorT<T> gru_cell(const TensorT<T>& x, const TensorT<T>& h, const TensorT<T>& w_ih, const TensorT<T>& w_hh,
                    const TensorT<T>& b_ih, const TensorT<T>& b_hh);
/// nonlinearity "tanh" or "relu"
template <class T>
TensorT<T> rnn_cell(const TensorT<T>& x, const TensorT<T>& h, const TensorT<T>& w_ih, const TensorT<T>& w_hh,
                    const TensorT<T>& b_ih, const TensorT<T>& b_hh, const std::string& nonlinearity = "tanh");

struct RNNCellOptions {
    RNNCellOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
    XG_ARG(std::int64_t, input_size);
    XG_ARG(std::int64_t, hidden_size);
    XG_ARG(bool, bias) = true;
    XG_ARG(std::string, nonlinearity) = "tanh";
};

struct GRUCellOptions {
    GRUCellOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
    XG_ARG(std::int64_t, input_size);
    XG_ARG(std::int64_t, hidden_size);
    XG_ARG(bool, bias) = true;
};

struct LSTMCellOptions {
    LSTMCellOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
    XG_ARG(std::int64_t, input_size);
    XG_ARG(std::int64_t, hidden_size);
    XG_ARG(bool, bias) = true;
};

/// Parameters weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H), initialised
/// U(-1/sqrt(H), 1/sqrt(H)) as PyTorch's cells. Input (B, I) or unbatched (I); a missing
/// state is zeros.
template <class T>
class CellBaseT : public ModuleT<T> {
public:
    TensorT<T> weight_ih, weight_hh, bias_ih, bias_hh;
    std::string extra_repr() const override;

protected:
    CellBaseT(const char* name, std::int64_t input_size, std::int64_t hidden_size, bool bias, std::size_t gates);
    /// x as (B, I) and the state as (B, width), checked; `batched` false for a 1-D input
    TensorT<T> check_input(const TensorT<T>& x, bool& batched) const;
    TensorT<T> check_state(const TensorT<T>& s, std::size_t batch, bool batched, const char* what) const;
    const char* name_;
    std::int64_t input_size_, hidden_size_;
    bool bias_;
};

template <class T>
class RNNCellT : public CellBaseT<T> {
public:
    explicit RNNCellT(const RNNCellOptions& options);
    TensorT<T> forward(const TensorT<T>& x, const TensorT<T>& h = {});
    TensorT<T> operator()(const TensorT<T>& x, const TensorT<T>& h = {}) { return forward(x, h); }
    std::string type_name() const override { return "RNNCell"; }
    std::string extra_repr() const override;

private:
    RNNCellOptions options_;
};

template <class T>
class GRUCellT : public CellBaseT<T> {
public:
    explicit GRUCellT(const GRUCellOptions& options);
    TensorT<T> forward(const TensorT<T>& x, const TensorT<T>& h = {});
    TensorT<T> operator()(const TensorT<T>& x, const TensorT<T>& h = {}) { return forward(x, h); }
    std::string type_name() const override { return "GRUCell"; }
};

template <class T>
struct CellStateT {
    TensorT<T> h, c;
};

template <class T>
class LSTMCellT : public CellBaseT<T> {
public:
    explicit LSTMCellT(const LSTMCellOptions& options);
    /// returns (h', c'), as PyTorch's LSTMCell
    CellStateT<T> forward(const TensorT<T>& x, const CellStateT<T>& state = {});
    CellStateT<T> operator()(const TensorT<T>& x, const CellStateT<T>& state = {}) { return forward(x, state); }
    std::string type_name() const override { return "LSTMCell"; }
};

using RNNCell = RNNCellT<float>;
using GRUCell = GRUCellT<float>;
using LSTMCell = LSTMCellT<float>;
using CellState = CellStateT<float>;

}  // namespace xg::nn

/// \file
/// What a recurrent layer is made of, shared by nn/rnn.hpp and its kernels
/// (nn/rnn_kernels.hpp, internal): the cell kind and one direction's parameters.
#pragma once

#include <cstddef>

#include "autograd/tensor.hpp"

namespace xg::nn::detail {

enum class RNNMode { RNN_TANH, RNN_RELU, LSTM, GRU };

inline std::size_t gate_count(RNNMode m) {
    return m == RNNMode::LSTM ? 4 : m == RNNMode::GRU ? 3 : 1;
}

/// One direction's parameters; biases and w_hr may be empty handles.
template <class T>
struct DirectionWeights {
    TensorT<T> w_ih;  ///< (G*H, I)
    TensorT<T> w_hh;  ///< (G*H, Hout)
    TensorT<T> b_ih;  ///< (G*H)
    TensorT<T> b_hh;  ///< (G*H)
    TensorT<T> w_hr;  ///< (P, H), LSTM with projection only
};

}  // namespace xg::nn::detail

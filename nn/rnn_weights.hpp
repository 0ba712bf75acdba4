/// \file
/// What a recurrent layer is made of, shared by nn/rnn.hpp and its kernels
/// (nn/rnn_kernels.hpp, internal): the cell kind and one direction's parameters.
#pragma once

#include <cstddef>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::nn::detail {

/// The cell of a fused layer; each is a policy in nn/cell_policies/ (internal).
enum class RNNMode { RNN_TANH, RNN_RELU, LSTM, GRU, PEEPHOLE_LSTM, LAYER_NORM_LSTM };

inline std::size_t gate_count(RNNMode m) {
    switch (m) {  // no default: a new mode without its count is a -Wswitch warning
        case RNNMode::RNN_TANH:
        case RNNMode::RNN_RELU: return 1;
        case RNNMode::GRU: return 3;
        case RNNMode::LSTM:
        case RNNMode::PEEPHOLE_LSTM:
        case RNNMode::LAYER_NORM_LSTM: return 4;
    }
    return 0;
}

/// Zoneout (Krueger et al. 2016) inside a fused layer: in training each unit of h (and c)
/// keeps its previous value with probability h (c), masks drawn from the thread's generator in
/// unroll()'s order; in evaluation the expectation, p * previous + (1 - p) * new.
struct Zoneout {
    double h = 0, c = 0;
    bool training = false;
    bool any() const { return h > 0 || c > 0; }
};

/// One direction's parameters; biases and w_hr may be empty handles.
template <class T>
struct DirectionWeights {
    TensorT<T> w_ih;  ///< (G*H, I)
    TensorT<T> w_hh;  ///< (G*H, Hout)
    TensorT<T> b_ih;  ///< (G*H)
    TensorT<T> b_hh;  ///< (G*H)
    TensorT<T> w_hr;  ///< (P, H), LSTM with projection only
    std::vector<TensorT<T>> own;  ///< the cell's own parameters (peepholes, norms), in its policy's order
};

}  // namespace xg::nn::detail

#include "nn/rnn_kernels.hpp"

#include "nn/cell_policies/elman.hpp"
#include "nn/cell_policies/gru.hpp"
#include "nn/cell_policies/layer_norm_lstm.hpp"
#include "nn/cell_policies/lstm.hpp"
#include "nn/cell_policies/peephole_lstm.hpp"
#include "nn/rnn_driver.hpp"

namespace xg::nn::detail {

template <class T>
LayerResult<T> rnn_layer(RNNMode mode, const TensorT<T>& x, const std::vector<DirectionWeights<T>>& dirs,
                         const TensorT<T>& h0, const TensorT<T>& c0, const std::vector<std::size_t>& lengths,
                         bool batch_first, const Zoneout& zoneout) {
    namespace cp = cell_policies;
    switch (mode) {
        case RNNMode::RNN_TANH: return run_layer<T, cp::RNNTanh>(x, dirs, h0, c0, lengths, batch_first, zoneout);
        case RNNMode::RNN_RELU: return run_layer<T, cp::RNNRelu>(x, dirs, h0, c0, lengths, batch_first, zoneout);
        case RNNMode::GRU: return run_layer<T, cp::GRU>(x, dirs, h0, c0, lengths, batch_first, zoneout);
        case RNNMode::LSTM: return run_layer<T, cp::LSTM>(x, dirs, h0, c0, lengths, batch_first, zoneout);
        case RNNMode::PEEPHOLE_LSTM: return run_layer<T, cp::PeepholeLSTM>(x, dirs, h0, c0, lengths, batch_first, zoneout);
        case RNNMode::LAYER_NORM_LSTM: return run_layer<T, cp::LayerNormLSTM>(x, dirs, h0, c0, lengths, batch_first, zoneout);
    }
    XG_FAIL("rnn_layer: unknown cell");
}

XG_DEFINE_OPS(XG_RNN_LAYER_FUNCTIONS)

}  // namespace xg::nn::detail

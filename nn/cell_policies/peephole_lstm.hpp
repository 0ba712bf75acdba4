// Internal (not installed): the peephole LSTM (Gers and Schmidhuber; TF's
// LSTMCell(use_peepholes=True)) as a policy of the fused driver (step.hpp). Its composed
// twin, peephole_lstm_cell in nn/lstm_variants.hpp, is what tests compare it with.
#pragma once

#include "core/simd.hpp"
#include "nn/cell_policies/step.hpp"

namespace xg::nn::cell_policies {

struct PeepholeLSTM {
    static constexpr const char* name = "PeepholeLSTM";
    static constexpr std::size_t gates = 4;
    static constexpr bool has_cell = true, saves_gates = true, separate_hh = false, bias_hh_in_hw = false,
                          direct_dh_prev = false, reads_outputs = false, normalises_input = false, projects = false;
    static std::size_t saved_width(std::size_t) { return 0; }
    // weight_ch_l{k} = [p_i, p_f, p_o], 0 at first: an untrained peephole LSTM is an LSTM
    static std::vector<ParameterSpec> parameters(std::size_t H) { return {{"weight_ch", 3 * H, 0.0}}; }

    // a (bt, 4H) pre-activations [i f g o], activated in place; c_prev, c, m (bt, H); p = weight_ch
    //   i = sigmoid(a_i + p_i c_prev); f = sigmoid(a_f + p_f c_prev); g = tanh(a_g);
    //   c = f c_prev + i g; o = sigmoid(a_o + p_o c); m = o tanh(c)
    template <class T>
    static void forward(const StepForward<T>& s) {
        using namespace simd;
        const std::size_t H = s.H;
        const T* p = s.params[0];
        for (std::size_t r = 0; r < s.bt; ++r) {
            T* g = s.a + r * 4 * H;
            const std::size_t o = r * H;
            zip<T, 8, 6>(H, {g, g + H, g + 2 * H, g + 3 * H, s.c_prev + o, p, p + H, p + 2 * H},
                         {g, g + H, g + 2 * H, g + 3 * H, s.c + o, s.h + o}, [](const auto& x, auto& y) {
                             y[0] = sigmoid(x[0] + x[5] * x[4]);
                             y[1] = sigmoid(x[1] + x[6] * x[4]);
                             y[2] = tanh(x[2]);
                             y[4] = y[1] * x[4] + y[0] * y[2];
                             y[3] = sigmoid(x[3] + x[7] * y[4]);
                             y[5] = y[3] * tanh(y[4]);
                         });
        }
    }

    // from the forward above, with t = tanh(c):
    //   da_o = dm t o (1 - o); dc += dm o (1 - t^2) + da_o p_o;
    //   da_i = dc g i (1 - i); da_f = dc c_prev f (1 - f); da_g = dc i (1 - g^2);
    //   dc_prev = dc f + da_i p_i + da_f p_f; dp_i += da_i c_prev, dp_f += da_f c_prev, dp_o += da_o c
    template <class T>
    static void backward(const StepBackward<T>& s) {
        using namespace simd;
        const std::size_t H = s.H;
        const T* p = s.params[0];
        T* dp = s.dparams[0];
        for (std::size_t r = 0; r < s.bt; ++r) {
            const T* g = s.a + r * 4 * H;
            T* d = s.da + r * 4 * H;
            const std::size_t o = r * H;
            zip<T, 14, 8>(H,
                          {g, g + H, g + 2 * H, g + 3 * H, s.c + o, s.c_prev + o, s.dh + o, s.dc + o, p, p + H, p + 2 * H, dp,
                           dp + H, dp + 2 * H},
                          {d, d + H, d + 2 * H, d + 3 * H, s.dc + o, dp, dp + H, dp + 2 * H}, [](const auto& x, auto& y) {
                              const auto &i = x[0], &f = x[1], &gg = x[2], &og = x[3], &c = x[4], &cp = x[5], &dmr = x[6];
                              const auto one = decltype(x[0] + x[0])(T(1));
                              const auto t = tanh(c);
                              const auto dao = dmr * t * og * (one - og);
                              const auto dcr = x[7] + dmr * og * (one - t * t) + dao * x[10];
                              const auto dai = dcr * gg * i * (one - i);
                              const auto daf = dcr * cp * f * (one - f);
                              y[0] = dai;
                              y[1] = daf;
                              y[2] = dcr * i * (one - gg * gg);
                              y[3] = dao;
                              y[4] = dcr * f + dai * x[8] + daf * x[9];
                              y[5] = x[11] + dai * cp;
                              y[6] = x[12] + daf * cp;
                              y[7] = x[13] + dao * c;
                          });
        }
    }
};

}  // namespace xg::nn::cell_policies

// Internal (not installed): the LSTM cell as a policy of the fused driver (step.hpp),
// torch.nn.LSTM's, gates i f g o; with proj_size the driver adds h = m W_hr^T (LSTMP).
#pragma once

#include "core/simd.hpp"
#include "nn/cell_policies/step.hpp"

namespace xg::nn::cell_policies {

struct LSTM {
    static constexpr const char* name = "LSTM";
    static constexpr std::size_t gates = 4;
    static constexpr bool has_cell = true, saves_gates = true, separate_hh = false, bias_hh_in_hw = false,
                          direct_dh_prev = false, reads_outputs = false, normalises_input = false, projects = true;
    static constexpr bool da_over_a = true;  // backward loads a row's four gates before writing their gradients
    static std::size_t saved_width(std::size_t) { return 0; }
    static std::vector<ParameterSpec> parameters(std::size_t) { return {}; }

    // a (bt, 4H) gate pre-activations [i f g o], activated in place; c_prev, c, m (bt, H)
    //   i, f, o = sigmoid(a_i, a_f, a_o); g = tanh(a_g); c = f c_prev + i g; m = o tanh(c)
    template <class T>
    static void forward(const StepForward<T>& s) {
        using namespace simd;
        const std::size_t H = s.H;
        for (std::size_t r = 0; r < s.bt; ++r) {
            T* g = s.a + r * 4 * H;
            const std::size_t o = r * H;
            zip<T, 5, 6>(H, {g, g + H, g + 2 * H, g + 3 * H, s.c_prev + o}, {g, g + H, g + 2 * H, g + 3 * H, s.c + o, s.h + o},
                         [](const auto& x, auto& y) {
                             y[0] = sigmoid(x[0]);
                             y[1] = sigmoid(x[1]);
                             y[2] = tanh(x[2]);
                             y[3] = sigmoid(x[3]);
                             y[4] = y[1] * x[4] + y[0] * y[2];
                             y[5] = y[3] * tanh(y[4]);
                         });
        }
    }

    // from m = o tanh(c), c = f c_prev + i g (tanh(c) is recomputed: saving it costs N * H):
    //   dc += dm o (1 - tanh(c)^2); da_i = dc g i (1 - i); da_f = dc c_prev f (1 - f);
    //   da_g = dc i (1 - g^2); da_o = dm tanh(c) o (1 - o); dc_prev = dc f
    template <class T>
    static void backward(const StepBackward<T>& s) {
        using namespace simd;
        const std::size_t H = s.H;
        for (std::size_t r = 0; r < s.bt; ++r) {
            const T* g = s.a + r * 4 * H;
            T* d = s.da + r * 4 * H;
            const std::size_t o = r * H;
            zip<T, 8, 5>(H, {g, g + H, g + 2 * H, g + 3 * H, s.c + o, s.c_prev + o, s.dh + o, s.dc + o},
                         {d, d + H, d + 2 * H, d + 3 * H, s.dc + o}, [](const auto& x, auto& y) {
                             const auto t = tanh(x[4]);
                             const auto &i = x[0], &f = x[1], &gg = x[2], &og = x[3], &cp = x[5], &dmr = x[6];
                             const auto one = decltype(x[0] + x[0])(T(1));
                             const auto dcr = x[7] + dmr * og * (one - t * t);
                             y[0] = dcr * gg * i * (one - i);
                             y[1] = dcr * cp * f * (one - f);
                             y[2] = dcr * i * (one - gg * gg);
                             y[3] = dmr * t * og * (one - og);
                             y[4] = dcr * f;
                         });
        }
    }

    // m = o tanh(c) over n rows again, for dW_hr: a (n, 4H) activated gates, c (n, H); m (n, H) written
    template <class T>
    static void output_before_projection(std::size_t n, std::size_t H, const T* a, const T* c, T* m) {
        for (std::size_t r = 0; r < n; ++r)
            simd::zip<T, 2, 1>(H, {a + r * 4 * H + 3 * H, c + r * H}, {m + r * H},
                               [](const auto& x, auto& y) { y[0] = x[0] * simd::tanh(x[1]); });
    }
};

}  // namespace xg::nn::cell_policies

// Internal (not installed): the Elman RNN cell as a policy of the fused driver (step.hpp),
// torch.nn.RNN's:  h = act(x W_ih^T + b_ih + h_prev W_hh^T + b_hh),  act = tanh or relu.
#pragma once

#include "core/simd.hpp"
#include "nn/cell_policies/step.hpp"

namespace xg::nn::cell_policies {

template <bool Relu>
struct Elman {
    static constexpr const char* name = "RNN";
    static constexpr std::size_t gates = 1;
    static constexpr bool has_cell = false, saves_gates = false, separate_hh = false, bias_hh_in_hw = false,
                          direct_dh_prev = false, reads_outputs = true, normalises_input = false, projects = false;
    static std::size_t saved_width(std::size_t) { return 0; }
    static std::vector<ParameterSpec> parameters(std::size_t) { return {}; }

    // a (bt, H) pre-activations, activated in place (a is the output h itself)
    template <class T>
    static void forward(const StepForward<T>& s) {
        if constexpr (Relu)
            simd::relu_inplace(s.a, s.bt * s.H);
        else
            simd::tanh_inplace(s.a, s.bt * s.H);
    }

    // h = tanh(a): da = dh (1 - h^2);  h = relu(a): da = dh [h > 0]
    template <class T>
    static void backward(const StepBackward<T>& s) {
        const std::size_t n = s.bt * s.H;
        if constexpr (Relu) {
            for (std::size_t k = 0; k < n; ++k) s.da[k] = s.h[k] > T(0) ? s.dh[k] : T(0);
        } else {
            simd::zip<T, 2, 1>(n, {s.h, s.dh}, {s.da},
                               [](const auto& x, auto& r) { r[0] = x[1] * (decltype(x[0] + x[0])(T(1)) - x[0] * x[0]); });
        }
    }
};

using RNNTanh = Elman<false>;
using RNNRelu = Elman<true>;

}  // namespace xg::nn::cell_policies

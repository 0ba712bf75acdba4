// Internal (not installed): the GRU cell as a policy of the fused driver (step.hpp), torch.nn.GRU's.
// Gates r z n; W_hh h_{t-1} + b_hh arrives apart (hw), since n reads r * (W_hn h + b_hn).
#pragma once

#include "core/simd.hpp"
#include "nn/cell_policies/step.hpp"

namespace xg::nn::cell_policies {

struct GRU {
    static constexpr const char* name = "GRU";
    static constexpr std::size_t gates = 3;
    static constexpr bool has_cell = false, saves_gates = true, separate_hh = true, bias_hh_in_hw = true,
                          direct_dh_prev = true, reads_outputs = true, normalises_input = false, projects = false;
    // hn = W_hn h_prev + b_hn per row
    static std::size_t saved_width(std::size_t H) { return H; }
    static std::vector<ParameterSpec> parameters(std::size_t) { return {}; }

    // a (bt, 3H) input pre-activations [r z n] (X W_ih^T + b_ih), activated in place;
    // hw (bt, 3H) = h_{t-1} W_hh^T + b_hh; h_prev, hn (saved), h (bt, H)
    //   r = sigmoid(a_r + hw_r); z = sigmoid(a_z + hw_z); n = tanh(a_n + r hw_n);
    //   h = (1 - z) n + z h_prev; hn = hw_n is kept for the backward
    template <class T>
    static void forward(const StepForward<T>& s) {
        using namespace simd;
        const std::size_t H = s.H;
        for (std::size_t r = 0; r < s.bt; ++r) {
            T* g = s.a + r * 3 * H;
            const T* w = s.hw + r * 3 * H;
            const std::size_t o = r * H;
            zip<T, 7, 5>(H, {g, g + H, g + 2 * H, w, w + H, w + 2 * H, s.h_prev + o}, {g, g + H, g + 2 * H, s.saved + o, s.h + o},
                         [](const auto& x, auto& y) {
                             y[0] = sigmoid(x[0] + x[3]);
                             y[1] = sigmoid(x[1] + x[4]);
                             y[2] = tanh(x[2] + y[0] * x[5]);
                             y[3] = x[5];
                             y[4] = y[2] + y[1] * (x[6] - y[2]);  // (1 - z) n + z h_prev
                         });
        }
    }

    // from h = (1 - z) n + z h_prev, n = tanh(a_n + r hw_n), r and z = sigmoid(a + hw):
    //   da_n = dh (1 - z)(1 - n^2); da_r = da_n hw_n r (1 - r); da_z = dh (h_prev - n) z (1 - z);
    //   dhw = (da_r, da_z, da_n r); dh_prev's direct part = dh z
    template <class T>
    static void backward(const StepBackward<T>& s) {
        using namespace simd;
        const std::size_t H = s.H;
        for (std::size_t r = 0; r < s.bt; ++r) {
            const T* g = s.a + r * 3 * H;
            T* d = s.da + r * 3 * H;
            T* w = s.dhw + r * 3 * H;
            const std::size_t o = r * H;
            zip<T, 6, 7>(H, {g, g + H, g + 2 * H, s.saved + o, s.h_prev + o, s.dh + o},
                         {d, d + H, d + 2 * H, w, w + H, w + 2 * H, s.dh_prev + o}, [](const auto& x, auto& y) {
                             const auto &rg = x[0], &z = x[1], &n = x[2], &hnr = x[3], &hp = x[4], &dhr = x[5];
                             const auto one = decltype(x[0] + x[0])(T(1));
                             const auto dan = dhr * (one - z) * (one - n * n);
                             const auto dar = dan * hnr * rg * (one - rg);
                             const auto daz = dhr * (hp - n) * z * (one - z);
                             y[0] = dar;
                             y[1] = daz;
                             y[2] = dan;
                             y[3] = dar;
                             y[4] = daz;
                             y[5] = dan * rg;
                             y[6] = dhr * z;
                         });
        }
    }
};

}  // namespace xg::nn::cell_policies

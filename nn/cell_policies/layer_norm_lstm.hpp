// Internal (not installed): LayerNormLSTM (Ba et al. 2016, as TF-addons' LayerNormLSTMCell
// and Haste) as a policy of the fused driver (step.hpp); its composed twin is
// layer_norm_lstm_cell in nn/lstm_variants.hpp. With LN = torch's layer_norm, eps 1e-5:
//   a  = LN(x W_ih^T; ln_ih) + LN(h_prev W_hh^T; ln_hh) + b_ih + b_hh     gates i f g o
//   c  = f c_prev + i g;   h = o tanh(LN(c; ln_c))
// LN(x W_ih^T) runs over all rows before the first step (input_forward), LN(h W_hh^T)
// and LN(c) in each step. Saved per row: the three normalised rows and their 1/std.
#pragma once

#include <vector>

#include "core/simd.hpp"
#include "nn/cell_policies/step.hpp"
#include "nn/layer_norm_rows.hpp"

namespace xg::nn::cell_policies {

struct LayerNormLSTM {
    static constexpr const char* name = "LayerNormLSTM";
    static constexpr std::size_t gates = 4;
    static constexpr bool has_cell = true, saves_gates = true, separate_hh = true, bias_hh_in_hw = false,
                          direct_dh_prev = false, reads_outputs = false, normalises_input = true, projects = false;
    static constexpr double eps = 1e-5;
    // a saved row: x_hat_ih (4H), x_hat_hh (4H), x_hat_c (H), then rstd_ih, rstd_hh, rstd_c
    static std::size_t saved_width(std::size_t H) { return 9 * H + 3; }
    static std::vector<ParameterSpec> parameters(std::size_t H) {
        return {{"ln_ih_weight", 4 * H, 1.0}, {"ln_ih_bias", 4 * H, 0.0}, {"ln_hh_weight", 4 * H, 1.0},
                {"ln_hh_bias", 4 * H, 0.0},   {"ln_c_weight", H, 1.0},      {"ln_c_bias", H, 0.0}};
    }
    enum { ih_w, ih_b, hh_w, hh_b, c_w, c_b };  // params' order

    // all rows: a = LN(a; ln_ih) + bias, where a comes in as x W_ih^T
    template <class T>
    static void input_forward(const InputRows<T>& s) {
        const std::size_t H = s.H, W = saved_width(H);
        const T *w = s.params[ih_w], *b = s.params[ih_b];
        for (std::size_t r = 0; r < s.n; ++r) {
            T* a = s.a + r * 4 * H;
            T* x_hat = s.saved + r * W;
            x_hat[9 * H] = nn::detail::normalise_row(a, x_hat, 4 * H, eps);
            simd::zip<T, 4, 1>(4 * H, {x_hat, w, b, s.bias}, {a}, [](const auto& x, auto& y) { y[0] = x[0] * x[1] + x[2] + x[3]; });
        }
    }

    // the backward of input_forward: da, the gradient of a, becomes that of x W_ih^T
    template <class T>
    static void input_backward(const InputRows<T>& s) {
        const std::size_t H = s.H, W = saved_width(H);
        std::vector<T> scratch(4 * H);
        for (std::size_t r = 0; r < s.n; ++r) {
            T* da = s.a + r * 4 * H;
            const T* x_hat = s.saved + r * W;
            add_norm_parameter_grads(da, x_hat, 4 * H, s.dparams[ih_w], s.dparams[ih_b]);
            nn::detail::normalise_row_backward(da, s.params[ih_w], x_hat, x_hat[9 * H], 4 * H, scratch.data(), da, false);
        }
    }

    // per row: hw -> LN(hw; ln_hh) added into a; gates; c; LN(c; ln_c); h = o tanh(.)
    template <class T>
    static void forward(const StepForward<T>& s) {
        using namespace simd;
        const std::size_t H = s.H, W = saved_width(H);
        const T *whh = s.params[hh_w], *bhh = s.params[hh_b], *wc = s.params[c_w], *bc = s.params[c_b];
        for (std::size_t r = 0; r < s.bt; ++r) {
            T* g = s.a + r * 4 * H;
            T* sv = s.saved + r * W;
            T *xh = sv + 4 * H, *xc = sv + 8 * H;
            const std::size_t o = r * H;
            sv[9 * H + 1] = nn::detail::normalise_row(s.hw + r * 4 * H, xh, 4 * H, eps);
            for (std::size_t k = 0; k < 4; ++k)
                zip<T, 4, 1>(H, {g + k * H, xh + k * H, whh + k * H, bhh + k * H}, {g + k * H},
                             [](const auto& x, auto& y) { y[0] = x[0] + (x[1] * x[2] + x[3]); });
            zip<T, 5, 5>(H, {g, g + H, g + 2 * H, g + 3 * H, s.c_prev + o}, {g, g + H, g + 2 * H, g + 3 * H, s.c + o},
                         [](const auto& x, auto& y) {
                             y[0] = sigmoid(x[0]);
                             y[1] = sigmoid(x[1]);
                             y[2] = tanh(x[2]);
                             y[3] = sigmoid(x[3]);
                             y[4] = y[1] * x[4] + y[0] * y[2];
                         });
            sv[9 * H + 2] = nn::detail::normalise_row(s.c + o, xc, H, eps);
            zip<T, 4, 1>(H, {g + 3 * H, xc, wc, bc}, {s.h + o}, [](const auto& x, auto& y) { y[0] = x[0] * tanh(x[1] * x[2] + x[3]); });
        }
    }

    // from the forward above, with l = LN(c) w_c + b_c and t = tanh(l):
    //   da_o = dh t o (1 - o); dl = dh o (1 - t^2); dc += LN's backward of dl;
    //   da_i = dc g i (1 - i); da_f = dc c_prev f (1 - f); da_g = dc i (1 - g^2); dc_prev = dc f;
    //   dhw = LN's backward of da (ln_hh); the norms' weights and biases gather theirs
    template <class T>
    static void backward(const StepBackward<T>& s) {
        using namespace simd;
        const std::size_t H = s.H, W = saved_width(H);
        const T *whh = s.params[hh_w], *wc = s.params[c_w], *bc = s.params[c_b];
        std::vector<T> dl(H), scratch(4 * H);
        for (std::size_t r = 0; r < s.bt; ++r) {
            const T* g = s.a + r * 4 * H;
            const T* sv = s.saved + r * W;
            const T *xh = sv + 4 * H, *xc = sv + 8 * H;
            T* d = s.da + r * 4 * H;
            T* dc = s.dc + r * H;
            const std::size_t o = r * H;
            zip<T, 5, 2>(H, {g + 3 * H, xc, wc, bc, s.dh + o}, {d + 3 * H, dl.data()}, [](const auto& x, auto& y) {
                const auto one = decltype(x[0] + x[0])(T(1));
                const auto t = tanh(x[1] * x[2] + x[3]);
                y[0] = x[4] * t * x[0] * (one - x[0]);
                y[1] = x[4] * x[0] * (one - t * t);
            });
            add_norm_parameter_grads(dl.data(), xc, H, s.dparams[c_w], s.dparams[c_b]);
            nn::detail::normalise_row_backward(dl.data(), wc, xc, sv[9 * H + 2], H, scratch.data(), dc, true);
            zip<T, 5, 4>(H, {g, g + H, g + 2 * H, s.c_prev + o, dc}, {d, d + H, d + 2 * H, dc}, [](const auto& x, auto& y) {
                const auto one = decltype(x[0] + x[0])(T(1));
                const auto &i = x[0], &f = x[1], &gg = x[2], &dcr = x[4];
                y[0] = dcr * gg * i * (one - i);
                y[1] = dcr * x[3] * f * (one - f);
                y[2] = dcr * i * (one - gg * gg);
                y[3] = dcr * f;
            });
            add_norm_parameter_grads(d, xh, 4 * H, s.dparams[hh_w], s.dparams[hh_b]);
            nn::detail::normalise_row_backward(d, whh, xh, sv[9 * H + 1], 4 * H, scratch.data(), s.dhw + r * 4 * H, false);
        }
    }

    // y = x_hat w + b over one row of n: dw += dy x_hat, db += dy
    template <class T>
    static void add_norm_parameter_grads(const T* dy, const T* x_hat, std::size_t n, T* dw, T* db) {
        simd::zip<T, 4, 2>(n, {dy, x_hat, dw, db}, {dw, db}, [](const auto& x, auto& y) {
            y[0] = x[2] + x[0] * x[1];
            y[1] = x[3] + x[0];
        });
    }
};

}  // namespace xg::nn::cell_policies

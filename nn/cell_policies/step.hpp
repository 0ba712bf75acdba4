// Internal (not installed): what a cell policy is, and what one step hands it.
//
// The fused recurrent driver (nn/rnn_driver.hpp) runs layers, directions, lengths, the
// projection, threads and the packed-weight GEMMs for any cell; a policy (one header per
// cell in this folder) says only what one step of that cell computes. A policy is a struct:
//
//   static constexpr const char* name;       "LSTM": the tape entry is "LSTM layer"
//   static constexpr std::size_t gates;      G: W_ih is (G*H, I), W_hh (G*H, Hout)
//   static constexpr bool has_cell;          a cell state c beside h (c0, c_n, dc)
//   static constexpr bool saves_gates;       keeps a (N, G*H) of activated gates; false: the
//                                            pre-activation is the output itself (G = 1)
//   static constexpr bool separate_hh;       W_hh h_{t-1} arrives apart, as hw, instead of
//                                            added into a (GRU: r * (.); LayerNorm: LN(.))
//   static constexpr bool bias_hh_in_hw;     b_hh goes into hw rather than into a
//   static constexpr bool direct_dh_prev;    the step writes dh_prev's part not through W_hh
//   static constexpr bool reads_outputs;     the backward reads h_prev and h (the packed Y)
//   static constexpr bool normalises_input;  input_forward/input_backward run on all rows
//   static constexpr bool projects;          may be followed by h = m W_hr^T (LSTMP)
//   static std::size_t saved_width(H);       its own values saved per row (0: none)
//   static std::vector<ParameterSpec> parameters(H);  its own parameters, beyond PyTorch's
//                                            weight_ih, weight_hh, bias_ih and bias_hh
//   static void forward(const StepForward<T>&);  and backward(const StepBackward<T>&)
// and, where a flag asks for them:
//   static void input_forward(const InputRows<T>&), input_backward(const InputRows<T>&)
//                                            (normalises_input: before the first step, after the
//                                            last backward step, over all rows)
//   static void output_before_projection(n, H, const T* a, const T* c, T* m)
//                                            (projects: m for dW_hr, recomputed from what it saved)
// and may say (false when absent):
//   static constexpr bool da_over_a;         backward reads each element's gates before it writes
//                                            their gradients, so da may be a itself (saves_gates)
//
// Shapes: bt rows still running at this step, H hidden, G gates, Hout = P or H.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace xg::nn::cell_policies {

/// One of a cell's own parameters, per layer and direction: name (before "_l{k}"), length
/// (a vector of `length` elements) and the value every element starts at.
struct ParameterSpec {
    std::string name;
    std::size_t length;
    double initial;
};

/// A policy's da_over_a, false when it does not say.
template <class Cell>
constexpr bool da_over_a() {
    if constexpr (requires { Cell::da_over_a; }) return Cell::da_over_a;
    else return false;
}

/// One step forward over bt rows.
template <class T>
struct StepForward {
    std::size_t bt, H;
    T* a;                    // (bt, G*H) in: X W_ih^T + biases (+ h_{t-1} W_hh^T unless separate_hh);
                             // out: the activated gates (what saves_gates keeps)
    const T* hw;             // (bt, G*H) h_{t-1} W_hh^T (+ b_hh with bias_hh_in_hw); separate_hh only
    const T* h_prev;         // (bt, Hout)
    const T* c_prev;         // (bt, H), has_cell only
    T* c;                    // (bt, H) written, has_cell only
    T* saved;                // (bt, saved_width(H)) written
    T* h;                    // (bt, H) written: the output (m, before the projection, with one)
    const T* const* params;  // the policy's own parameters, in parameters()' order
};

/// One step backward over bt rows.
template <class T>
struct StepBackward {
    std::size_t bt, H;
    const T* a;              // (bt, G*H) the activated gates saved by forward (saves_gates)
    const T* c_prev;         // (bt, H), has_cell only
    const T* c;              // (bt, H), has_cell only
    const T* saved;          // (bt, saved_width(H))
    const T* h_prev;         // (bt, Hout), reads_outputs only
    const T* h;              // (bt, H) this step's output, reads_outputs only
    const T* dh;             // (bt, H) the gradient of h (of m, with a projection)
    T* da;                   // (bt, G*H) written: the gradient of a's pre-activation
    T* dhw;                  // (bt, G*H) written: the gradient of hw; separate_hh only
    T* dc;                   // (bt, H) in: the gradient of c from step t+1; out: of c_prev
    T* dh_prev;              // (bt, Hout) written when direct_dh_prev: h_prev's gradient not through W_hh
    const T* const* params;  // as forward's
    T* const* dparams;       // their gradients, added to (this work unit's own buffers)
};

/// The rows of all steps at once, for policies that normalise the input's product
/// (normalises_input): forward before the first step, backward after the last.
template <class T>
struct InputRows {
    std::size_t n, H;
    T* a;                    // (n, G*H) forward: X W_ih^T in, the pre-activations out (with
                             // `bias`); backward: their gradient in, X W_ih^T's out
    const T* bias;           // (G*H) b_ih + b_hh (forward)
    T* saved;                // (n, saved_width(H)): forward writes, backward reads
    const T* const* params;
    T* const* dparams;       // backward only
};

}  // namespace xg::nn::cell_policies

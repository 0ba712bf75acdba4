// What goes into nn::LSTM and what comes out, shape by shape — the walkthrough of the
// PyTorch LSTM tutorials, in C++. Builds an LSTM (input 4, hidden 5) on a batch of 2
// sequences of length 3, prints the shapes of output, h_n and c_n and of every named
// parameter, then does the same with a projection (LSTMP, proj_size 3). Finally it
// recomputes the module's output with a hand-written lstm_forward from the module's own
// weights, step by step, and checks they agree.
//
//   build/examples/shapes
#include <cstdio>
#include <iostream>

#include <xgrad.hpp>

using xg::Tensor;

// One layer, one direction, written out: the gate rows of weight_ih / weight_hh are
// stacked (i, f, g, o), each H rows.
//   i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)      input gate
//   f = sigmoid(x W_if^T + b_if + h W_hf^T + b_hf)      forget gate
//   g = tanh   (x W_ig^T + b_ig + h W_hg^T + b_hg)      candidate cell
//   o = sigmoid(x W_io^T + b_io + h W_ho^T + b_ho)      output gate
//   c = f * c + i * g,   h = o * tanh(c),   and with a projection h = h W_hr^T
std::pair<Tensor, Tensor> lstm_forward(const Tensor& x, const xg::nn::LSTM& lstm) {
    const long H = lstm.options().hidden_size();
    const std::size_t S = x.size(0), B = x.size(1);
    const bool proj = lstm.options().proj_size() > 0;
    const std::size_t Hout = proj ? std::size_t(lstm.options().proj_size()) : std::size_t(H);
    Tensor w_ih = lstm.parameter("weight_ih_l0"), w_hh = lstm.parameter("weight_hh_l0");
    Tensor b = lstm.parameter("bias_ih_l0") + lstm.parameter("bias_hh_l0");
    auto gate = [&](const Tensor& w, long k) { return xg::narrow(w, 0, k * H, H); };  // rows of gate k
    auto bias = [&](long k) { return xg::narrow(b, 0, k * H, H); };

    Tensor h = xg::zeros({B, Hout}), c = xg::zeros({B, std::size_t(H)});
    std::vector<Tensor> outputs;
    for (std::size_t t = 0; t < S; ++t) {
        Tensor xt = xg::select(x, 0, long(t));  // (B, I)
        auto pre = [&](long k) {
            return xg::matmul(xt, xg::transpose(gate(w_ih, k), 0, 1)) + xg::matmul(h, xg::transpose(gate(w_hh, k), 0, 1)) + bias(k);
        };
        Tensor i = xg::sigmoid(pre(0)), f = xg::sigmoid(pre(1)), g = xg::tanh(pre(2)), o = xg::sigmoid(pre(3));
        c = f * c + i * g;
        h = o * xg::tanh(c);
        if (proj) h = xg::matmul(h, xg::transpose(lstm.parameter("weight_hr_l0"), 0, 1));
        outputs.push_back(h);
    }
    return {xg::stack(outputs, 0), h};
}

void walkthrough(const xg::nn::LSTMOptions& options) {
    xg::nn::LSTM lstm(options);
    std::cout << lstm << "\n";
    Tensor x = xg::randn({3, 2, 4});  // (seq_len 3, batch 2, input_size 4)
    auto [output, state] = lstm.forward(x);
    std::printf("  input   %-10s (seq_len, batch, input_size)\n", xg::shape_str(x.shape()).c_str());
    std::printf("  output  %-10s (seq_len, batch, proj_size or hidden_size)\n", xg::shape_str(output.shape()).c_str());
    std::printf("  h_n     %-10s (num_layers * directions, batch, proj_size or hidden_size)\n",
                xg::shape_str(state.h.shape()).c_str());
    std::printf("  c_n     %-10s (num_layers * directions, batch, hidden_size)\n", xg::shape_str(state.c.shape()).c_str());
    for (const auto& [name, p] : lstm.named_parameters())
        std::printf("  %-13s %s\n", name.c_str(), xg::shape_str(p.shape()).c_str());

    auto [mine, h_last] = lstm_forward(x, lstm);
    double diff = 0;
    for (std::size_t k = 0; k < mine.numel(); ++k)
        diff = std::max(diff, double(std::abs(mine.value().data()[k] - output.value().data()[k])));
    const bool close = diff <= 1e-5 && xg::shape_str(mine.shape()) == xg::shape_str(output.shape());
    std::printf("  hand-written lstm_forward vs nn::LSTM: allclose: %s (largest difference %.2g)\n\n",
                close ? "true" : "false", diff);
}

int main(int argc, char** argv) {
    if (argc > 1) {
        const bool help = std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h";
        if (!help) {
            std::fprintf(stderr, "shapes: error: unknown argument '%s' (it takes none; see --help)\n", argv[1]);
            return 2;
        }
        std::printf("usage: shapes\n\nPrints the shapes that go into and come out of nn::LSTM, with and without a\n"
                    "projection (proj_size), and checks a hand-written LSTM against the module.\n");
        return 0;
    }
    xg::manual_seed(0);
    xg::NoGradGuard no_grad;  // nothing here is trained
    walkthrough(xg::nn::LSTMOptions(4, 5));
    walkthrough(xg::nn::LSTMOptions(4, 5).proj_size(3));
    return 0;
}

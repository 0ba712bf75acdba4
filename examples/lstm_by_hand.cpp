// An LSTM with one unit, written by hand with scalar parameters, learns to tell two
// companies apart from four days of stock prices — the toy of the "LSTM by hand" tutorial:
//
//   company A: 0, 0.5, 0.25, 1  -> day 5 will be 0
//   company B: 1, 0.5, 0.25, 1  -> day 5 will be 1
//
// The same data then trains nn::LSTM(1, 1). Both print their predictions before and after
// training with Adam.
//
//   build/examples/lstm_by_hand [--epochs N] [--seed S]
#include <cstdio>
#include <cstring>
#include <string>

#include <xtensor/xadapt.hpp>

#include <xgrad.hpp>

#include "support.hpp"

using xg::Tensor;

const std::vector<std::vector<float>> days = {{0.f, 0.5f, 0.25f, 1.f}, {1.f, 0.5f, 0.25f, 1.f}};
const std::vector<float> labels = {0.f, 1.f};

// Every gate is a weighted sum of the short-term memory (the last output) and today's
// price, plus a bias: 12 scalars in all.
struct LSTMByHand : xg::nn::Module {
    Tensor wlr1, wlr2, blr1;  // % of the long-term memory to remember (forget gate)
    Tensor wpr1, wpr2, bpr1;  // % of the potential memory to remember (input gate)
    Tensor wp1, wp2, bp1;     // the potential long-term memory (candidate)
    Tensor wo1, wo2, bo1;     // % of the long-term memory to output (output gate)

    LSTMByHand() {
        auto weight = [&](const char* name) { return register_parameter(name, xg::randn({1})); };
        auto bias = [&](const char* name) { return register_parameter(name, xg::zeros({1})); };
        wlr1 = weight("wlr1"), wlr2 = weight("wlr2"), blr1 = bias("blr1");
        wpr1 = weight("wpr1"), wpr2 = weight("wpr2"), bpr1 = bias("bpr1");
        wp1 = weight("wp1"), wp2 = weight("wp2"), bp1 = bias("bp1");
        wo1 = weight("wo1"), wo2 = weight("wo2"), bo1 = bias("bo1");
    }

    // One day: returns the new (long-term, short-term) memory.
    std::pair<Tensor, Tensor> unit(const Tensor& price, const Tensor& long_mem, const Tensor& short_mem) const {
        Tensor long_remember = xg::sigmoid(short_mem * wlr1 + price * wlr2 + blr1);
        Tensor potential_remember = xg::sigmoid(short_mem * wpr1 + price * wpr2 + bpr1);
        Tensor potential_memory = xg::tanh(short_mem * wp1 + price * wp2 + bp1);
        Tensor updated_long = long_mem * long_remember + potential_remember * potential_memory;
        Tensor output = xg::sigmoid(short_mem * wo1 + price * wo2 + bo1);
        return {updated_long, xg::tanh(updated_long) * output};
    }

    // The short-term memory after the last day is the prediction.
    Tensor forward(const std::vector<float>& prices) const {
        Tensor long_mem = xg::zeros({1}), short_mem = xg::zeros({1});
        for (float p : prices) std::tie(long_mem, short_mem) = unit(xg::full({1}, p), long_mem, short_mem);
        return short_mem;
    }
};

// nn::LSTM(1, 1) on the four days as a sequence of length 4; the last output predicts.
struct LSTMModule : xg::nn::Module {
    xg::nn::LSTM lstm{xg::nn::LSTMOptions(1, 1)};
    LSTMModule() { register_module("lstm", lstm); }
    Tensor forward(const std::vector<float>& prices) {
        xt::xarray<float> x = xt::adapt(prices, {prices.size(), std::size_t(1)});  // (seq_len, input_size): unbatched
        auto [out, state] = lstm.forward(xg::from_array(x));
        return xg::select(out, 0, -1);  // (1)
    }
};

template <class Model>
void report(const char* when, Model& model) {
    xg::NoGradGuard no_grad;
    std::printf("  %-7s company A: observed 0, predicted %.4f   company B: observed 1, predicted %.4f\n", when,
                model.forward(days[0]).item(), model.forward(days[1]).item());
}

template <class Model>
void train(const char* title, Model& model, double lr, int epochs) {
    std::printf("%s\n", title);
    report("before", model);
    xg::optim::Adam adam(model.parameters(), xg::optim::AdamOptions(lr));
    float loss_value = 0;
    for (int epoch = 0; epoch < epochs; ++epoch) {
        Tensor loss = xg::zeros({});
        for (std::size_t k = 0; k < days.size(); ++k) {
            Tensor residual = model.forward(days[k]) - labels[k];
            loss = loss + xg::sum(residual * residual);  // sum of squared residuals
        }
        adam.zero_grad();
        loss.backward();
        adam.step();
        loss_value = loss.item();
    }
    report("after", model);
    std::printf("  final loss %.6f after %d epochs of Adam(lr=%g)\n\n", loss_value, epochs, lr);
}

int main(int argc, char** argv) {
    int epochs = 300;
    std::uint64_t seed = 42;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::printf("usage: lstm_by_hand [--epochs N] [--seed S]\n\n"
                        "Trains a one-unit LSTM written by hand, then nn::LSTM(1, 1), to predict day 5 of two\n"
                        "companies' prices from days 1-4, and prints predictions before and after.\n"
                        "  --epochs N   Adam steps for each model (default 300)\n"
                        "  --seed S     random seed for the initial weights (default 42)\n");
            return 0;
        }
        // whole numbers only: std::stoi would read "5abc" as 5 and "-1" as a huge seed
        const bool known = (a == "--epochs" || a == "--seed") && i + 1 < argc;
        if (!known) {
            std::fprintf(stderr, "lstm_by_hand: error: unknown or incomplete flag '%s' (see --help)\n", a.c_str());
            return 2;
        }
        const std::string v = argv[++i];
        const bool ok = a == "--epochs" ? support::parse_unsigned(v, epochs) && epochs > 0 : support::parse_unsigned(v, seed);
        if (!ok) {
            std::fprintf(stderr, "lstm_by_hand: error: bad value '%s' for %s (%s)\n", v.c_str(), a.c_str(),
                         a == "--epochs" ? "a whole number > 0" : "a whole number >= 0");
            return 2;
        }
    }
    xg::manual_seed(seed);
    LSTMByHand by_hand;
    train("LSTM by hand (12 scalar parameters)", by_hand, 0.1, epochs);
    LSTMModule module;
    train("nn::LSTM(1, 1)", module, 0.1, epochs);
    return 0;
}

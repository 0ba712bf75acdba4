// Forward + backward time of one batch through each recurrent layer: the fused LSTM,
// LayerNormLSTM and peephole LSTM, and the same layers run by nn::unroll from primitive-op
// cells (LSTM's own cell, the variants' forward_unrolled). Prints milliseconds per batch (best of --reps) and the ratio to the fused LSTM;
// bench/recurrent_cells.sh runs PyTorch's counterparts beside it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>

#include <boost/program_options.hpp>
#include <xgrad.hpp>

namespace po = boost::program_options;

namespace {

double best_ms(int reps, const std::function<void()>& run) {
    run();  // warm: workspaces, packed weights
    double best = 1e300;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        run();
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

// loss = sum(out): forward and backward through the whole layer
template <class Layer>
std::function<void()> step_of(Layer& layer, const xg::Tensor& x) {
    return [&layer, x] {
        layer.zero_grad();
        auto r = layer(x, xg::nn::RecurrentState{});
        xg::sum(r.output).backward();
    };
}

// the same through the variant's composed cells and unroll
std::function<void()> unrolled_step_of(xg::nn::LSTMVariantBaseT<float>& layer, const xg::Tensor& x) {
    return [&layer, x] {
        layer.zero_grad();
        xg::sum(layer.forward_unrolled(x).output).backward();
    };
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description opts("bench/recurrent_cells: forward + backward of one batch per recurrent layer");
    long S, B, I, H;
    int reps, threads;
    opts.add_options()("help,h", "this help")("steps", po::value(&S)->default_value(35), "time steps")(
        "batch", po::value(&B)->default_value(32), "batch size")("input", po::value(&I)->default_value(28), "input features")(
        "hidden", po::value(&H)->default_value(256), "hidden size")("reps", po::value(&reps)->default_value(10), "timed runs")(
        "threads", po::value(&threads)->default_value(1), "threads")(
        "input-grad", "the input's gradient too (dX = dA W_ih, as in every layer but the first)");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "recurrent_cells: %s\n", e.what());
        return 2;
    }
    if (vm.count("help")) {
        std::printf("%s", (std::ostringstream() << opts).str().c_str());
        return 0;
    }
    xg::set_num_threads(threads);
    xg::manual_seed(0);
    xg::Tensor x = xg::randn({std::size_t(S), std::size_t(B), std::size_t(I)});
    if (vm.count("input-grad")) x.requires_grad_();

    xg::nn::LSTM fused(xg::nn::LSTMOptions(I, H));
    const double base = best_ms(reps, step_of(fused, x));

    // LSTM's own primitive-op cell, run by unroll with the fused layer's parameters
    auto composed_lstm = [&] {
        fused.zero_grad();
        const xg::nn::CellStep<float> cell = [&](const xg::Tensor& xt, const xg::nn::RecurrentState& s) -> xg::nn::RecurrentState {
            xg::Tensor h = s.h.defined() ? s.h : xg::zeros({std::size_t(B), std::size_t(H)});
            xg::Tensor c = s.c.defined() ? s.c : xg::zeros({std::size_t(B), std::size_t(H)});
            auto [h2, c2] = xg::nn::lstm_cell(xt, h, c, fused.parameter("weight_ih_l0"), fused.parameter("weight_hh_l0"),
                                              fused.parameter("bias_ih_l0"), fused.parameter("bias_hh_l0"));
            return {h2, c2};
        };
        xg::sum(xg::nn::unroll<float>({{cell}}, x).output).backward();
    };
    xg::nn::LayerNormLSTM layer_norm(xg::nn::LayerNormLSTMOptions(I, H));
    xg::nn::PeepholeLSTM peephole(xg::nn::PeepholeLSTMOptions(I, H));

    std::printf("S=%ld B=%ld I=%ld H=%ld, %d thread(s), %s\n", S, B, I, H, threads,
                __builtin_cpu_supports("avx512f") ? "AVX-512" : "AVX2 or less");
    std::printf("%-32s %9.2f ms  1.00x of fused LSTM's speed\n", "LSTM, fused", base);
    const std::pair<const char*, std::function<void()>> others[] = {
        {"LayerNormLSTM, fused", step_of(layer_norm, x)},
        {"PeepholeLSTM, fused", step_of(peephole, x)},
        {"LSTM, primitive ops + unroll", composed_lstm},
        {"LayerNormLSTM, unroll", unrolled_step_of(layer_norm, x)},
        {"PeepholeLSTM, unroll", unrolled_step_of(peephole, x)}};
    for (const auto& [name, run] : others) {
        const double ms = best_ms(reps, run);
        std::printf("%-32s %9.2f ms  %.2fx of fused LSTM's speed\n", name, ms, base / ms);
    }
    return 0;
}

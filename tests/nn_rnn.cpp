// The fused recurrent layers, every cell policy (nn/cell_policies/), against the same networks
// composed from the primitive-op cells (lstm_cell, gru_cell, rnn_cell, layer_norm_lstm_cell,
// peephole_lstm_cell) and run by nn::unroll, outputs and every gradient, in double; unroll
// itself against one sequence at a time; plus
// double-precision gradient checks of each module and the shape/option errors.
#define BOOST_TEST_MODULE nn_rnn
#include "common.hpp"

#include <stdexcept>

#include <xtensor/xview.hpp>

#include "autograd/op.hpp"

using namespace test;
using xg::nn::Lengths;
using xg::nn::detail::RNNMode;
using V = std::vector<TensorD>;

namespace {

struct Config {
    RNNMode mode;
    std::size_t I, H, layers = 1;
    bool bidirectional = false, bias = true, batch_first = false;
    std::size_t proj = 0;
    bool init_state = false;  // pass h0 (and c0)
    Lengths lengths = {};     // empty: full length
    std::size_t S, B;         // steps, batch
};

bool has_cell(RNNMode m) { return m == RNNMode::LSTM || m == RNNMode::PEEPHOLE_LSTM || m == RNNMode::LAYER_NORM_LSTM; }
bool is_variant(RNNMode m) { return m == RNNMode::PEEPHOLE_LSTM || m == RNNMode::LAYER_NORM_LSTM; }

const char* mode_name(RNNMode m) {
    switch (m) {
        case RNNMode::RNN_TANH: return "RNN";
        case RNNMode::RNN_RELU: return "RNN(relu)";
        case RNNMode::GRU: return "GRU";
        case RNNMode::LSTM: return "LSTM";
        case RNNMode::PEEPHOLE_LSTM: return "PeepholeLSTM";
        case RNNMode::LAYER_NORM_LSTM: return "LayerNormLSTM";
    }
    return "?";
}

std::string describe(const Config& c) {
    std::ostringstream os;
    os << mode_name(c.mode)
       << " I=" << c.I << " H=" << c.H << " L=" << c.layers << " bi=" << c.bidirectional << " bias=" << c.bias
       << " batch_first=" << c.batch_first << " proj=" << c.proj << " init=" << c.init_state
       << " lengths=" << c.lengths.size();
    return os.str();
}

// A recurrent module of any kind: (x, h0, c0, lengths) -> {out, h_n, c_n}.
struct AnyRNN {
    using Run = std::function<xg::nn::RecurrentResultT<double>(const TensorD&, const xg::nn::RecurrentStateT<double>&, const Lengths&)>;
    std::shared_ptr<xg::nn::ModuleT<double>> module;
    Run run;
    V forward(const TensorD& x, const TensorD& h0, const TensorD& c0, const Lengths& len) const {
        auto [out, st] = run(x, {h0, c0}, len);
        return st.c.defined() ? V{out, st.h, st.c} : V{out, st.h};
    }
};

AnyRNN any(std::shared_ptr<xg::nn::RNNBaseT<double>> m) {
    return {m, [m](const TensorD& x, const xg::nn::RecurrentStateT<double>& s, const Lengths& l) { return m->forward(x, s, l); }};
}

// The LSTM variants, their own parameters (0 and 1 at first) drawn at random like the rest.
AnyRNN make_variant(const Config& c) {
    const auto o = xg::nn::LSTMVariantOptions(long(c.I), long(c.H), long(c.layers))
                       .bidirectional(c.bidirectional)
                       .bias(c.bias)
                       .batch_first(c.batch_first);
    std::shared_ptr<xg::nn::LSTMVariantBaseT<double>> m;
    if (c.mode == RNNMode::PEEPHOLE_LSTM) m = std::make_shared<xg::nn::PeepholeLSTMT<double>>(o);
    else m = std::make_shared<xg::nn::LayerNormLSTMT<double>>(o);
    for (auto& p : m->parameters()) p.value() = xg::uniform<double>(p.shape(), -0.5, 0.5).value();
    BOOST_TEST_REQUIRE(m->runs_fused());
    return {m, [m](const TensorD& x, const xg::nn::RecurrentStateT<double>& s, const Lengths& l) { return m->forward(x, s, l); }};
}

AnyRNN make_module(const Config& c) {
    const long I = long(c.I), H = long(c.H), L = long(c.layers);
    if (is_variant(c.mode)) return make_variant(c);
    if (c.mode == RNNMode::LSTM)
        return any(std::make_shared<xg::nn::LSTMT<double>>(xg::nn::LSTMOptions(I, H)
                                                            .num_layers(L)
                                                            .bidirectional(c.bidirectional)
                                                            .bias(c.bias)
                                                            .batch_first(c.batch_first)
                                                            .proj_size(long(c.proj))));
    if (c.mode == RNNMode::GRU)
        return any(std::make_shared<xg::nn::GRUT<double>>(
            xg::nn::GRUOptions(I, H).num_layers(L).bidirectional(c.bidirectional).bias(c.bias).batch_first(c.batch_first)));
    return any(std::make_shared<xg::nn::RNNT<double>>(xg::nn::RNNOptions(I, H)
                                                       .num_layers(L)
                                                       .bidirectional(c.bidirectional)
                                                       .bias(c.bias)
                                                       .batch_first(c.batch_first)
                                                       .nonlinearity(c.mode == RNNMode::RNN_RELU ? "relu" : "tanh")));
}

// The reference: the same network from the primitive-op cells (lstm_cell, gru_cell, rnn_cell)
// with the module's parameters, run by unroll (layers, directions, lengths, batch_first).
// The variants' composed cells are their own forward_unrolled().
V composed(const Config& c, xg::nn::ModuleT<double>& m, const TensorD& x, const TensorD& h0, const TensorD& c0) {
    using State = xg::nn::RecurrentStateT<double>;
    if (is_variant(c.mode)) {
        auto r = dynamic_cast<xg::nn::LSTMVariantBaseT<double>&>(m).forward_unrolled(x, {h0, c0}, c.lengths);
        return {r.output, r.state.h, r.state.c};
    }
    const std::size_t D = c.bidirectional ? 2 : 1, Hout = c.proj ? c.proj : c.H, H = c.H;
    const bool lstm = c.mode == RNNMode::LSTM;
    std::vector<std::vector<xg::nn::CellStep<double>>> cells(c.layers);
    for (std::size_t l = 0; l < c.layers; ++l)
        for (std::size_t d = 0; d < D; ++d) {
            const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
            TensorD w_ih = m.parameter("weight_ih" + sfx), w_hh = m.parameter("weight_hh" + sfx),
                    b_ih = c.bias ? m.parameter("bias_ih" + sfx) : TensorD(), b_hh = c.bias ? m.parameter("bias_hh" + sfx) : TensorD(),
                    w_hr = c.proj ? m.parameter("weight_hr" + sfx) : TensorD();
            const RNNMode mode = c.mode;
            cells[l].push_back([=](const TensorD& x_t, const State& s) -> State {
                const std::size_t B = x_t.size(0);
                TensorD h = s.h.defined() ? s.h : xg::zeros<double>({B, Hout});
                if (lstm) {
                    TensorD cc = s.c.defined() ? s.c : xg::zeros<double>({B, H});
                    auto [h2, c2] = xg::nn::lstm_cell(x_t, h, cc, w_ih, w_hh, b_ih, b_hh, w_hr);
                    return {h2, c2};
                }
                if (mode == RNNMode::GRU) return {xg::nn::gru_cell(x_t, h, w_ih, w_hh, b_ih, b_hh), {}};
                return {xg::nn::rnn_cell(x_t, h, w_ih, w_hh, b_ih, b_hh, mode == RNNMode::RNN_RELU ? "relu" : "tanh"), {}};
            });
        }
    auto r = xg::nn::unroll<double>(cells, x, {h0, c0}, c.lengths, xg::nn::UnrollOptions().batch_first(c.batch_first));
    V res{r.output, r.state.h};
    if (lstm) res.push_back(r.state.c);
    return res;
}

// Runs module and reference on the same input, compares outputs, then the gradients of
// one random projection of all outputs with respect to input, initial state and every parameter.
void compare_with_composed(const Config& c) {
    BOOST_TEST_CONTEXT(describe(c)) {
        xg::manual_seed(11);
        AnyRNN r = make_module(c);
        const std::size_t D = c.bidirectional ? 2 : 1, Hout = c.proj ? c.proj : c.H;
        TensorD x = param(c.batch_first ? Shape{c.B, c.S, c.I} : Shape{c.S, c.B, c.I});
        TensorD h0, c0;
        if (c.init_state) {
            h0 = param({D * c.layers, c.B, Hout});
            if (has_cell(c.mode)) c0 = param({D * c.layers, c.B, c.H});
        }
        V fused = r.forward(x, h0, c0, c.lengths);
        V ref = composed(c, *r.module, x, h0, c0);
        BOOST_TEST_REQUIRE(fused.size() == ref.size());
        for (std::size_t k = 0; k < fused.size(); ++k) {
            BOOST_TEST_REQUIRE((fused[k].shape() == ref[k].shape()), "output " << k << ": " << xg::shape_str(fused[k].shape())
                                                                                 << " vs " << xg::shape_str(ref[k].shape()));
            CHECK_CLOSE_ARRAYS(fused[k].value(), ref[k].value(), 1e-10, 1e-12);
        }
        // gradients of <R, outputs> through both, for every leaf
        std::vector<TensorD> leaves = r.module->parameters();
        leaves.push_back(x);
        if (h0.defined()) leaves.push_back(h0);
        if (c0.defined()) leaves.push_back(c0);
        auto grads_of = [&](const V& outs) {
            for (auto& t : leaves) t.zero_grad();
            TensorD loss = xg::zeros<double>({});
            for (std::size_t k = 0; k < outs.size(); ++k) {
                xg::manual_seed(100 + k);
                loss = loss + xg::sum(outs[k] * xg::randn<double>(outs[k].shape()));
            }
            loss.backward();
            std::vector<xt::xarray<double>> g;
            for (auto& t : leaves) g.push_back(t.grad());
            return g;
        };
        auto gf = grads_of(fused);
        auto gr = grads_of(ref);
        auto names = r.module->named_parameters();
        for (std::size_t k = 0; k < leaves.size(); ++k) {
            const std::string what = k < names.size() ? names[k].first : k == names.size() ? "input" : "initial state";
            BOOST_TEST_CONTEXT("gradient of " << what) { CHECK_CLOSE_ARRAYS(gf[k], gr[k], 1e-9, 1e-11); }
        }
    }
}

const Lengths uneven = {3, 5, 1, 4};  // unsorted, with a length-1 sequence

}  // namespace

BOOST_AUTO_TEST_CASE(lstm_matches_composed_cells) {
    const RNNMode M = RNNMode::LSTM;
    compare_with_composed({.mode = M, .I = 3, .H = 4, .S = 5, .B = 2});
    compare_with_composed({.mode = M, .I = 3, .H = 4, .layers = 2, .init_state = true, .S = 4, .B = 3});
    compare_with_composed({.mode = M, .I = 3, .H = 4, .bidirectional = true, .init_state = true, .S = 4, .B = 2});
    compare_with_composed({.mode = M, .I = 2, .H = 5, .layers = 3, .bidirectional = true, .batch_first = true, .S = 3, .B = 2});
    compare_with_composed({.mode = M, .I = 3, .H = 5, .layers = 2, .bidirectional = true, .proj = 3, .init_state = true, .S = 4, .B = 2});  // LSTMP
    compare_with_composed({.mode = M, .I = 3, .H = 4, .bias = false, .S = 4, .B = 2});  // no bias
    compare_with_composed({.mode = M, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .init_state = true, .lengths = uneven, .S = 5, .B = 4});
    compare_with_composed({.mode = M, .I = 3, .H = 5, .layers = 2, .bidirectional = true, .batch_first = true, .proj = 2, .init_state = true, .lengths = uneven, .S = 5, .B = 4});
}

BOOST_AUTO_TEST_CASE(batch_chunks_on_threads_match_composed_cells) {
    // 16+ sequences on 2 threads: each direction's batch is split into chunks that run on
    // their own threads, with their own packing; results must not change.
    xg::set_num_threads(2);
    Lengths many(17);
    for (std::size_t b = 0; b < many.size(); ++b) many[b] = 1 + (b * 7) % 5;
    compare_with_composed({.mode = RNNMode::LSTM, .I = 3, .H = 4, .layers = 2, .init_state = true, .lengths = many, .S = 5, .B = 17});
    compare_with_composed({.mode = RNNMode::LSTM, .I = 3, .H = 5, .batch_first = true, .proj = 2, .S = 4, .B = 16});
    compare_with_composed({.mode = RNNMode::GRU, .I = 3, .H = 4, .init_state = true, .lengths = many, .S = 5, .B = 17});
    xg::set_num_threads(1);  // and one thread gives the same
    compare_with_composed({.mode = RNNMode::LSTM, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .init_state = true, .lengths = many, .S = 5, .B = 17});
    xg::set_num_threads(0);
}

// more packed rows (45 steps x 50 sequences = 2,250) than one block of the weight-gradient
// products (2,048): the blocks add up to the one product (LSTM: dW_hh and dW_ih joined; GRU apart)
BOOST_AUTO_TEST_CASE(weight_gradients_over_several_row_blocks_match_composed_cells) {
    compare_with_composed({.mode = RNNMode::LSTM, .I = 3, .H = 4, .bidirectional = true, .S = 45, .B = 50});
    compare_with_composed({.mode = RNNMode::GRU, .I = 3, .H = 4, .S = 45, .B = 50});
}

// The input-side products run a block of steps at a time between the steps (about 32k gate
// values a block: 25 steps of 40 rows for these LSTMs, 20 for the RNN, fewer rows as sequences
// end): X W_ih^T just before its steps, dX = dA W_ih just after; in both directions,
// time-major and batch first, on 1 thread and on 2 (one unit per direction, or a whole
// batch's single direction split into two 20-row chunks of their own blocks).
BOOST_AUTO_TEST_CASE(input_product_by_blocks_of_steps_matches_composed_cells) {
    Lengths some(40);
    for (std::size_t b = 0; b < some.size(); ++b) some[b] = 1 + (b * 13) % 60;
    for (int threads : {1, 2}) {
        BOOST_TEST_CONTEXT(threads << " thread(s)") {
            xg::set_num_threads(threads);
            compare_with_composed({.mode = RNNMode::LSTM, .I = 3, .H = 8, .bidirectional = true, .lengths = some, .S = 60, .B = 40});
            compare_with_composed({.mode = RNNMode::GRU, .I = 3, .H = 8, .bidirectional = true, .batch_first = true, .lengths = some, .S = 60, .B = 40});
            // the whole batch: x read in place, the reverse direction's rows from the last block
            compare_with_composed({.mode = RNNMode::LSTM, .I = 3, .H = 8, .bidirectional = true, .proj = 4, .S = 60, .B = 40});
            // one direction: its pre-activations kept in y itself (no gates saved)
            compare_with_composed({.mode = RNNMode::RNN_TANH, .I = 3, .H = 40, .S = 60, .B = 40});
        }
    }
    xg::set_num_threads(0);
}

BOOST_AUTO_TEST_CASE(gru_matches_composed_cells) {
    const RNNMode M = RNNMode::GRU;
    compare_with_composed({.mode = M, .I = 3, .H = 4, .S = 5, .B = 2});
    compare_with_composed({.mode = M, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .init_state = true, .S = 4, .B = 3});
    compare_with_composed({.mode = M, .I = 2, .H = 3, .layers = 2, .bidirectional = true, .bias = false, .batch_first = true, .init_state = true, .S = 3, .B = 2});
    compare_with_composed({.mode = M, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .init_state = true, .lengths = uneven, .S = 5, .B = 4});
}

// Every policy, one line each: the fused layer against its composed cell through unroll, in
// the configurations that reach each part of the driver (layers, directions, lengths,
// batch_first, no bias, initial state, batch chunks on threads).
#define POLICY_MATCHES_COMPOSED_CELLS(NAME, MODE)                                                                          \
    BOOST_AUTO_TEST_CASE(NAME) {                                                                                           \
        const RNNMode M = MODE;                                                                                            \
        compare_with_composed({.mode = M, .I = 3, .H = 4, .S = 5, .B = 2});                                                 \
        compare_with_composed({.mode = M, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .init_state = true, .lengths = uneven, .S = 5, .B = 4}); \
        compare_with_composed({.mode = M, .I = 2, .H = 3, .layers = 2, .bidirectional = true, .bias = false, .batch_first = true, .init_state = true, .S = 3, .B = 2}); \
        xg::set_num_threads(2);                                                                                            \
        Lengths many(17);                                                                                                  \
        for (std::size_t b = 0; b < many.size(); ++b) many[b] = 1 + (b * 7) % 5;                                           \
        compare_with_composed({.mode = M, .I = 3, .H = 4, .init_state = true, .lengths = many, .S = 5, .B = 17});          \
        xg::set_num_threads(0);                                                                                            \
    }

POLICY_MATCHES_COMPOSED_CELLS(every_policy_rnn_tanh, RNNMode::RNN_TANH)
POLICY_MATCHES_COMPOSED_CELLS(every_policy_rnn_relu, RNNMode::RNN_RELU)
POLICY_MATCHES_COMPOSED_CELLS(every_policy_gru, RNNMode::GRU)
POLICY_MATCHES_COMPOSED_CELLS(every_policy_lstm, RNNMode::LSTM)
POLICY_MATCHES_COMPOSED_CELLS(every_policy_peephole_lstm, RNNMode::PEEPHOLE_LSTM)
POLICY_MATCHES_COMPOSED_CELLS(every_policy_layer_norm_lstm, RNNMode::LAYER_NORM_LSTM)

BOOST_AUTO_TEST_CASE(rnn_matches_composed_cells) {
    compare_with_composed({.mode = RNNMode::RNN_TANH, .I = 3, .H = 4, .S = 5, .B = 2});
    compare_with_composed({.mode = RNNMode::RNN_TANH, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .batch_first = true, .init_state = true, .lengths = uneven, .S = 5, .B = 4});
    compare_with_composed({.mode = RNNMode::RNN_RELU, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .bias = false, .init_state = true, .S = 4, .B = 3});
    compare_with_composed({.mode = RNNMode::RNN_RELU, .I = 3, .H = 4, .init_state = true, .lengths = uneven, .S = 5, .B = 4});
}

// One macro gradient-checks every recurrent module (central differences, double).
#define RNN_GRADIENT_TEST(NAME, CONFIG)                                                                  \
    BOOST_AUTO_TEST_CASE(NAME) {                                                                         \
        const Config c = CONFIG;                                                                         \
        xg::manual_seed(5);                                                                              \
        AnyRNN r = make_module(c);                                                                       \
        const std::size_t D = c.bidirectional ? 2 : 1, Hout = c.proj ? c.proj : c.H;                     \
        V inputs{param(c.batch_first ? Shape{c.B, c.S, c.I} : Shape{c.S, c.B, c.I})};                    \
        inputs.push_back(param({D * c.layers, c.B, Hout}));                                              \
        if (has_cell(c.mode)) inputs.push_back(param({D * c.layers, c.B, c.H}));                         \
        for (auto& p : r.module->parameters()) inputs.push_back(p);                                      \
        check_gradient(                                                                                  \
            [&](const V& in) {                                                                           \
                V outs = r.forward(in[0], in[1], has_cell(c.mode) ? in[2] : TensorD(), c.lengths);     \
                std::vector<TensorD> flat;                                                               \
                for (auto& o : outs) flat.push_back(xg::flatten(o));                                     \
                return xg::cat(flat, 0);                                                                 \
            },                                                                                           \
            inputs);                                                                                     \
    }

RNN_GRADIENT_TEST(lstm_gradient, (Config{.mode = RNNMode::LSTM, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .init_state = true, .lengths = {3, 1}, .S = 3, .B = 2}))
RNN_GRADIENT_TEST(lstmp_gradient, (Config{.mode = RNNMode::LSTM, .I = 2, .H = 4, .layers = 2, .bidirectional = true, .batch_first = true, .proj = 2, .init_state = true, .lengths = {2, 3}, .S = 3, .B = 2}))
RNN_GRADIENT_TEST(gru_gradient, (Config{.mode = RNNMode::GRU, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .init_state = true, .lengths = {3, 2}, .S = 3, .B = 2}))
RNN_GRADIENT_TEST(rnn_tanh_gradient, (Config{.mode = RNNMode::RNN_TANH, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .init_state = true, .lengths = {1, 3}, .S = 3, .B = 2}))
RNN_GRADIENT_TEST(peephole_lstm_gradient, (Config{.mode = RNNMode::PEEPHOLE_LSTM, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .init_state = true, .lengths = {3, 1}, .S = 3, .B = 2}))
RNN_GRADIENT_TEST(layer_norm_lstm_gradient, (Config{.mode = RNNMode::LAYER_NORM_LSTM, .I = 3, .H = 4, .layers = 2, .bidirectional = true, .batch_first = true, .init_state = true, .lengths = {2, 3}, .S = 3, .B = 2}))
RNN_GRADIENT_TEST(rnn_relu_gradient, (Config{.mode = RNNMode::RNN_RELU, .I = 3, .H = 4, .bidirectional = true, .batch_first = true, .init_state = true, .S = 3, .B = 2}))

BOOST_AUTO_TEST_CASE(cells_gradient) {
    xg::manual_seed(9);
    xg::nn::LSTMCellT<double> lstm(xg::nn::LSTMCellOptions(3, 4));
    check_gradient([&](const V& in) { auto s = lstm.forward(in[0], {in[1], in[2]}); return xg::cat(V{s.h, s.c}, 1); },
                   {param({2, 3}), param({2, 4}), param({2, 4}), lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh});
    xg::nn::GRUCellT<double> gru(xg::nn::GRUCellOptions(3, 4));
    check_gradient([&](const V& in) { return gru.forward(in[0], in[1]); },
                   {param({2, 3}), param({2, 4}), gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh});
    xg::nn::RNNCellT<double> rnn(xg::nn::RNNCellOptions(3, 4).nonlinearity("tanh"));
    check_gradient([&](const V& in) { return rnn.forward(in[0], in[1]); }, {param({2, 3}), param({2, 4}), rnn.weight_ih, rnn.weight_hh});
}

BOOST_AUTO_TEST_CASE(lstm_shapes_and_names) {
    xg::nn::LSTM lstm(xg::nn::LSTMOptions(4, 5).num_layers(2).bidirectional(true).proj_size(3));
    auto [out, state] = lstm.forward(xg::randn({7, 2, 4}));
    BOOST_TEST((out.shape() == Shape{7, 2, 6}));
    BOOST_TEST((state.h.shape() == Shape{4, 2, 3}));
    BOOST_TEST((state.c.shape() == Shape{4, 2, 5}));
    std::vector<std::string> names;
    for (auto& [n, p] : lstm.named_parameters()) names.push_back(n);
    const std::vector<std::string> torch_names = {
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_hr_l0_reverse",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse", "weight_hr_l1_reverse"};
    BOOST_TEST(names == torch_names, boost::test_tools::per_element());
    BOOST_TEST((lstm.parameter("weight_ih_l1").shape() == Shape{20, 6}));
    BOOST_TEST((lstm.parameter("weight_hh_l0").shape() == Shape{20, 3}));
    BOOST_TEST((lstm.parameter("weight_hr_l0").shape() == Shape{3, 5}));
    BOOST_TEST(lstm.repr() == "LSTM(4, 5, proj_size=3, num_layers=2, bidirectional=True)");
    // PyTorch's initialisation: U(-1/sqrt(H), 1/sqrt(H))
    for (auto& p : lstm.parameters()) BOOST_TEST(xt::amax(xt::abs(p.value()))() <= 1.0f / std::sqrt(5.0f));
}

BOOST_AUTO_TEST_CASE(unbatched_and_batch_first) {
    xg::manual_seed(2);
    xg::nn::GRU gru(xg::nn::GRUOptions(3, 4));
    TensorD dummy;
    xg::Tensor x = xg::randn({5, 3});
    auto [out, h] = gru.forward(x);
    BOOST_TEST((out.shape() == Shape{5, 4}));
    BOOST_TEST((h.shape() == Shape{1, 4}));
    auto [out_b, h_b] = gru.forward(xg::unsqueeze(x, 1));
    CHECK_CLOSE_ARRAYS(out.value(), xg::squeeze(out_b, 1).value(), 1e-6, 1e-7);
}

BOOST_AUTO_TEST_CASE(padded_steps_are_zero_and_state_is_last_real_step) {
    xg::manual_seed(3);
    xg::nn::LSTM lstm(xg::nn::LSTMOptions(2, 3));
    xg::Tensor x = xg::randn({4, 2, 2}, true);
    auto [out, st] = lstm.forward(x, {}, {4, 2});
    BOOST_TEST(xt::amax(xt::abs(xt::view(out.value(), xt::range(2, 4), 1)))() == 0.f);
    CHECK_CLOSE_ARRAYS(xt::view(st.h.value(), 0, 1), xt::view(out.value(), 1, 1), 0, 0);
    // the padded inputs get no gradient
    xg::sum(out).backward();
    BOOST_TEST(xt::amax(xt::abs(xt::view(x.grad(), xt::range(2, 4), 1)))() == 0.f);
    BOOST_TEST(xt::amax(xt::abs(xt::view(x.grad(), xt::range(0, 2), 1)))() > 0.f);
}

BOOST_AUTO_TEST_CASE(dropout_between_layers_only_when_training) {
    xg::manual_seed(4);
    xg::nn::LSTM lstm(xg::nn::LSTMOptions(3, 8).num_layers(2).dropout(0.5));
    xg::Tensor x = xg::randn({5, 2, 3});
    lstm.eval();
    auto a = lstm.forward(x).output.value();
    auto b = lstm.forward(x).output.value();
    BOOST_TEST(a == b);
    lstm.train();
    auto c = lstm.forward(x).output.value();
    BOOST_TEST(!(a == c));
}

BOOST_AUTO_TEST_CASE(lstm_state_detach_carries_values_not_history) {
    xg::manual_seed(5);
    xg::nn::LSTM lstm(xg::nn::LSTMOptions(2, 3));
    auto [out, state] = lstm.forward(xg::randn({4, 2, 2}));
    xg::sum(out).backward();
    const auto carried = state.detach();
    BOOST_TEST(carried.h.value() == state.h.value());
    BOOST_TEST(carried.c.value() == state.c.value());
    BOOST_TEST(!carried.h.requires_grad());
    BOOST_TEST(!carried.c.requires_grad());
    // the next batch starts from the values; its backward does not reach the freed first graph
    auto [out2, state2] = lstm.forward(xg::randn({4, 2, 2}), carried);
    BOOST_CHECK_NO_THROW(xg::sum(out2).backward());
    // a loop's first "no state yet" detaches to itself
    const auto none = xg::nn::LSTMState{}.detach();
    BOOST_TEST((!none.h.defined() && !none.c.defined()));
}

BOOST_AUTO_TEST_CASE(one_tape_entry_per_layer) {
    xg::nn::LSTM lstm(xg::nn::LSTMOptions(3, 4));
    xg::clear_tape();
    auto [out, st] = lstm.forward(xg::randn({50, 2, 3}));
    BOOST_TEST(xg::tape_size() == 1u);  // 50 steps, one entry
    xg::clear_tape();
}

// A backward that frees the graph writes the layer's gate gradients over its saved gates and
// releases them: the same bits as a backward that keeps the graph (retain_graph) and leaves
// them for a second one. A backward that failed below the layer cannot then be rerun through
// it: an error, not gradients from overwritten gates.
BOOST_AUTO_TEST_CASE(a_backward_that_frees_the_graph_consumes_what_the_layer_saved) {
    xg::manual_seed(6);
    xg::nn::LSTMT<double> lstm(xg::nn::LSTMOptions(3, 5, 2).bidirectional(true));
    std::vector<TensorD> leaves = lstm.parameters();
    const TensorD x = param({6, 4, 3});
    leaves.push_back(x);
    auto gradients = [&] {
        std::vector<xt::xarray<double>> out;
        for (auto& t : leaves) {
            out.push_back(t.grad());
            t.zero_grad();
        }
        return out;
    };
    const auto [y, state] = lstm.forward(x);
    const TensorD loss = xg::sum(y * y);
    loss.backward(/*retain_graph=*/true);
    const auto kept = gradients();
    loss.backward();  // this one consumes the saved gates
    const auto consumed = gradients();
    for (std::size_t i = 0; i < kept.size(); ++i) BOOST_TEST_CONTEXT("leaf " << i) { BOOST_TEST(kept[i] == consumed[i]); }

    // an op below the layer that fails in backward: the walk rolls back, the layer is spent
    const TensorD below = xg::make_op<double>(xt::xarray<double>(x.value()), {x}, [](const xt::xarray<double>&) {
        throw std::runtime_error("below the layer");
    });
    const auto [y2, state2] = lstm.forward(below);
    const TensorD loss2 = xg::sum(y2 * y2);
    BOOST_CHECK_THROW(loss2.backward(), std::runtime_error);
    CHECK_THROWS_WITH(loss2.backward(), "LSTM layer: backward through it a second time");
}

// ---- unroll ------------------------------------------------------------------------------

namespace {
using StepsD = std::vector<std::vector<xg::nn::CellStep<double>>>;
using StateD = xg::nn::RecurrentStateT<double>;
TensorD rows_of(const TensorD& t, long b) { return xg::narrow(t, 1, b, 1); }  // (.., B, ..) -> (.., 1, ..)
}  // namespace

BOOST_AUTO_TEST_CASE(unroll_with_lengths_matches_each_sequence_alone) {
    xg::manual_seed(21);
    std::vector<std::shared_ptr<xg::nn::GRUCellT<double>>> mods;
    StepsD cells(2);
    for (std::size_t l = 0; l < 2; ++l)
        for (int d = 0; d < 2; ++d) {
            mods.push_back(std::make_shared<xg::nn::GRUCellT<double>>(xg::nn::GRUCellOptions(l ? 8 : 3, 4)));
            cells[l].push_back(xg::nn::cell_step(*mods.back()));
        }
    const xg::nn::Lengths lengths = uneven;
    TensorD x = param({5, 4, 3}), h0 = param({4, 4, 4});
    auto all = xg::nn::unroll<double>(cells, x, {h0, {}}, lengths);
    BOOST_TEST((all.output.shape() == Shape{5, 4, 8}));
    BOOST_TEST((all.state.h.shape() == Shape{4, 4, 4}));
    BOOST_TEST(!all.state.c.defined());
    for (std::size_t b = 0; b < 4; ++b) {
        BOOST_TEST_CONTEXT("sequence " << b) {
            const long len = long(lengths[b]);
            auto one = xg::nn::unroll<double>(cells, xg::narrow(rows_of(x, long(b)), 0, 0, len), {rows_of(h0, long(b)), {}});
            CHECK_CLOSE_ARRAYS(xg::narrow(rows_of(all.output, long(b)), 0, 0, len).value(), one.output.value(), 1e-12, 1e-14);
            CHECK_CLOSE_ARRAYS(rows_of(all.state.h, long(b)).value(), one.state.h.value(), 1e-12, 1e-14);
            if (len < 5) BOOST_TEST(xt::amax(xt::abs(xg::narrow(rows_of(all.output, long(b)), 0, len, 5 - len).value()))() == 0.0);
        }
    }
}

BOOST_AUTO_TEST_CASE(unroll_gradient) {
    xg::manual_seed(22);
    xg::nn::LSTMCellT<double> fwd(xg::nn::LSTMCellOptions(3, 2)), bwd(xg::nn::LSTMCellOptions(3, 2));
    const StepsD cells = {{xg::nn::cell_step(fwd), xg::nn::cell_step(bwd)}};
    const auto opt = xg::nn::UnrollOptions().batch_first(true);
    check_gradient(
        [&](const V& in) {
            auto r = xg::nn::unroll<double>(cells, in[0], {in[1], in[2]}, {2, 4, 3}, opt);
            return xg::sum(r.output * r.output) + xg::sum(r.state.h) + xg::sum(r.state.c * r.state.c);
        },
        {param({3, 4, 3}), param({2, 3, 2}), param({2, 3, 2})});
    // unbatched: (S, I) runs as a batch of one
    TensorD x = param({4, 3});
    auto one = xg::nn::unroll<double>(cells, x);
    auto batch = xg::nn::unroll<double>(cells, xg::unsqueeze(x, 1));
    BOOST_TEST((one.output.shape() == Shape{4, 4}));
    BOOST_TEST((one.state.h.shape() == Shape{2, 2}));
    CHECK_CLOSE_ARRAYS(one.output.value(), xg::squeeze(batch.output, 1).value(), 0, 0);
}

BOOST_AUTO_TEST_CASE(unroll_runs_a_cell_written_from_primitive_ops) {
    xg::manual_seed(23);
    // a minimal gated cell of one's own: h' = z * h + (1 - z) * tanh(W x), z = sigmoid(U h)
    TensorD w = param({4, 3}), u = param({4, 4});
    auto mine = [&](const TensorD& x, const StateD& s) -> StateD {
        TensorD h = s.h.defined() ? s.h : xg::zeros<double>({x.size(0), 4});
        TensorD z = xg::sigmoid(xg::matmul(h, u));
        return {z * h + (1.0 - z) * xg::tanh(xg::matmul(x, xg::transpose(w, 0, 1))), {}};
    };
    TensorD x = param({3, 2, 3});
    auto r = xg::nn::unroll<double>({{mine}}, x);
    TensorD h = xg::zeros<double>({2, 4});
    for (long t = 0; t < 3; ++t) h = mine(xg::select(x, 0, t), {h, {}}).h;
    CHECK_CLOSE_ARRAYS(r.state.h.value(), xg::unsqueeze(h, 0).value(), 0, 0);
    check_gradient([&](const V& in) { return xg::nn::unroll<double>({{mine}}, in[0]).output; }, {param({3, 2, 3})});
    // dropout between layers, in training only
    StepsD two = {{mine}, {[&](const TensorD& xx, const StateD& s) { return mine(xg::narrow(xx, 1, 0, 3), s); }}};
    auto eval = xg::nn::unroll<double>(two, x, {}, {}, xg::nn::UnrollOptions().dropout(0.5).training(false));
    auto plain = xg::nn::unroll<double>(two, x);
    BOOST_TEST(eval.output.value() == plain.output.value());
    auto train = xg::nn::unroll<double>(two, x, {}, {}, xg::nn::UnrollOptions().dropout(0.5));
    BOOST_TEST(!(train.output.value() == plain.output.value()));
}

BOOST_AUTO_TEST_CASE(unroll_zoneout) {
    const auto copy = [](const TensorD& x, const StateD&) { return StateD{x, x * 2.0}; };  // h' = x, c' = 2x
    const StepsD cells = {{copy}};
    TensorD x = param({6, 3, 4});
    using O = xg::nn::UnrollOptions;
    // p = 1: every unit keeps its previous value, the zero initial state
    auto kept = xg::nn::unroll<double>(cells, x, {}, {}, O().zoneout_h(1).zoneout_c(1));
    BOOST_TEST(xt::amax(xt::abs(kept.output.value()))() == 0.0);
    BOOST_TEST(xt::amax(xt::abs(kept.state.c.value()))() == 0.0);
    // p = 0.5 in training: each unit is the new value or its previous one, and both happen
    xg::manual_seed(7);
    auto z = xg::nn::unroll<double>(cells, x, {}, {}, O().zoneout_h(0.5)).output.value();
    std::size_t fresh = 0, stale = 0;
    for (std::size_t t = 0; t < 6; ++t)
        for (std::size_t i = 0; i < 12; ++i) {
            const double v = z.data()[t * 12 + i], prev = t ? z.data()[(t - 1) * 12 + i] : 0.0;
            const bool is_new = v == x.value().data()[t * 12 + i];
            BOOST_TEST((is_new || v == prev));
            (is_new ? fresh : stale) += 1;
        }
    BOOST_TEST(fresh > 10u);
    BOOST_TEST(stale > 10u);
    // in evaluation, the expectation: h_t = p h_{t-1} + (1 - p) x_t
    auto e = xg::nn::unroll<double>(cells, x, {}, {}, O().zoneout_h(0.25).training(false)).output.value();
    xt::xarray<double> h = xt::zeros<double>({3, 4});
    for (std::size_t t = 0; t < 6; ++t) {
        h = 0.25 * h + 0.75 * xt::xarray<double>(xt::view(x.value(), t));
        CHECK_CLOSE_ARRAYS(xt::xarray<double>(xt::view(e, t)), h, 1e-14, 1e-15);
    }
    // gradients through the masks, fixed by the seed
    xg::nn::LSTMCellT<double> cell(xg::nn::LSTMCellOptions(4, 3));
    check_gradient(
        [&](const V& in) {
            xg::manual_seed(8);
            auto r = xg::nn::unroll<double>({{xg::nn::cell_step(cell)}}, in[0], {}, {6, 2, 4}, O().zoneout_h(0.3).zoneout_c(0.3));
            return xg::sum(r.output) + xg::sum(r.state.c);
        },
        {param({6, 3, 4})});
}

BOOST_AUTO_TEST_CASE(unroll_variational_dropout_shares_one_mask_across_steps) {
    const auto copy = [](const TensorD& x, const StateD&) { return StateD{x, {}}; };
    TensorD x = away_from_zero({5, 3, 8});
    for (const bool at_input : {true, false}) {
        BOOST_TEST_CONTEXT((at_input ? "input" : "output")) {
            xg::manual_seed(9);
            const auto o = at_input ? xg::nn::UnrollOptions().input_dropout(0.5) : xg::nn::UnrollOptions().output_dropout(0.5);
            auto out = xg::nn::unroll<double>({{copy}}, x, {}, {}, o).output.value();
            std::size_t dropped = 0;
            for (std::size_t i = 0; i < 24; ++i) {  // each (sequence, feature): dropped at every step or kept at every step
                const bool off = out.data()[i] == 0.0;
                dropped += off;
                for (std::size_t t = 0; t < 5; ++t)
                    BOOST_TEST(out.data()[t * 24 + i] == (off ? 0.0 : 2.0 * x.value().data()[t * 24 + i]));
            }
            BOOST_TEST((dropped > 3u && dropped < 21u));
            const auto eval = xg::nn::unroll<double>({{copy}}, x, {}, {}, xg::nn::UnrollOptions(o).training(false)).output.value();
            BOOST_TEST(eval == x.value());
        }
    }
    xg::nn::GRUCellT<double> cell(xg::nn::GRUCellOptions(8, 3));
    check_gradient(
        [&](const V& in) {
            xg::manual_seed(10);
            const auto o = xg::nn::UnrollOptions().input_dropout(0.3).output_dropout(0.3);
            return xg::nn::unroll<double>({{xg::nn::cell_step(cell)}}, in[0], {}, {}, o).output;
        },
        {param({4, 2, 8})});
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{copy}}, x, {}, {}, xg::nn::UnrollOptions().zoneout_c(2)),
                      "unroll: zoneout_c should be a probability in [0, 1], got 2");
}

BOOST_AUTO_TEST_CASE(unroll_errors) {
    xg::nn::RNNCellT<double> cell(xg::nn::RNNCellOptions(3, 2));
    const auto step = xg::nn::cell_step(cell);
    TensorD x = xg::zeros<double>({4, 2, 3});
    CHECK_THROWS_WITH(xg::nn::unroll<double>({}, x), "unroll: no layers of cells given");
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{step, step, step}}, x), "unroll: layer 0 has 3 cells; expected 1");
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{step, step}, {step}}, x), "unroll: layer 1 has 1 cells, layer 0 has 2");
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{xg::nn::CellStep<double>()}}, x), "unroll: cell 0 of layer 0 is empty");
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{step}}, xg::zeros<double>({4})), "unroll: expected input of 2 or 3 dims, got (4)");
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{step}}, x, {}, {4}), "unroll: 1 lengths given for a batch of 2 sequences");
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{step}}, x, {}, {4, 0}), "unroll: length 0 of sequence 1 is outside [1, 4]");
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{step}}, x, {xg::zeros<double>({2, 2, 2}), {}}),
                      "unroll: initial state of shape (2, 2, 2); expected (1, 2, hidden)");
    auto flat = [](const TensorD& xx, const StateD&) { return StateD{xg::reshape(xx, {-1}), {}}; };
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{flat}}, x), "unroll: a forward cell returned h of shape (6); expected (2, hidden)");
    CHECK_THROWS_WITH(xg::nn::unroll<double>({{step}}, xg::zeros<double>({4, 2, 5})), "RNNCell: input has inconsistent input_size");
}

BOOST_AUTO_TEST_CASE(input_errors) {
    xg::nn::LSTM lstm(xg::nn::LSTMOptions(4, 5).num_layers(2));
    CHECK_THROWS_WITH(lstm.forward(xg::zeros({3, 2, 5})), "LSTM: input.size(-1) must be equal to input_size. Expected 4, got 5");
    CHECK_THROWS_WITH(lstm.forward(xg::zeros({3, 2, 1, 4})), "LSTM: input must have 3 dimensions (seq_len, batch, input_size)");
    CHECK_THROWS_WITH(lstm.forward(xg::zeros({3, 2, 4}), {xg::zeros({1, 2, 5}), xg::zeros({2, 2, 5})}),
                      "LSTM: expected hidden state h0 of shape (2, 2, 5), got (1, 2, 5)");
    CHECK_THROWS_WITH(lstm.forward(xg::zeros({3, 2, 4}), {}, {3}), "LSTM: 1 lengths given for a batch of 2 sequences");
    CHECK_THROWS_WITH(lstm.forward(xg::zeros({3, 2, 4}), {}, {3, 4}), "LSTM: length 4 of sequence 1 is outside [1, 3]");
    xg::nn::GRU gru(xg::nn::GRUOptions(4, 5));
    xg::nn::RNNBase& any = gru;  // the common interface: a GRU has no cell state
    CHECK_THROWS_WITH(any.forward(xg::zeros({3, 2, 4}), {xg::zeros({1, 2, 5}), xg::zeros({1, 2, 5})}),
                      "GRU: has no cell state; pass state.c empty");
    CHECK_THROWS_WITH(static_cast<xg::nn::RNNBase&>(lstm).forward(xg::zeros({3, 2, 4}), {xg::zeros({1, 2, 5}), {}}),
                      "LSTM: pass both h0 and c0, or neither");
    CHECK_THROWS_WITH(xg::nn::LSTM(xg::nn::LSTMOptions(4, 5).proj_size(5)), "proj_size 5 has to be smaller than hidden_size 5");
    CHECK_THROWS_WITH(xg::nn::RNN(xg::nn::RNNOptions(4, 5).nonlinearity("sigmoid")), "RNN: unknown nonlinearity 'sigmoid'");
    xg::nn::GRUCell cell(xg::nn::GRUCellOptions(3, 4));
    CHECK_THROWS_WITH(cell.forward(xg::zeros({2, 5})), "GRUCell: input has inconsistent input_size: got 5 expected 3");
}

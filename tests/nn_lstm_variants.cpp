// LayerNormLSTM and the peephole LSTM (nn/lstm_variants.hpp): double-precision gradient
// checks of layer_norm, the cells and the layers; an untrained peephole LSTM is an LSTM;
// the cells run by unroll equal the layers; names, initial values and errors. Their values
// against PyTorch's primitive ops are in nn_torch_parity.cpp.
#define BOOST_TEST_MODULE nn_lstm_variants
#include "common.hpp"

using namespace test;
using V = std::vector<TensorD>;
using StateD = xg::nn::RecurrentStateT<double>;

namespace {

// Every parameter of m drawn U(lo, hi): the norms' weights and the peepholes too.
void scramble(xg::nn::ModuleT<double>& m, double lo = -0.5, double hi = 0.5) {
    for (auto& p : m.parameters()) p.value() = xg::uniform<double>(p.shape(), lo, hi).value();
}

}  // namespace

BOOST_AUTO_TEST_CASE(layer_norm_normalises_each_row_and_has_a_gradient) {
    xg::manual_seed(1);
    TensorD x = param({3, 5});
    TensorD y = xg::nn::layer_norm(x, TensorD(), TensorD());
    auto rows_mean = xt::mean(y.value(), {1});
    auto rows_var = xt::mean(xt::square(y.value()), {1});
    for (std::size_t r = 0; r < 3; ++r) {
        BOOST_TEST(std::abs(rows_mean(r)) < 1e-12);
        BOOST_TEST(std::abs(rows_var(r) - 1.0) < 1e-3);  // var / (var + eps)
    }
    check_gradient([](const V& in) { return xg::nn::layer_norm(in[0], in[1], in[2]); }, {param({2, 3, 4}), param({4}), param({4})});
    CHECK_THROWS_WITH(xg::nn::layer_norm(x, param({4}), TensorD()), "layer_norm: weight of shape (4) for rows of 5 features");
}

BOOST_AUTO_TEST_CASE(cells_gradient) {
    xg::manual_seed(2);
    xg::nn::LayerNormLSTMCellT<double> ln(xg::nn::LSTMCellOptions(3, 4));
    xg::nn::PeepholeLSTMCellT<double> peep(xg::nn::LSTMCellOptions(3, 4));
    scramble(ln);
    scramble(peep);
    for (auto* cell : std::vector<xg::nn::ModuleT<double>*>{&ln, &peep}) {
        BOOST_TEST_CONTEXT(cell->type_name()) {
            auto run = [&](const V& in) {
                StateD s = cell == &ln ? ln(in[0], {in[1], in[2]}) : peep(in[0], {in[1], in[2]});
                return xg::sum(s.h * s.h) + xg::sum(s.c);
            };
            check_gradient(run, {param({2, 3}), param({2, 4}), param({2, 4})});
        }
    }
    // the parameters' gradients too, through the functions
    auto w = xg::nn::PeepholeLSTMWeights<double>{param({8, 3}), param({8, 2}), param({8}), param({8}), param({6})};
    const TensorD x = param({2, 3}), h = param({2, 2}), c = param({2, 2});
    check_gradient(
        [&](const V& in) {
            auto s = xg::nn::peephole_lstm_cell<double>(x, {h, c}, {in[0], in[1], in[2], in[3], in[4]});
            return xg::sum(s.h) + xg::sum(s.c * s.c);
        },
        {w.w_ih, w.w_hh, w.b_ih, w.b_hh, w.w_ch});
}

BOOST_AUTO_TEST_CASE(layers_gradient) {
    xg::manual_seed(3);
    for (std::string kind : {"LayerNormLSTM", "PeepholeLSTM"}) {
        BOOST_TEST_CONTEXT(kind) {
            const auto o = xg::nn::LSTMVariantOptions(3, 2, 2).bidirectional(true);
            std::unique_ptr<xg::nn::LSTMVariantBaseT<double>> m;
            if (kind == "LayerNormLSTM") m = std::make_unique<xg::nn::LayerNormLSTMT<double>>(o);
            else m = std::make_unique<xg::nn::PeepholeLSTMT<double>>(o);
            scramble(*m);
            check_gradient(
                [&](const V& in) {
                    auto [out, st] = (*m)(in[0], {in[1], in[2]}, {3, 1});
                    return xg::sum(out * out) + xg::sum(st.h) + xg::sum(st.c);
                },
                {param({3, 2, 3}), param({4, 2, 2}), param({4, 2, 2})});
        }
    }
}

BOOST_AUTO_TEST_CASE(an_untrained_peephole_lstm_is_an_lstm) {
    xg::manual_seed(4);
    xg::nn::LSTMT<double> lstm(xg::nn::LSTMOptions(3, 4, 2).bidirectional(true));
    xg::nn::PeepholeLSTMT<double> peep(xg::nn::PeepholeLSTMOptions(3, 4, 2).bidirectional(true));
    for (auto& [name, p] : lstm.named_parameters()) peep.parameter(name).value() = p.value();
    for (auto& [name, p] : peep.named_parameters())
        if (name.rfind("weight_ch", 0) == 0) BOOST_TEST(xt::amax(xt::abs(p.value()))() == 0.0);
    TensorD x = param({4, 2, 3});
    auto a = lstm(x, {}, {4, 2});
    auto b = peep(x, {}, {4, 2});
    CHECK_CLOSE_ARRAYS(a.output.value(), b.output.value(), 1e-12, 1e-14);
    CHECK_CLOSE_ARRAYS(a.state.c.value(), b.state.c.value(), 1e-12, 1e-14);
}

BOOST_AUTO_TEST_CASE(the_cells_run_by_unroll_are_the_layers) {
    xg::manual_seed(5);
    xg::nn::LayerNormLSTMT<double> layer(xg::nn::LayerNormLSTMOptions(3, 4).bidirectional(true));
    scramble(layer);
    xg::nn::LayerNormLSTMCellT<double> fwd(xg::nn::LSTMCellOptions(3, 4)), bwd(xg::nn::LSTMCellOptions(3, 4));
    for (auto [cell, sfx] : {std::pair{&fwd, std::string("_l0")}, std::pair{&bwd, std::string("_l0_reverse")}})
        for (auto& [name, p] : cell->named_parameters()) p.value() = layer.parameter(name + sfx).value();
    TensorD x = param({5, 3, 3});
    auto a = layer.forward_unrolled(x, {}, {5, 2, 3});
    auto b = xg::nn::unroll<double>({{xg::nn::cell_step(fwd), xg::nn::cell_step(bwd)}}, x, {}, {5, 2, 3});
    CHECK_CLOSE_ARRAYS(a.output.value(), b.output.value(), 0, 0);
    CHECK_CLOSE_ARRAYS(a.state.h.value(), b.state.h.value(), 0, 0);
    // and the fused layer (nn_rnn.cpp compares all gradients too)
    BOOST_TEST(layer.runs_fused());
    auto f = layer(x, {}, {5, 2, 3});
    CHECK_CLOSE_ARRAYS(f.output.value(), b.output.value(), 1e-12, 1e-14);
    CHECK_CLOSE_ARRAYS(f.state.c.value(), b.state.c.value(), 1e-12, 1e-14);
    // unbatched cell input, as LSTMCell's
    auto one = fwd(xg::select(xg::select(x, 0, 0), 0, 0));
    BOOST_TEST((one.h.shape() == Shape{4}));
}

BOOST_AUTO_TEST_CASE(names_shapes_and_initial_values) {
    xg::nn::LayerNormLSTM ln(xg::nn::LayerNormLSTMOptions(3, 4).bias(false));
    std::vector<std::string> names;
    for (auto& [n, p] : ln.named_parameters()) names.push_back(n);
    const std::vector<std::string> want = {"weight_ih_l0",    "weight_hh_l0",  "ln_ih_weight_l0", "ln_ih_bias_l0",
                                           "ln_hh_weight_l0", "ln_hh_bias_l0", "ln_c_weight_l0",  "ln_c_bias_l0"};
    BOOST_TEST(names == want, boost::test_tools::per_element());
    BOOST_TEST((ln.parameter("ln_c_weight_l0").shape() == Shape{4}));
    BOOST_TEST(xt::amin(ln.parameter("ln_ih_weight_l0").value())() == 1.f);
    BOOST_TEST(xt::amax(xt::abs(ln.parameter("ln_hh_bias_l0").value()))() == 0.f);
    BOOST_TEST(xt::amax(xt::abs(ln.parameter("weight_ih_l0").value()))() <= 0.5f);  // U(-1/sqrt(4), 1/sqrt(4))
    xg::nn::PeepholeLSTM peep(xg::nn::PeepholeLSTMOptions(3, 4, 2).bidirectional(true));
    BOOST_TEST(peep.named_parameters().size() == 20u);
    BOOST_TEST((peep.parameter("weight_ch_l1_reverse").shape() == Shape{12}));
    BOOST_TEST((peep.parameter("weight_ih_l1").shape() == Shape{16, 8}));
    BOOST_TEST(peep.extra_repr() == "3, 4, num_layers=2, bidirectional=True");
    auto [out, st] = peep(xg::randn({5, 3}));  // unbatched
    BOOST_TEST((out.shape() == Shape{5, 8}));
    BOOST_TEST((st.c.shape() == Shape{4, 4}));
}

BOOST_AUTO_TEST_CASE(regularisers_give_the_same_masks_on_any_thread_count_and_have_gradients) {
    const auto opts = xg::nn::LayerNormLSTMOptions(3, 4, 2)
                          .bidirectional(true)
                          .weight_drop(0.3)
                          .zoneout_h(0.2)
                          .zoneout_c(0.1)
                          .input_dropout(0.2)
                          .output_dropout(0.2);
    xg::manual_seed(11);
    xg::nn::LayerNormLSTMT<double> m(opts);
    BOOST_TEST(m.runs_fused());
    TensorD x = param({5, 2, 3});
    const std::size_t threads = xg::get_num_threads();
    xg::set_num_threads(1);
    xg::manual_seed(12);
    auto one = m(x, {}, {5, 3}).output.value();
    xg::set_num_threads(2);
    xg::manual_seed(12);
    auto two = m(x, {}, {5, 3}).output.value();
    xg::set_num_threads(threads);
    BOOST_TEST(one == two);
    xg::manual_seed(13);
    BOOST_TEST(!(m(x, {}, {5, 3}).output.value() == one));  // other masks
    check_gradient(
        [&](const V& in) {
            xg::manual_seed(14);
            return m(in[0], {}, {5, 3}).output;
        },
        {param({5, 2, 3})});
    // DropConnect acts on W_hh only in training: in evaluation the model without it is the same
    xg::nn::PeepholeLSTMT<double> dropped(xg::nn::PeepholeLSTMOptions(3, 4).weight_drop(0.5)), plain(xg::nn::PeepholeLSTMOptions(3, 4));
    scramble(dropped);
    for (auto& [name, p] : dropped.named_parameters()) plain.parameter(name).value() = p.value();
    dropped.eval();
    BOOST_TEST(dropped.runs_fused());  // DropConnect is fused: it only changes W_hh
    BOOST_TEST(dropped(x).output.value() == plain(x).output.value());
    dropped.train();
    BOOST_TEST(!(dropped(x).output.value() == plain(x).output.value()));
    BOOST_TEST(dropped.extra_repr() == "3, 4, weight_drop=0.5");
}

// The fused layers draw the regularisers' masks in unroll()'s order, so with one seed the fused
// layer and its composed cells through unroll agree: outputs and every gradient, in training
// (masks) and in evaluation (zoneout's expectation).
BOOST_AUTO_TEST_CASE(fused_regularisers_equal_the_composed_ones_for_a_seed) {
    const auto opts = xg::nn::LSTMVariantOptions(3, 4, 2)
                          .bidirectional(true)
                          .weight_drop(0.2)
                          .zoneout_h(0.3)
                          .zoneout_c(0.2)
                          .input_dropout(0.2)
                          .output_dropout(0.25)
                          .dropout(0.1);
    for (std::string kind : {"LayerNormLSTM", "PeepholeLSTM"})
        for (bool training : {true, false})
            for (bool batch_first : {false, true}) {
                BOOST_TEST_CONTEXT(kind << (training ? " training" : " evaluation") << (batch_first ? " batch_first" : "")) {
                    xg::manual_seed(21);
                    std::unique_ptr<xg::nn::LSTMVariantBaseT<double>> m;
                    // (dropout between layers draws one value per element in memory order, which batch_first changes)
                    const auto o = xg::nn::LSTMVariantOptions(opts).batch_first(batch_first).dropout(batch_first ? 0.0 : 0.1);
                    if (kind == "LayerNormLSTM") m = std::make_unique<xg::nn::LayerNormLSTMT<double>>(o);
                    else m = std::make_unique<xg::nn::PeepholeLSTMT<double>>(o);
                    scramble(*m);
                    m->train(training);
                    const TensorD x = param(batch_first ? Shape{2, 5, 3} : Shape{5, 2, 3}), h0 = param({4, 2, 4}), c0 = param({4, 2, 4});
                    std::vector<TensorD> leaves = m->parameters();
                    leaves.insert(leaves.end(), {x, h0, c0});
                    auto run = [&](bool fused) {
                        for (auto& t : leaves) t.zero_grad();
                        xg::manual_seed(22);
                        auto r = fused ? (*m)(x, {h0, c0}, {5, 3}) : m->forward_unrolled(x, {h0, c0}, {5, 3});
                        xg::manual_seed(23);
                        const V outs{r.output, r.state.h, r.state.c};
                        TensorD loss = xg::zeros<double>({});
                        for (const auto& o : outs) loss = loss + xg::sum(o * xg::randn<double>(o.shape()));
                        loss.backward();
                        std::vector<xt::xarray<double>> res;
                        for (const auto& o : outs) res.push_back(o.value());
                        for (auto& t : leaves) res.push_back(t.grad());
                        return res;
                    };
                    const auto fused = run(true), composed = run(false);
                    for (std::size_t k = 0; k < fused.size(); ++k)
                        BOOST_TEST_CONTEXT((k < 3 ? "output " : "gradient ") << k) { CHECK_CLOSE_ARRAYS(fused[k], composed[k], 1e-11, 1e-13); }
                }
            }
}

BOOST_AUTO_TEST_CASE(errors) {
    xg::nn::LayerNormLSTM ln(xg::nn::LayerNormLSTMOptions(3, 4));
    CHECK_THROWS_WITH(ln(xg::zeros({2, 2, 5})), "LayerNormLSTM: input.size(-1) must be equal to input_size. Expected 3, got 5");
    CHECK_THROWS_WITH(ln(xg::zeros({2, 2, 3}), {xg::zeros({1, 2, 4}), {}}), "LayerNormLSTM: pass both h0 and c0, or neither");
    CHECK_THROWS_WITH(ln(xg::zeros({2, 2, 3}), {xg::zeros({1, 2, 3}), xg::zeros({1, 2, 4})}),
                      "LayerNormLSTM: expected h0 of shape (1, 2, 4), got (1, 2, 3)");
    CHECK_THROWS_WITH(ln(xg::zeros({2, 2, 3}), {}, {3, 1}), "LayerNormLSTM: length 3 of sequence 0 is outside [1, 2]");
    CHECK_THROWS_WITH(xg::nn::PeepholeLSTM(xg::nn::PeepholeLSTMOptions(3, 0)), "PeepholeLSTM: input_size, hidden_size and num_layers must be positive");
    CHECK_THROWS_WITH(xg::nn::PeepholeLSTM(xg::nn::PeepholeLSTMOptions(3, 2).dropout(1.5)), "PeepholeLSTM: dropout should be a number in range [0, 1]");
    CHECK_THROWS_WITH(xg::nn::PeepholeLSTM(xg::nn::PeepholeLSTMOptions(3, 2).weight_drop(-1)), "PeepholeLSTM: weight_drop should be a number in range [0, 1]");
    xg::nn::PeepholeLSTMCell cell(xg::nn::LSTMCellOptions(3, 4));
    CHECK_THROWS_WITH(cell(xg::zeros({2, 3}), {xg::zeros({2, 4}), {}}), "PeepholeLSTMCell: pass both h and c, or neither");
    CHECK_THROWS_WITH(cell(xg::zeros({2, 3}), {xg::zeros({2, 4}), xg::zeros({2, 5})}), "PeepholeLSTMCell: expected cell state of shape (2, 4)");
}

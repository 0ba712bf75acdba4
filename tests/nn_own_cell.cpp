// docs/nn.md's "Write your own cell", compiled and run: the page's policy (a minimal gated
// unit, extracted by tests/extract_block.py) through the fused driver, against the same cell
// composed from primitive ops and run by unroll, outputs and every gradient in double; a
// double-precision gradient check of the fused layer; the driver's zoneout (with this cell and
// with LSTMP) against unroll's; the driver's checks of what a direct caller passes.
#define BOOST_TEST_MODULE nn_own_cell
#include "common.hpp"

#include <functional>

#include "nn/cell_policies/gru.hpp"
#include "nn/cell_policies/lstm.hpp"
#include "own_cell_policy.hpp"

using namespace test;
using V = std::vector<TensorD>;
using Weights = xg::nn::detail::DirectionWeights<double>;

namespace {

// The same cell from primitive ops: one step (x_t (B, I), h (B, H)) -> h'.
TensorD mgu_cell(const TensorD& x, const TensorD& h, const Weights& w) {
    const long H = long(h.size(1));
    const TensorD a = xg::linear(x, w.w_ih, w.b_ih), hw = xg::linear(h, w.w_hh, w.b_hh);
    const TensorD f = xg::sigmoid(xg::narrow(a, 1, 0, H) + xg::narrow(hw, 1, 0, H));
    const TensorD n = xg::tanh(xg::narrow(a, 1, H, H) + f * xg::narrow(hw, 1, H, H));
    return h + f * (n - h);
}

Weights random_weights(std::size_t I, std::size_t H) {
    return {param({2 * H, I}), param({2 * H, H}), param({2 * H}), param({2 * H}), TensorD(), {}};
}

// The fused layer and the composed one, bidirectional: {output, h_n} of each.
V fused(const TensorD& x, const std::vector<Weights>& dirs, const TensorD& h0, const xg::nn::Lengths& lengths) {
    auto r = xg::nn::detail::run_layer<double, MGU>(x, dirs, h0, TensorD(), lengths, false);
    return {r.y, r.h_n};
}

V composed(const TensorD& x, const std::vector<Weights>& dirs, const TensorD& h0, const xg::nn::Lengths& lengths) {
    std::vector<xg::nn::CellStep<double>> cells;
    for (const Weights& w : dirs)
        cells.push_back([w](const TensorD& x_t, const xg::nn::RecurrentStateT<double>& s) -> xg::nn::RecurrentStateT<double> {
            return {mgu_cell(x_t, s.h, w), {}};
        });
    auto r = xg::nn::unroll<double>({cells}, x, {h0, {}}, lengths);
    return {r.output, r.state.h};
}

// Outputs and the gradients of leaves of one random projection of them, from a run.
std::vector<xt::xarray<double>> values_and_gradients(const std::function<V()>& run, std::vector<TensorD> leaves) {
    for (auto& t : leaves) t.zero_grad();
    const V outs = run();
    xg::manual_seed(77);
    TensorD loss = xg::zeros<double>({});
    for (const auto& o : outs) loss = loss + xg::sum(o * xg::randn<double>(o.shape()));
    loss.backward();
    std::vector<xt::xarray<double>> res;
    for (const auto& o : outs) res.push_back(o.value());
    for (auto& t : leaves) res.push_back(t.grad());
    return res;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_pages_cell_runs_fused_and_equals_its_composed_cell) {
    for (std::size_t threads : {1, 2}) {
        BOOST_TEST_CONTEXT(threads << " thread(s)") {
            xg::set_num_threads(threads);
            xg::manual_seed(1);
            const std::size_t S = 5, B = 17, I = 3, H = 4;  // 17 rows: batch chunks on 2 threads
            const std::vector<Weights> dirs = {random_weights(I, H), random_weights(I, H)};
            xg::nn::Lengths lengths(B);
            for (std::size_t b = 0; b < B; ++b) lengths[b] = 1 + (b * 7) % S;
            TensorD x = param({S, B, I}), h0 = param({2, B, H});
            const V a = fused(x, dirs, h0, lengths), b = composed(x, dirs, h0, lengths);
            for (std::size_t k = 0; k < a.size(); ++k) CHECK_CLOSE_ARRAYS(a[k].value(), b[k].value(), 1e-12, 1e-14);
            // every gradient, of one random projection of both outputs
            std::vector<TensorD> leaves = {x, h0};
            for (const Weights& w : dirs) leaves.insert(leaves.end(), {w.w_ih, w.w_hh, w.b_ih, w.b_hh});
            auto grads_of = [&](const V& outs) {
                for (auto& t : leaves) t.zero_grad();
                xg::manual_seed(7);
                TensorD loss = xg::sum(outs[0] * xg::randn<double>(outs[0].shape())) + xg::sum(outs[1] * xg::randn<double>(outs[1].shape()));
                loss.backward();
                std::vector<xt::xarray<double>> g;
                for (auto& t : leaves) g.push_back(t.grad());
                return g;
            };
            const auto ga = grads_of(a), gb = grads_of(b);
            for (std::size_t k = 0; k < ga.size(); ++k)
                BOOST_TEST_CONTEXT("leaf " << k) { CHECK_CLOSE_ARRAYS(ga[k], gb[k], 1e-11, 1e-13); }
        }
    }
    xg::set_num_threads(0);
}

// Weights tied across the directions, and one tensor as both biases, sum every use's
// gradient, as composed cells do; a second backward adds as much again onto the kept
// gradients. (The driver adds a direction's first unit's weight gradients straight into the
// parameters', and keeps buffers instead when a tensor serves twice.)
BOOST_AUTO_TEST_CASE(weights_tied_across_directions_sum_their_gradients) {
    for (std::size_t threads : {1, 2}) {
        BOOST_TEST_CONTEXT(threads << " thread(s)") {
            xg::set_num_threads(threads);
            xg::manual_seed(3);
            const std::size_t S = 4, B = 17, I = 3, H = 4;
            Weights w = random_weights(I, H);
            w.b_hh = w.b_ih;
            const std::vector<Weights> dirs = {w, w};
            xg::nn::Lengths lengths(B);
            for (std::size_t b = 0; b < B; ++b) lengths[b] = 1 + (b * 5) % S;
            TensorD x = param({S, B, I}), h0 = param({2, B, H});
            const std::vector<TensorD> leaves = {x, h0, w.w_ih, w.w_hh, w.b_ih};
            const auto fused_run = [&] { return fused(x, dirs, h0, lengths); };
            const auto composed_run = [&] { return composed(x, dirs, h0, lengths); };
            const auto a = values_and_gradients(fused_run, leaves), b = values_and_gradients(composed_run, leaves);
            for (std::size_t k = 0; k < a.size(); ++k)
                BOOST_TEST_CONTEXT("value or gradient " << k) { CHECK_CLOSE_ARRAYS(a[k], b[k], 1e-11, 1e-13); }
            // a second backward onto kept gradients adds the same again
            for (auto& t : leaves) t.zero_grad();
            for (int round = 0; round < 2; ++round) {
                const V outs = fused_run();
                xg::manual_seed(77);
                TensorD loss = xg::zeros<double>({});
                for (const auto& o : outs) loss = loss + xg::sum(o * xg::randn<double>(o.shape()));
                loss.backward();
            }
            for (std::size_t k = 0; k < leaves.size(); ++k)
                BOOST_TEST_CONTEXT("twice, leaf " << k) { CHECK_CLOSE_ARRAYS(leaves[k].grad(), 2.0 * a[2 + k], 1e-11, 1e-13); }
        }
    }
    xg::set_num_threads(0);
}

// Zoneout inside the driver, for a cell that reads its own outputs and writes a direct
// dh_prev (the page's MGU) and for LSTMP (zoneout of the projected h and of c): equal to
// unroll's zoneout for one seed, outputs and every gradient, in training (masks) and in
// evaluation (the expectation); with uneven lengths, and without (a whole batch, which both
// directions run in the padded order).
BOOST_AUTO_TEST_CASE(zoneout_in_the_driver_equals_unrolls) {
    const std::size_t S = 5, B = 3, I = 3, H = 4, P = 2;
    using State = xg::nn::RecurrentStateT<double>;
    for (const xg::nn::Lengths& lengths : {xg::nn::Lengths{5, 2, 4}, xg::nn::Lengths{}})
    for (bool training : {true, false}) {
        BOOST_TEST_CONTEXT((training ? "training" : "evaluation") << ", " << lengths.size() << " lengths") {
            xg::manual_seed(3);
            const std::vector<Weights> mgu = {random_weights(I, H), random_weights(I, H)};
            const TensorD x = param({S, B, I}), h0 = param({2, B, H});
            std::vector<TensorD> leaves = {x, h0};
            for (const Weights& w : mgu) leaves.insert(leaves.end(), {w.w_ih, w.w_hh, w.b_ih, w.b_hh});
            const auto fused = values_and_gradients([&] {
                xg::manual_seed(9);
                auto r = xg::nn::detail::run_layer<double, MGU>(x, mgu, h0, {}, lengths, false, {0.3, 0.0, training});
                return V{r.y, r.h_n};
            }, leaves);
            const auto composed = values_and_gradients([&] {
                std::vector<xg::nn::CellStep<double>> cells;
                for (const Weights& w : mgu)
                    cells.push_back([w](const TensorD& x_t, const State& st) -> State { return {mgu_cell(x_t, st.h, w), {}}; });
                xg::manual_seed(9);
                auto r = xg::nn::unroll<double>({cells}, x, {h0, {}}, lengths, xg::nn::UnrollOptions().zoneout_h(0.3).training(training));
                return V{r.output, r.state.h};
            }, leaves);
            for (std::size_t k = 0; k < fused.size(); ++k) BOOST_TEST_CONTEXT("MGU " << k) { CHECK_CLOSE_ARRAYS(fused[k], composed[k], 1e-11, 1e-13); }

            const Weights lstmp{param({4 * H, I}), param({4 * H, P}), param({4 * H}), param({4 * H}), param({P, H}), {}};
            const TensorD hp0 = param({1, B, P}), cp0 = param({1, B, H});
            std::vector<TensorD> leaves_p = {x, hp0, cp0, lstmp.w_ih, lstmp.w_hh, lstmp.b_ih, lstmp.b_hh, lstmp.w_hr};
            const auto fused_p = values_and_gradients([&] {
                xg::manual_seed(10);
                auto r = xg::nn::detail::run_layer<double, xg::nn::cell_policies::LSTM>(x, {lstmp}, hp0, cp0, lengths, false,
                                                                                         {0.3, 0.2, training});
                return V{r.y, r.h_n, r.c_n};
            }, leaves_p);
            const auto composed_p = values_and_gradients([&] {
                const xg::nn::CellStep<double> cell = [&](const TensorD& x_t, const State& st) -> State {
                    auto [h2, c2] = xg::nn::lstm_cell(x_t, st.h, st.c, lstmp.w_ih, lstmp.w_hh, lstmp.b_ih, lstmp.b_hh, lstmp.w_hr);
                    return {h2, c2};
                };
                xg::manual_seed(10);
                const auto o = xg::nn::UnrollOptions().zoneout_h(0.3).zoneout_c(0.2).training(training);
                auto r = xg::nn::unroll<double>({{cell}}, x, {hp0, cp0}, lengths, o);
                return V{r.output, r.state.h, r.state.c};
            }, leaves_p);
            for (std::size_t k = 0; k < fused_p.size(); ++k)
                BOOST_TEST_CONTEXT("LSTMP " << k) { CHECK_CLOSE_ARRAYS(fused_p[k], composed_p[k], 1e-11, 1e-13); }
        }
    }
}

// One direction whose batch is too small to chunk runs its steps on a team of threads: each
// member its panels of every step's products and its rows of the gate math, between barriers.
// Outputs and every gradient must be the very bits of one thread, for a cell that reads its
// outputs and writes a direct dh_prev with zoneout (MGU), for LSTMP (projection, zoneout of h
// and c) and for GRU (b_hh in hw), with uneven lengths and enough columns for several panels.
BOOST_AUTO_TEST_CASE(a_team_of_threads_computes_the_bits_of_one) {
    const std::size_t S = 6, B = 5, I = 3, H = 40, P = 24;
    const xg::nn::Lengths lengths = {6, 2, 5, 6, 1};
    xg::manual_seed(4);
    const std::vector<Weights> mgu = {random_weights(I, H)};
    const Weights lstmp{param({4 * H, I}), param({4 * H, P}), param({4 * H}), param({4 * H}), param({P, H}), {}};
    const Weights gru{param({3 * H, I}), param({3 * H, H}), param({3 * H}), param({3 * H}), TensorD(), {}};
    const TensorD x = param({S, B, I}), h0 = param({1, B, H}), hp0 = param({1, B, P}), c0 = param({1, B, H});
    const std::vector<std::pair<std::string, std::function<V()>>> runs = {
        {"MGU",
         [&] {
             xg::manual_seed(9);
             auto r = xg::nn::detail::run_layer<double, MGU>(x, mgu, h0, {}, lengths, false, {0.3, 0.0, true});
             return V{r.y, r.h_n};
         }},
        {"LSTMP",
         [&] {
             xg::manual_seed(10);
             auto r = xg::nn::detail::run_layer<double, xg::nn::cell_policies::LSTM>(x, {lstmp}, hp0, c0, lengths, false,
                                                                                      {0.2, 0.1, true});
             return V{r.y, r.h_n, r.c_n};
         }},
        {"GRU", [&] {
             auto r = xg::nn::detail::run_layer<double, xg::nn::cell_policies::GRU>(x, {gru}, h0, {}, lengths, false);
             return V{r.y, r.h_n};
         }}};
    std::vector<TensorD> leaves = {x, h0, hp0, c0};
    for (const Weights* w : {&mgu[0], &lstmp, &gru})
        for (const TensorD& t : {w->w_ih, w->w_hh, w->b_ih, w->b_hh, w->w_hr})
            if (t.defined()) leaves.push_back(t);
    const int threads = xg::get_num_threads();
    for (const auto& [name, run] : runs) {
        BOOST_TEST_CONTEXT(name) {
            xg::set_num_threads(1);
            const auto one = values_and_gradients(run, leaves);
            for (int team : {2, 3}) {
                xg::set_num_threads(team);
                const auto many = values_and_gradients(run, leaves);
                BOOST_TEST_REQUIRE(many.size() == one.size());
                for (std::size_t k = 0; k < one.size(); ++k)
                    BOOST_TEST((many[k] == one[k]), team << " threads, value or gradient " << k << " differs from one thread's");
            }
        }
    }
    xg::set_num_threads(threads);
}

BOOST_AUTO_TEST_CASE(the_pages_cell_has_exact_gradients) {
    xg::manual_seed(2);
    const std::vector<Weights> dirs = {random_weights(3, 2)};
    check_gradient(
        [&](const V& in) {
            const std::vector<Weights> d = {{in[2], in[3], in[4], in[5], TensorD(), {}}};
            const V out = fused(in[0], d, in[1], {3, 1});
            return xg::cat(V{xg::flatten(out[0]), xg::flatten(out[1])}, 0);
        },
        {param({3, 2, 3}), param({1, 2, 2}), dirs[0].w_ih, dirs[0].w_hh, dirs[0].b_ih, dirs[0].b_hh});
}

BOOST_AUTO_TEST_CASE(the_driver_says_what_is_wrong) {
    const std::vector<Weights> dirs = {random_weights(3, 2)};
    CHECK_THROWS_WITH((xg::nn::detail::run_layer<double, MGU>(param({2, 3}), dirs, {}, {}, {}, false)), "MGU layer: input must be 3-D, got (2, 3)");
    CHECK_THROWS_WITH((xg::nn::detail::run_layer<double, MGU>(param({2, 1, 3}), dirs, {}, {}, {3}, false)), "MGU layer: length 3 outside [1, 2]");
    Weights own = dirs[0];
    own.own.push_back(param({2}));
    CHECK_THROWS_WITH((xg::nn::detail::run_layer<double, MGU>(param({2, 1, 3}), {own}, {}, {}, {}, false)), "MGU: expected 0 parameters of its own, got 1");
    CHECK_THROWS_WITH((xg::nn::detail::run_layer<double, MGU>(param({2, 1, 5}), dirs, {}, {}, {}, false)),
                      "MGU layer: weight_ih of shape (4, 3), expected (4, 5)");
    Weights bad_hh = dirs[0];
    bad_hh.w_hh = param({4, 3});
    CHECK_THROWS_WITH((xg::nn::detail::run_layer<double, MGU>(param({2, 1, 3}), {bad_hh}, {}, {}, {}, false)),
                      "MGU layer: weight_hh of shape (4, 3), expected (4, 2)");
    CHECK_THROWS_WITH((xg::nn::detail::run_layer<double, MGU>(param({2, 1, 3}), dirs, param({1, 2, 2}), {}, {}, false)),
                      "MGU layer: h0 of shape (1, 2, 2), expected (1, 1, 2)");
    CHECK_THROWS_WITH((xg::nn::detail::run_layer<double, MGU>(param({2, 1, 3}), dirs, {}, param({1, 1, 2}), {}, false)),
                      "MGU layer: has no cell state c0");
}

// The tape itself: accumulation, retain_graph, NoGradGuard, detach, what gets recorded,
// and the errors for misuse.
#define BOOST_TEST_MODULE autograd_tape
#include "common.hpp"

#include <sstream>

#include <xtensor/xadapt.hpp>
#include <xtensor/xview.hpp>

using namespace test;
using xg::Tensor;

BOOST_AUTO_TEST_CASE(gradients_accumulate_until_zero_grad) {
    Tensor w = xg::from_array(xt::xarray<float>{1.f, 2.f}, true);
    xg::sum(w * w).backward();  // d/dw sum w^2 = 2w
    BOOST_TEST(w.grad()(1) == 4.f);
    xg::sum(w * w).backward();
    BOOST_TEST(w.grad()(1) == 8.f);
    w.zero_grad();
    BOOST_TEST(w.grad()(1) == 0.f);
    BOOST_TEST(xg::tape_size() == 0u);  // backward frees the tape
}

// A big gradient is zeroed in blocks over the threads: every value, ragged end included.
BOOST_AUTO_TEST_CASE(zero_grad_zeroes_a_big_gradient_on_any_thread_count) {
    for (int threads : {1, 2, 3}) BOOST_TEST_CONTEXT(threads << " threads") {
            xg::set_num_threads(threads);
            Tensor w = xg::from_array(xt::xarray<float>(xt::ones<float>({std::size_t(5 * 65536 + 7)})), true);
            xg::sum(w * 3.f).backward();
            BOOST_TEST(w.grad()(5 * 65536 + 6) == 3.f);
            w.zero_grad();
            BOOST_TEST(w.has_grad());
            BOOST_TEST(xt::amax(xt::abs(w.grad()))() == 0.f);
            xg::sum(w * 2.f).backward();  // accumulates into the zeros
            BOOST_TEST(xt::amin(w.grad())() == 2.f);
            BOOST_TEST(xt::amax(w.grad())() == 2.f);
        }
    xg::set_num_threads(0);
}

BOOST_AUTO_TEST_CASE(retain_graph_allows_a_second_backward) {
    Tensor w = xg::from_array(xt::xarray<float>{3.f}, true);
    Tensor loss = xg::sum(xg::exp(w) * 2.f);
    loss.backward(/*retain_graph=*/true);
    const float once = w.grad()(0);
    loss.backward();
    BOOST_TEST(w.grad()(0) == 2 * once);
    CHECK_THROWS_WITH(loss.backward(), "backward: trying to backward through the graph a second time");
}

BOOST_AUTO_TEST_CASE(backward_needs_a_scalar_or_an_output_gradient) {
    Tensor w = xg::ones({2, 3}, true);
    Tensor y = w * 3.f;
    CHECK_THROWS_WITH(y.backward(), "backward: grad can be implicitly created only for a one-element output, got shape (2, 3)");
    CHECK_THROWS_WITH(y.backward(xt::xarray<float>{1.f}), "backward: gradient of shape (1) for an output of shape (2, 3)");
    y.backward(xt::ones<float>({2, 3}) * 2.f);
    BOOST_TEST(w.grad()(1, 2) == 6.f);
}

BOOST_AUTO_TEST_CASE(backward_without_history_is_an_error) {
    Tensor x = xg::ones({2});
    CHECK_THROWS_WITH(xg::sum(x).backward(), "backward: the tensor does not require grad");
}

BOOST_AUTO_TEST_CASE(constants_record_nothing) {
    Tensor a = xg::randn({3, 3}), b = xg::randn({3, 3});
    Tensor c = xg::tanh(xg::matmul(a, b) + a);
    BOOST_TEST(!c.requires_grad());
    BOOST_TEST(xg::tape_size() == 0u);
}

BOOST_AUTO_TEST_CASE(no_grad_guard_turns_recording_off) {
    Tensor w = xg::ones({2}, true);
    {
        xg::NoGradGuard guard;
        BOOST_TEST(!xg::is_grad_enabled());
        Tensor y = w * 2.f;
        BOOST_TEST(!y.requires_grad());
        BOOST_TEST(xg::tape_size() == 0u);
    }
    BOOST_TEST(xg::is_grad_enabled());
    BOOST_TEST((w * 2.f).requires_grad());
    xg::clear_tape();
}

BOOST_AUTO_TEST_CASE(detach_cuts_history) {
    Tensor w = xg::from_array(xt::xarray<float>{2.f}, true);
    Tensor h = w * w;
    Tensor d = h.detach();
    BOOST_TEST(!d.requires_grad());
    BOOST_TEST(d.value()(0) == 4.f);
    Tensor loss = xg::sum(d * w);  // only the direct use of w contributes
    loss.backward();
    BOOST_TEST(w.grad()(0) == 4.f);
}

BOOST_AUTO_TEST_CASE(using_a_freed_graph_is_an_error) {
    // the truncated-BPTT mistake: carrying a state across batches without detach()
    Tensor w = xg::from_array(xt::xarray<float>{0.5f}, true);
    Tensor state = xg::tanh(w);
    xg::sum(state).backward();
    Tensor next = xg::tanh(state * w);
    CHECK_THROWS_WITH(xg::sum(next).backward(), "already freed");
    xg::clear_tape();
    w.zero_grad();
    Tensor ok = xg::tanh(state.detach() * w);
    xg::sum(ok).backward();
    BOOST_TEST(w.grad()(0) != 0.f);
}

BOOST_AUTO_TEST_CASE(retain_grad_keeps_an_intermediate_gradient) {
    Tensor w = xg::from_array(xt::xarray<float>{1.f, -1.f}, true);
    Tensor h = w * 3.f;
    h.retain_grad();
    xg::sum(h * h).backward();
    BOOST_TEST(h.grad()(0) == 6.f);  // d/dh sum h^2 = 2h
    BOOST_TEST(w.grad()(0) == 18.f);
    BOOST_TEST(!h.is_leaf());
    BOOST_TEST(w.is_leaf());
}

// PyTorch: x = 2, h = 3x (retained), loss = sum(h*h); backward twice with retain_graph
// gives x.grad = 2 * 36 = 72 and h.grad = 2 * 12 = 24. A retained gradient must not be
// pushed through again by a later backward.
BOOST_AUTO_TEST_CASE(a_retained_gradient_flows_only_in_its_own_backward) {
    Tensor x = xg::from_array(xt::xarray<float>{2.f}, true);
    Tensor h = x * 3.f;
    h.retain_grad();
    Tensor loss = xg::sum(h * h);
    loss.backward(/*retain_graph=*/true);
    BOOST_TEST(x.grad()(0) == 36.f);
    BOOST_TEST(h.grad()(0) == 12.f);
    loss.backward();
    BOOST_TEST(x.grad()(0) == 72.f);
    BOOST_TEST(h.grad()(0) == 24.f);

    // an unrelated graph's backward leaves x and h alone
    Tensor w = xg::from_array(xt::xarray<float>{1.f}, true);
    Tensor g = x * 1.f;
    g.retain_grad();
    Tensor other = xg::sum(g * 5.f);
    other.backward(/*retain_graph=*/true);
    BOOST_TEST(x.grad()(0) == 77.f);
    xg::sum(w * 4.f).backward();
    BOOST_TEST(x.grad()(0) == 77.f);
    BOOST_TEST(g.grad()(0) == 5.f);
    BOOST_TEST(w.grad()(0) == 4.f);
    xg::clear_tape();
}

BOOST_AUTO_TEST_CASE(reading_grad_changes_nothing) {
    Tensor w = xg::from_array(xt::xarray<float>{1.f, 2.f}, true);
    BOOST_TEST(!w.has_grad());
    BOOST_TEST(xt::all(xt::equal(w.grad(), 0.f)));  // reads as zeros
    BOOST_TEST(!w.has_grad());                      // and is still without one
    xg::sum(w * w).backward();
    BOOST_TEST(w.has_grad());
    BOOST_TEST(w.grad()(1) == 4.f);
    w.clear_grad();
    BOOST_TEST(!w.has_grad());
    w.set_grad(xt::xarray<float>{5.f, 6.f});
    BOOST_TEST(w.grad()(0) == 5.f);
    CHECK_THROWS_WITH(w.set_grad(xt::xarray<float>{1.f}), "set_grad: gradient of shape (1) for a tensor of shape (2)");
    w.clear_grad();
    w.mutable_grad()(1) = 3.f;
    BOOST_TEST(w.has_grad());
    xg::sum(w * 1.f).backward();  // accumulates into what was written
    BOOST_TEST(w.grad()(1) == 4.f);
}

BOOST_AUTO_TEST_CASE(tape_is_pruned_when_nobody_backpropagates) {
    Tensor w = xg::randn({4, 4}, true);
    for (int i = 0; i < 20000; ++i) {
        Tensor unused = xg::tanh(w) * 2.f;  // evaluation without NoGradGuard
    }
    BOOST_TEST(xg::tape_size() < 10000u);
    xg::clear_tape();
}

BOOST_AUTO_TEST_CASE(the_tape_keeps_only_the_values_backward_reads) {
    Tensor x = xg::randn({3, 4}, true);
    Tensor y = xg::neg(x);
    Tensor r = xg::reshape(y, {4, 3});   // reshape's backward adds to y's gradient only
    xg::GradSlot<float> ys(y), rs(r);
    Tensor loss = xg::sum(xg::tanh(r));  // tanh's backward reads its output, not r
    y = Tensor();
    r = Tensor();
    BOOST_TEST(!ys.has_value());  // released with the last TensorT, while the tape holds the slots
    BOOST_TEST(!rs.has_value());
    BOOST_TEST((ys.shape() == xg::Shape{3, 4}));
    loss.backward();
    Tensor ref = xg::tanh(xg::neg(x.detach()));
    CHECK_CLOSE_ARRAYS(x.grad(), xt::xarray<float>(-(1.f - xt::square(ref.value()))), 0, 1e-6);

    Tensor a = xg::neg(x), b = xg::randn({3, 4});
    xg::GradSlot<float> as(a);
    Tensor prod = a * b;  // mul reads both values
    a = Tensor();
    BOOST_TEST(as.has_value());
    xg::GradSlot<float> t(xg::tanh(x));  // tanh's entry keeps its output's value
    BOOST_TEST(t.has_value());
    xg::clear_tape();
}

BOOST_AUTO_TEST_CASE(an_op_whose_backward_takes_only_the_gradient_lets_its_output_go) {
    auto cube = [](const xg::TensorD& x) {
        return xg::make_op<double>(x.value() * x.value() * x.value(), {x},
                                   [x](const xt::xarray<double>& g) { x.add_grad(3.0 * g * x.value() * x.value()); });
    };
    xg::TensorD x = xg::uniform<double>({5}, -1.0, 1.0, true);
    xg::TensorD y = cube(x);
    xg::GradSlot<double> ys(y);
    xg::TensorD loss = xg::sum(y * 2.0);
    y = xg::TensorD();
    BOOST_TEST(!ys.has_value());
    loss.backward();
    CHECK_CLOSE_ARRAYS(x.grad(), xt::xarray<double>(6.0 * xt::square(x.value())), 0, 1e-12);
    check_gradient([&](const std::vector<TensorD>& in) { return cube(in[0]); }, {param({4})});
}

BOOST_AUTO_TEST_CASE(gradcheck_catches_a_wrong_backward) {
    // A deliberately wrong op: y = x^2 with backward 3x instead of 2x.
    auto wrong_square = [](const xg::TensorD& x) {
        return xg::make_op<double>(x.value() * x.value(), {x}, [x](const xt::xarray<double>& g, const xt::xarray<double>&) {
            x.add_grad(g * 3.0 * x.value());
        });
    };
    auto r = xg::gradcheck([&](const std::vector<xg::TensorD>& in) { return wrong_square(in[0]); },
                           {xg::uniform<double>({3}, 0.5, 1.0, true)});
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.report.find("analytic") != std::string::npos);
    BOOST_TEST(r.max_abs_error > 0.1);
}

BOOST_AUTO_TEST_CASE(float_and_double_engines) {
    xg::TensorD d = xg::from_array(xt::xarray<double>{0.25}, true);
    xg::sum(xg::sigmoid(d)).backward();
    const double s = 1.0 / (1.0 + std::exp(-0.25));
    BOOST_TEST(d.grad()(0) == s * (1 - s), boost::test_tools::tolerance(1e-15));
    Tensor f = xg::from_array(xt::xarray<float>{0.25f}, true);
    xg::sum(xg::sigmoid(f)).backward();
    BOOST_TEST(f.grad()(0) == float(s * (1 - s)), boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(misuse_errors) {
    Tensor empty;
    BOOST_TEST(!empty.defined());
    CHECK_THROWS_WITH(empty.shape(), "shape: the tensor is empty");
    CHECK_THROWS_WITH(xg::ones({2}).item(), "item: the tensor has 2 elements (shape (2)), not one");
    Tensor w = xg::ones({2}, true);
    Tensor y = w * 2.f;
    CHECK_THROWS_WITH(y.requires_grad_(false), "requires_grad_: only a leaf tensor's flag can be changed");
    CHECK_THROWS_WITH(w.size(3), "size: dimension 3 out of range for a tensor of shape (2)");
    xg::clear_tape();
}

BOOST_AUTO_TEST_CASE(handles_share_their_value) {
    Tensor a = xg::zeros({2});
    Tensor b = a;  // copies share the value
    b.value()(0) = 5.f;
    BOOST_TEST(a.value()(0) == 5.f);
    BOOST_TEST(a.is_same(b));
}

BOOST_AUTO_TEST_CASE(from_array_takes_any_xtensor_expression) {
    xt::xarray<float> m = {{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}};
    std::vector<float> raw = {1.f, 2.f, 3.f, 4.f};
    Tensor a = xg::from_array(xt::view(m, 1, xt::all()), true);           // a view
    Tensor b = xg::from_array(xt::adapt(raw, std::vector<std::size_t>{2, 2}));  // an adaptor, as xt::load_npy's
    Tensor c = xg::from_array(m * 2.f);                                       // a lazy expression
    BOOST_TEST(a.shape() == xg::Shape({3}));
    BOOST_TEST(a.requires_grad());
    BOOST_TEST(a.value()(2) == 6.f);
    BOOST_TEST(b.shape() == xg::Shape({2, 2}));
    BOOST_TEST(b.value()(1, 0) == 3.f);
    raw[2] = 9.f;  // b owns a copy
    BOOST_TEST(b.value()(1, 0) == 3.f);
    BOOST_TEST(c.value()(1, 2) == 12.f);
}

BOOST_AUTO_TEST_CASE(tensors_print_as_pytorch_does) {
    std::ostringstream os;
    os << xg::from_array(xt::xarray<float>{1.f, 2.5f}, true) << " | " << xg::from_array(xt::xarray<double>{3.0, 4.0}).reshape({2, 1}) << " | "
       << Tensor() << " | " << xg::ones(xg::Shape{}) << " | " << xg::arange<float>(0, 2000).reshape({2, 1000});
    BOOST_TEST(os.str() == "tensor({1, 2.5}, requires_grad=true) | tensor({{3}, {4}}) | tensor(undefined) | tensor(1) | "
                           "tensor({{0, 1, 2, ..., 997, 998, 999}, {1000, 1001, 1002, ..., 1997, 1998, 1999}})");
}

BOOST_AUTO_TEST_CASE(anomaly_mode_names_the_op_whose_gradient_went_bad) {
    BOOST_TEST(!xg::is_anomaly_enabled());  // off by default
    auto run = [] {
        Tensor x = xg::from_array(xt::xarray<float>{{0.f, 1.f, 2.f}, {3.f, 4.f, 5.f}}, true);
        xg::sum(xg::log(x) * 2.f).backward();  // d/dx log x = 1/x: inf at 0
        return x;
    };
    BOOST_TEST(std::isinf(run().grad()(0, 0)));  // off: the inf goes through silently
    {
        xg::DetectAnomalyGuard anomaly;
        BOOST_TEST(xg::is_anomaly_enabled());
        CHECK_THROWS_WITH(run(), "anomaly: log (output (2, 3)) returned inf in its gradient for input 0 of shape (2, 3)");
        xg::clear_tape();  // a failed backward leaves its entries, as any exception in backward does
        // the op is named even when it is not the first input that goes bad
        Tensor a = xg::from_array(xt::xarray<float>{1.f, 2.f}, true);
        Tensor b = xg::from_array(xt::xarray<float>{0.f, 1.f}, true);
        CHECK_THROWS_WITH(xg::sum(a / b).backward(), "returned inf in its gradient for input 0 of shape (2)");
        Tensor c = xg::from_array(xt::xarray<float>{1.f, 2.f}, false);
        Tensor d = xg::from_array(xt::xarray<float>{0.f, 1.f}, true);
        CHECK_THROWS_WITH(xg::sum(c / d).backward(), "returned inf in its gradient for input 1 of shape (2)");
        xg::clear_tape();
        // finite gradients pass
        Tensor w = xg::from_array(xt::xarray<float>{1.f, 2.f}, true);
        xg::sum(w * w).backward();
        BOOST_TEST(w.grad()(1) == 4.f);
    }
    BOOST_TEST(!xg::is_anomaly_enabled());
}

// Grad-ready hooks report each watched leaf once, as soon as no entry left can add to its
// gradient: w2 (used last) before w1, a weight used twice only after its earlier use, an
// unused one at the end; then done(true). The gradients they see are final.
BOOST_AUTO_TEST_CASE(grad_ready_hooks_fire_once_when_a_gradient_is_final) {
    xg::Tensor w1 = xg::ones({2}, true), w2 = xg::full({2}, 2.0f, true), tied = xg::full({2}, 3.0f, true);
    xg::Tensor unused = xg::ones({1}, true);
    xg::GradReadyHook<float> hook;
    hook.watched = {w1, w2, tied, unused};
    std::vector<std::pair<std::size_t, float>> seen;  // (which, its gradient's first element then)
    int done = 0;
    const xg::Tensor* all[] = {&w1, &w2, &tied, &unused};
    hook.ready = [&](std::size_t i) { seen.emplace_back(i, all[i]->has_grad() ? all[i]->grad()(0) : -1.0f); };
    hook.done = [&](bool ok) { done += ok ? 1 : 100; };
    {
        xg::GradReadyHookGuard<float> on(hook);
        xg::Tensor a = w1 * tied;       // entry 0: w1, tied
        xg::Tensor b = (a * w2) * tied; // entries 1 (w2), 2 (tied)
        xg::sum(b).backward();          // d/dtied = 2 * w1 * w2 * tied = 12
    }
    BOOST_REQUIRE(seen.size() == 4u);
    BOOST_TEST(seen[0].first == 1u);  // w2, after entry 1
    BOOST_TEST(seen[0].second == 9.0f);  // a * tied
    BOOST_TEST(seen[1].first == 0u);  // w1 and tied after entry 0, in watched order
    BOOST_TEST(seen[1].second == 18.0f);
    BOOST_TEST(seen[2].first == 2u);
    BOOST_TEST(seen[2].second == 12.0f);
    BOOST_TEST(seen[3].first == 3u);  // no entry uses it
    BOOST_TEST(seen[3].second == -1.0f);
    BOOST_TEST(done == 1);
    // the guard is gone: a later backward reports nothing
    seen.clear();
    xg::sum(w1 * w2).backward();
    BOOST_TEST(seen.empty());
}

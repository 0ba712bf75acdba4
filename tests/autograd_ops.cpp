// Every differentiable op: a double-precision gradient check (central differences) on
// shapes with broadcasting and size-1 dims, forward values against hand-computed or
// PyTorch-computed numbers, and the error messages for bad input.
#define BOOST_TEST_MODULE autograd_ops
#include "common.hpp"

#include <nlohmann/json.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xview.hpp>

using namespace test;
using xg::Tensor;
using V = std::vector<TensorD>;

namespace {

// Shape pairs that exercise broadcasting: equal, trailing, size-1 on both sides, rank
// mismatch and 0-d.
const std::vector<std::pair<Shape, Shape>> broadcast_pairs = {
    {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{3, 1}, {1, 4}}, {{2, 3, 4}, {3, 1}}, {{1}, {2, 3}}, {{}, {2, 3}}, {{2, 1, 3}, {2, 4, 1}},
};

const std::vector<Shape> unary_shapes = {{5}, {3, 4}, {2, 1, 3}, {}};

struct Seeded {
    Seeded() { xg::manual_seed(42); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(ops, Seeded)

BOOST_AUTO_TEST_CASE(add_gradient) {
    for (auto& [sa, sb] : broadcast_pairs) check_gradient([](const V& x) { return x[0] + x[1]; }, {param(sa), param(sb)});
    check_gradient([](const V& x) { return x[0] + 2.5; }, {param({3})});
    check_gradient([](const V& x) { return 1.5 + x[0]; }, {param({3})});
}

BOOST_AUTO_TEST_CASE(sub_gradient) {
    for (auto& [sa, sb] : broadcast_pairs) check_gradient([](const V& x) { return x[0] - x[1]; }, {param(sa), param(sb)});
    check_gradient([](const V& x) { return 1.0 - x[0]; }, {param({2, 2})});
    check_gradient([](const V& x) { return x[0] - 1.0; }, {param({2, 2})});
}

BOOST_AUTO_TEST_CASE(mul_gradient) {
    for (auto& [sa, sb] : broadcast_pairs) check_gradient([](const V& x) { return x[0] * x[1]; }, {param(sa), param(sb)});
    check_gradient([](const V& x) { return x[0] * 3.0; }, {param({4})});
    check_gradient([](const V& x) { return x[0] * x[0]; }, {param({4})});  // the same tensor twice accumulates
}

BOOST_AUTO_TEST_CASE(div_gradient) {
    for (auto& [sa, sb] : broadcast_pairs)
        check_gradient([](const V& x) { return x[0] / x[1]; }, {param(sa), away_from_zero(sb, 0.5, 2.0)});
    check_gradient([](const V& x) { return 2.0 / x[0]; }, {away_from_zero({3}, 0.5, 2.0)});
    check_gradient([](const V& x) { return x[0] / 4.0; }, {param({3})});
}

BOOST_AUTO_TEST_CASE(neg_gradient) {
    for (auto& s : unary_shapes) check_gradient([](const V& x) { return -x[0]; }, {param(s)});
}

BOOST_AUTO_TEST_CASE(pow_gradient) {
    check_gradient([](const V& x) { return xg::pow(x[0], 3.0); }, {param({3, 2})});
    check_gradient([](const V& x) { return xg::pow(x[0], 0.5); }, {param({4}, 0.5, 2.0)});
    check_gradient([](const V& x) { return xg::pow(x[0], x[1]); }, {param({2, 3}, 0.5, 2.0), param({3})});
}

BOOST_AUTO_TEST_CASE(exp_gradient) {
    for (auto& s : unary_shapes) check_gradient([](const V& x) { return xg::exp(x[0]); }, {param(s)});
}

BOOST_AUTO_TEST_CASE(log_gradient) {
    for (auto& s : unary_shapes) check_gradient([](const V& x) { return xg::log(x[0]); }, {param(s, 0.5, 3.0)});
}

BOOST_AUTO_TEST_CASE(sqrt_gradient) {
    for (auto& s : unary_shapes) check_gradient([](const V& x) { return xg::sqrt(x[0]); }, {param(s, 0.5, 3.0)});
}

BOOST_AUTO_TEST_CASE(abs_gradient) {
    for (auto& s : unary_shapes) check_gradient([](const V& x) { return xg::abs(x[0]); }, {away_from_zero(s)});
    // at exactly 0 the gradient is 0, as PyTorch's
    TensorD z = xg::zeros<double>({2}, true);
    xg::sum(xg::abs(z)).backward();
    BOOST_TEST(z.grad()(0) == 0.0);
}

BOOST_AUTO_TEST_CASE(sigmoid_gradient) {
    for (auto& s : unary_shapes) check_gradient([](const V& x) { return xg::sigmoid(x[0]); }, {param(s, -3, 3)});
    Tensor big = xg::from_array(xt::xarray<float>{-100.f, 0.f, 100.f});
    auto y = xg::sigmoid(big).value();
    BOOST_TEST(y(0) == 0.f);
    BOOST_TEST(y(1) == 0.5f);
    BOOST_TEST(y(2) == 1.f);
}

BOOST_AUTO_TEST_CASE(tanh_gradient) {
    for (auto& s : unary_shapes) check_gradient([](const V& x) { return xg::tanh(x[0]); }, {param(s, -3, 3)});
}

BOOST_AUTO_TEST_CASE(relu_gradient) {
    for (auto& s : unary_shapes) check_gradient([](const V& x) { return xg::relu(x[0]); }, {away_from_zero(s)});
    TensorD z = xg::zeros<double>({3}, true);
    xg::sum(xg::relu(z)).backward();
    BOOST_TEST(z.grad()(0) == 0.0);  // PyTorch: relu'(0) = 0
}

BOOST_AUTO_TEST_CASE(clamp_gradient) {
    // keep values away from the bounds -0.5 and 0.5
    TensorD x = away_from_zero({4, 3}, 0.1, 1.0);
    for (auto& v : x.value())
        if (std::abs(std::abs(v) - 0.5) < 0.05) v = 0.3;
    check_gradient([](const V& x) { return xg::clamp(x[0], -0.5, 0.5); }, {x});
    check_gradient([](const V& x) { return xg::clamp(x[0], 0.0); }, {away_from_zero({5})});
    Tensor t = xg::from_array(xt::xarray<float>{-2.f, 0.f, 2.f});
    auto y = xg::clamp(t, -1.f, 1.f).value();
    BOOST_TEST(y(0) == -1.f);
    BOOST_TEST(y(2) == 1.f);
    CHECK_THROWS_WITH(xg::clamp(t, 1.f, -1.f), "clamp: min 1 is greater than max -1");
}

BOOST_AUTO_TEST_CASE(where_gradient) {
    xg::Mask cond = {{true, false, true}, {false, false, true}};
    check_gradient([cond](const V& x) { return xg::where(cond, x[0], x[1]); }, {param({2, 3}), param({3})});
    xg::Mask row = {true, false, true};
    check_gradient([row](const V& x) { return xg::where(row, x[0], x[1]); }, {param({2, 3}), param({2, 1})});
}

BOOST_AUTO_TEST_CASE(masked_fill_gradient) {
    xg::Mask mask = {false, true, false};
    check_gradient([mask](const V& x) { return xg::masked_fill(x[0], mask, -5.0); }, {param({2, 3})});
    Tensor t = xg::ones({2, 3});
    auto y = xg::masked_fill(t, mask, -1.f).value();
    BOOST_TEST(y(1, 1) == -1.f);
    BOOST_TEST(y(1, 0) == 1.f);
    CHECK_THROWS_WITH(xg::masked_fill(t, xg::Mask{true, false}, 0.f), "masked_fill: mask of shape (2)");
}

BOOST_AUTO_TEST_CASE(broadcast_masks_select_the_right_elements) {
    // every element against a plain loop, float and double, masks broadcast along rows and
    // columns (xtensor's SIMD where got this wrong for doubles on SSE2)
    auto check = [](auto zero, const Shape& shape, const xg::Mask& mask) {
        using T = decltype(zero);
        auto x = xg::from_array(xt::xarray<T>(xt::arange<T>(T(1), T(1 + shape[0] * shape[1])).reshape(shape)));
        const auto filled = xg::masked_fill(x, mask, T(-1)).value();
        const auto chosen = xg::where(mask, x, xg::full<T>(shape, T(7))).value();
        const xt::xarray<bool> m = xt::broadcast(mask, shape);
        for (std::size_t i = 0; i < shape[0]; ++i)
            for (std::size_t j = 0; j < shape[1]; ++j) {
                BOOST_TEST(filled(i, j) == (m(i, j) ? T(-1) : x.value()(i, j)));
                BOOST_TEST(chosen(i, j) == (m(i, j) ? x.value()(i, j) : T(7)));
            }
    };
    xg::Mask column = {true, false, false, true};
    column.reshape({4, 1});
    for (const auto& [shape, mask] : std::vector<std::pair<Shape, xg::Mask>>{
             {{2, 3}, xg::Mask{false, true, false}},
             {{4, 5}, xg::Mask{true, false, false, true, true}},
             {{4, 5}, column},
             {{3, 9}, xg::Mask{true, true, false, true, false, false, false, true, false}}}) {
        check(0.0, shape, mask);
        check(0.f, shape, mask);
    }
}

BOOST_AUTO_TEST_CASE(sum_gradient) {
    check_gradient([](const V& x) { return xg::sum(x[0]); }, {param({3, 4})});
    check_gradient([](const V& x) { return xg::sum(x[0], 1); }, {param({3, 4})});
    check_gradient([](const V& x) { return xg::sum(x[0], {0, 2}, true); }, {param({2, 3, 4})});
    check_gradient([](const V& x) { return xg::sum(x[0], -1, true); }, {param({2, 1, 3})});
    Tensor t = xg::from_array(xt::xarray<float>{{1, 2, 3}, {4, 5, 6}});
    BOOST_TEST(xg::sum(t).item() == 21.f);
    BOOST_TEST(xg::sum(t).dim() == 0u);
    auto s0 = xg::sum(t, 0);
    BOOST_TEST((s0.shape() == Shape{3}));
    BOOST_TEST(s0.value()(2) == 9.f);
    BOOST_TEST((xg::sum(t, 1, true).shape() == Shape{2, 1}));
}

BOOST_AUTO_TEST_CASE(mean_gradient) {
    check_gradient([](const V& x) { return xg::mean(x[0]); }, {param({3, 4})});
    check_gradient([](const V& x) { return xg::mean(x[0], {1, 2}); }, {param({2, 3, 4})});
    check_gradient([](const V& x) { return xg::mean(x[0], 0, true); }, {param({3, 2})});
    Tensor t = xg::from_array(xt::xarray<float>{{1, 2, 3}, {4, 5, 6}});
    BOOST_TEST(xg::mean(t).item() == 3.5f);
    BOOST_TEST(xg::mean(t, 1).value()(1) == 5.f);
}

BOOST_AUTO_TEST_CASE(max_gradient) {
    // distinct values so the argmax is stable under the finite-difference step
    check_gradient([](const V& x) { return xg::max(x[0]); }, {param({3, 4})});
    check_gradient([](const V& x) { return xg::max(x[0], 1); }, {param({3, 4})});
    check_gradient([](const V& x) { return xg::max(x[0], {0, 2}, true); }, {param({2, 3, 4})});
    // ties share the gradient evenly, as torch.amax
    TensorD t = xg::from_array(xt::xarray<double>{1.0, 3.0, 3.0}, true);
    xg::max(t).backward();
    BOOST_TEST(t.grad()(1) == 0.5);
    BOOST_TEST(t.grad()(2) == 0.5);
    auto idx = xg::argmax(xg::from_array(xt::xarray<float>{{1, 5, 2}, {7, 0, 7}}), 1);
    BOOST_TEST(idx(0) == 1);
    BOOST_TEST(idx(1) == 0);
}

BOOST_AUTO_TEST_CASE(matmul_gradient) {
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({3, 4}), param({4, 2})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({2, 3, 4}), param({2, 4, 5})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({2, 3, 4}), param({4, 5})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({3, 4}), param({2, 4, 5})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({1, 3, 4}), param({2, 4, 5})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({4}), param({4, 3})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({3, 4}), param({4})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({4}), param({4})});
    // batch dims beyond one broadcast as in torch: (2, 1, 3, 4) x (5, 4, 2) -> (2, 5, 3, 2)
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({2, 1, 3, 4}), param({5, 4, 2})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({2, 2, 3, 4}), param({4, 2})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({3}), param({2, 2, 3, 4})});
    check_gradient([](const V& x) { return xg::matmul(x[0], x[1]); }, {param({2, 3, 3, 4}), param({1, 1, 4, 2})});
    Tensor a = xg::from_array(xt::xarray<float>{{1, 2}, {3, 4}});
    Tensor b = xg::from_array(xt::xarray<float>{{5, 6}, {7, 8}});
    auto c = xg::matmul(a, b).value();
    BOOST_TEST(c(0, 0) == 19.f);
    BOOST_TEST(c(1, 1) == 50.f);
}

BOOST_AUTO_TEST_CASE(matmul_errors) {
    CHECK_THROWS_WITH(xg::matmul(xg::zeros({3, 4}), xg::zeros({5, 2})), "matmul: (3, 4) x (5, 2): inner dimensions differ");
    CHECK_THROWS_WITH(xg::matmul(xg::zeros({2, 3, 4}), xg::zeros({3, 4, 2})), "batch sizes differ (2 != 3)");
    CHECK_THROWS_WITH(xg::matmul(xg::zeros({2, 2, 3, 4}), xg::zeros({3, 4, 2})),
                      "matmul: (2, 2, 3, 4) x (3, 4, 2): batch dimensions cannot be broadcast (2 vs 3)");
    CHECK_THROWS_WITH(xg::matmul(xg::zeros({}), xg::zeros({2})), "matmul: () x (2): 0-d operands");
}

BOOST_AUTO_TEST_CASE(matmul_batch_dims_broadcast) {
    // every (i, j) block of (2, 1, 3, 4) x (5, 4, 2) is the 2-D product of a[i, 0] and b[j]
    xg::manual_seed(9);
    Tensor a = xg::randn({2, 1, 3, 4}), b = xg::randn({5, 4, 2});
    const auto c = xg::matmul(a, b).value();
    BOOST_TEST((Shape(c.shape().begin(), c.shape().end()) == Shape{2, 5, 3, 2}));
    for (long i = 0; i < 2; ++i)
        for (long j = 0; j < 5; ++j) {
            const auto block = xg::matmul(xg::select(xg::select(a, 0, i), 0, 0), xg::select(b, 0, j)).value();
            CHECK_CLOSE_ARRAYS(xt::xarray<float>(xt::view(c, i, j)), block, 1e-6, 1e-6);
        }
}

BOOST_AUTO_TEST_CASE(linear_gradient) {
    check_gradient([](const V& x) { return xg::linear(x[0], x[1], x[2]); }, {param({3, 4}), param({5, 4}), param({5})});
    check_gradient([](const V& x) { return xg::linear(x[0], x[1]); }, {param({2, 3, 4}), param({5, 4})});
    CHECK_THROWS_WITH(xg::linear(xg::zeros({3, 4}), xg::zeros({5, 3})), "linear: input of shape (3, 4) does not fit weight of shape (5, 3)");
    CHECK_THROWS_WITH(xg::linear(xg::zeros({3, 4}), xg::zeros({5, 4}), xg::zeros({4})), "linear: bias of shape (4)");
}

// linear and reshape write a first gradient (no zeroing) and add later ones, reshape's in
// blocks over the threads: a first backward, a second onto it, and one after clear_grad give
// g, 2 g and g again (bit for bit), the same bits on 1 and 2 threads; values past one block
// (65,536) included.
BOOST_AUTO_TEST_CASE(first_gradients_are_written_later_ones_added) {
    std::vector<std::vector<xt::xarray<double>>> by_threads;
    for (int threads : {1, 2}) {
        BOOST_TEST_CONTEXT(threads << " thread(s)") {
            xg::set_num_threads(threads);
            xg::manual_seed(9);
            TensorD x = param({300, 250}), w = param({7, 250}), b = param({7}), big = param({300, 250});
            const TensorD r = xg::randn<double>({7, 300}), rb = xg::randn<double>({250, 300});
            const std::vector<TensorD*> leaves = {&x, &w, &b, &big};
            const auto run = [&] {
                (xg::sum(xg::reshape(xg::linear(x, w, b), Shape{7, 300}) * r) + xg::sum(xg::reshape(big, Shape{250, 300}) * rb)).backward();
            };
            run();
            std::vector<xt::xarray<double>> once;
            for (TensorD* t : leaves) once.push_back(t->grad());
            BOOST_TEST((once[3] == xt::xarray<double>(xt::reshape_view(rb.value(), {300, 250}))));
            run();
            for (std::size_t i = 0; i < leaves.size(); ++i)
                BOOST_TEST_CONTEXT("twice, leaf " << i) { CHECK_CLOSE_ARRAYS(leaves[i]->grad(), 2.0 * once[i], 1e-12, 1e-14); }
            for (TensorD* t : leaves) t->clear_grad();
            run();
            for (std::size_t i = 0; i < leaves.size(); ++i)
                BOOST_TEST_CONTEXT("after clear_grad, leaf " << i) { BOOST_TEST((leaves[i]->grad() == once[i])); }
            by_threads.push_back(once);
        }
    }
    xg::set_num_threads(0);
    for (std::size_t i = 0; i < by_threads[0].size(); ++i)
        BOOST_TEST_CONTEXT("1 and 2 threads, leaf " << i) { BOOST_TEST((by_threads[0][i] == by_threads[1][i])); }
}

BOOST_AUTO_TEST_CASE(reshape_gradient) {
    check_gradient([](const V& x) { return xg::reshape(x[0], Shape{4, 3}); }, {param({3, 4})});
    check_gradient([](const V& x) { return xg::reshape(x[0], {-1, 2}); }, {param({3, 4})});
    check_gradient([](const V& x) { return xg::flatten(x[0], 1); }, {param({2, 3, 2})});
    check_gradient([](const V& x) { return xg::unsqueeze(x[0], -1); }, {param({2, 3})});
    check_gradient([](const V& x) { return xg::squeeze(x[0], 1); }, {param({2, 1, 3})});
    check_gradient([](const V& x) { return xg::squeeze(x[0], 0); }, {param({2, 1, 3})});  // not size 1: same shape
    const xg::Tensor t = xg::ones({2, 3}, true), u = xg::squeeze(t, 0);
    BOOST_TEST(!u.is_same(t));  // a new tensor, as PyTorch's: retain_grad or hooks on u leave t alone
    BOOST_TEST((u.shape() == Shape{2, 3}));
    BOOST_TEST((xg::reshape(xg::zeros({3, 4}), {2, -1}).shape() == Shape{2, 6}));
    CHECK_THROWS_WITH(xg::reshape(xg::zeros({3, 4}), Shape{5, 2}), "reshape: cannot reshape a tensor of shape (3, 4) (12 elements) into (5, 2)");
    CHECK_THROWS_WITH(xg::reshape(xg::zeros({3, 4}), {-1, 5}), "cannot infer the -1 dimension");
}

BOOST_AUTO_TEST_CASE(transpose_gradient) {
    check_gradient([](const V& x) { return xg::transpose(x[0], 0, 1); }, {param({3, 4})});
    check_gradient([](const V& x) { return xg::transpose(x[0], 0, 2); }, {param({2, 3, 4})});
    check_gradient([](const V& x) { return xg::permute(x[0], {2, 0, 1}); }, {param({2, 3, 4})});
    Tensor t = xg::from_array(xt::xarray<float>{{1, 2, 3}, {4, 5, 6}});
    auto y = t.transpose(0, 1).value();
    BOOST_TEST(y(2, 0) == 3.f);
    BOOST_TEST(y(0, 1) == 4.f);
    CHECK_THROWS_WITH(xg::permute(t, {0, 0}), "permute: dim 0 appears twice");
    CHECK_THROWS_WITH(xg::transpose(t, 0, 2), "transpose: dimension 2 is out of range for a tensor of rank 2");
}

BOOST_AUTO_TEST_CASE(cat_gradient) {
    check_gradient([](const V& x) { return xg::cat(x, 0); }, {param({2, 3}), param({1, 3}), param({4, 3})});
    check_gradient([](const V& x) { return xg::cat(x, 1); }, {param({2, 3}), param({2, 1})});
    check_gradient([](const V& x) { return xg::cat(x, -1); }, {param({2, 2, 3}), param({2, 2, 2})});
    Tensor a = xg::from_array(xt::xarray<float>{{1, 2}, {3, 4}});
    Tensor b = xg::reshape(xg::from_array(xt::xarray<float>{5.f, 6.f}), xg::Shape{2, 1});
    auto y = xg::cat({a, b}, 1).value();  // a braced list, as torch.cat([a, b], 1)
    BOOST_TEST(y(0, 2) == 5.f);
    BOOST_TEST(y(1, 0) == 3.f);
    CHECK_THROWS_WITH(xg::cat(std::vector<Tensor>{a, xg::zeros({3, 1})}, 1),
                      "cat: tensor 1 has shape (3, 1) but tensor 0 has shape (2, 2); sizes must match except in dim 1");
}

BOOST_AUTO_TEST_CASE(stack_gradient) {
    check_gradient([](const V& x) { return xg::stack(x, 0); }, {param({2, 3}), param({2, 3})});
    BOOST_TEST((xg::stack({xg::zeros({2}), xg::ones({2})}, 1).shape() == Shape{2, 2}));
    check_gradient([](const V& x) { return xg::stack(x, 2); }, {param({2, 3}), param({2, 3}), param({2, 3})});
    CHECK_THROWS_WITH(xg::stack(std::vector<Tensor>{xg::zeros({2}), xg::zeros({3})}), "stack: tensor 1 has shape (3)");
}

BOOST_AUTO_TEST_CASE(slice_gradient) {
    check_gradient([](const V& x) { return xg::slice(x[0], 1, 1, 4); }, {param({2, 5})});
    check_gradient([](const V& x) { return xg::slice(x[0], 0, 0, 5, 2); }, {param({5, 2})});
    check_gradient([](const V& x) { return xg::slice(x[0], -1, -3, -1); }, {param({2, 2, 4})});
    check_gradient([](const V& x) { return xg::narrow(x[0], 0, 1, 2); }, {param({4, 3})});
    Tensor t = xg::arange(10.f);
    auto y = xg::slice(t, 0, 1, 8, 3).value();  // 1, 4, 7
    BOOST_TEST(y.size() == 3u);
    BOOST_TEST(y(2) == 7.f);
    CHECK_THROWS_WITH(xg::narrow(t, 0, 8, 3), "narrow: start 8 and length 3 exceed dimension 0 of size 10");
    CHECK_THROWS_WITH(xg::slice(t, 0, 0, 3, 0), "slice: step must be positive");
}

BOOST_AUTO_TEST_CASE(select_gradient) {
    check_gradient([](const V& x) { return xg::select(x[0], 1, 2); }, {param({2, 3, 2})});
    check_gradient([](const V& x) { return xg::select(x[0], 0, -1); }, {param({3, 2})});
    CHECK_THROWS_WITH(xg::select(xg::zeros({2, 3}), 1, 3), "select: index 3 is out of range for dimension 1 with size 3");
}

BOOST_AUTO_TEST_CASE(index_select_gradient) {
    xg::IndexArray idx = {2, 0, 2};  // a repeated index accumulates
    check_gradient([idx](const V& x) { return xg::index_select(x[0], 0, idx); }, {param({3, 2})});
    check_gradient([idx](const V& x) { return xg::index_select(x[0], 1, idx); }, {param({2, 4})});
    CHECK_THROWS_WITH(xg::index_select(xg::zeros({2, 3}), 0, xg::IndexArray{0, 2}),
                      "index_select: index 2 is out of range for dimension 0 with size 2");
}

BOOST_AUTO_TEST_CASE(gather_gradient) {
    // (2, 3, 2) gathered along each dim by an index smaller than x elsewhere; repeats accumulate
    const xg::IndexArray along0 = {{{1, 0}, {1, 1}}}, along1 = {{{2, 0}, {2, 2}}, {{0, 1}, {1, 0}}}, along2 = {{{1, 1, 0}}, {{0, 1, 1}}};
    check_gradient([&](const V& x) { return xg::gather(x[0], 0, along0); }, {param({2, 3, 2})});
    check_gradient([&](const V& x) { return xg::gather(x[0], 1, along1); }, {param({2, 3, 2})});
    check_gradient([&](const V& x) { return xg::gather(x[0], -1, along2); }, {param({2, 3, 2})});
    // values: out[i][j][k] = x[i][index[i][j][k]][k]
    const auto x = xg::reshape(xg::arange(12.f), {2, 3, 2});
    const auto y = xg::gather(x, 1, along1).value();
    BOOST_TEST((y == xt::xarray<float>{{{4, 1}, {4, 5}}, {{6, 9}, {8, 7}}}));
    // the last true step of each sequence, as the IMDB example reads it: (T, B, H) -> (1, B, H)
    const xg::IndexArray last = {{{2, 2}, {0, 0}}};
    BOOST_TEST((xg::gather(xg::reshape(xg::arange(12.f), {3, 2, 2}), 0, last).value() == xt::xarray<float>{{{8, 9}, {2, 3}}}));
    CHECK_THROWS_WITH(xg::gather(xg::zeros({2, 3}), 1, xg::IndexArray{{0, 3}}), "gather: index 3 is out of range for dimension 1 with size 3");
    CHECK_THROWS_WITH(xg::gather(xg::zeros({2, 3}), 1, xg::IndexArray{0, 1}), "gather: the index must have 2 dimensions like the input");
    CHECK_THROWS_WITH(xg::gather(xg::zeros({2, 3}), 1, xg::IndexArray(xt::zeros<std::int64_t>({3, 1}))), "gather: the index's size 3 in dimension 0 exceeds the input's 2");
    CHECK_THROWS_WITH(xg::gather(xg::zeros({2, 3}), 2, xg::IndexArray(xt::zeros<std::int64_t>({1, 1}))), "gather: dimension 2 is out of range");
}

BOOST_AUTO_TEST_CASE(flip_gradient) {
    check_gradient([](const V& x) { return xg::flip(x[0], {0}); }, {param({3, 2})});
    check_gradient([](const V& x) { return xg::flip(x[0], {0, 2}); }, {param({2, 3, 2})});
    auto y = xg::flip(xg::arange(4.f), {0}).value();
    BOOST_TEST(y(0) == 3.f);
}

BOOST_AUTO_TEST_CASE(expand_gradient) {
    check_gradient([](const V& x) { return xg::expand(x[0], Shape{3, 4}); }, {param({3, 1})});
    check_gradient([](const V& x) { return xg::expand(x[0], Shape{2, 3, 4}); }, {param({4})});
    CHECK_THROWS_WITH(xg::expand(xg::zeros({3}), Shape{2, 4}), "expand: a tensor of shape (3) cannot be expanded to (2, 4)");
}

BOOST_AUTO_TEST_CASE(embedding_gradient) {
    xg::IndexArray ids = {{1, 3, 1}, {0, 3, 2}};
    check_gradient([ids](const V& x) { return xg::embedding(x[0], ids); }, {param({4, 3})});
    // padding rows receive no gradient
    TensorD w = param({4, 3});
    xg::sum(xg::embedding(w, ids, /*padding_idx=*/3)).backward();
    BOOST_TEST(w.grad()(3, 0) == 0.0);
    BOOST_TEST(w.grad()(1, 0) == 2.0);  // id 1 used twice
    CHECK_THROWS_WITH(xg::embedding(xg::zeros({4, 3}), xg::IndexArray{0, 4}), "embedding: index 4 is out of range for 4 embeddings");
}

BOOST_AUTO_TEST_CASE(one_hot_values) {
    auto y = xg::one_hot(xg::IndexArray{{0, 2}, {1, 1}}, 3);
    BOOST_TEST((y.shape() == Shape{2, 2, 3}));
    BOOST_TEST(y.value()(0, 1, 2) == 1.f);
    BOOST_TEST(y.value()(0, 1, 0) == 0.f);
    BOOST_TEST(xg::sum(y).item() == 4.f);
    CHECK_THROWS_WITH(xg::one_hot(xg::IndexArray{3}, 3), "one_hot: class 3 is out of range for 3 classes");
}

BOOST_AUTO_TEST_CASE(softmax_gradient) {
    check_gradient([](const V& x) { return xg::softmax(x[0], -1); }, {param({3, 4}, -2, 2)});
    check_gradient([](const V& x) { return xg::softmax(x[0], 1); }, {param({2, 3, 2}, -2, 2)});
    auto y = xg::softmax(xg::from_array(xt::xarray<float>{1, 2, 3})).value();
    // torch.softmax(torch.tensor([1., 2, 3]), 0)
    CHECK_CLOSE_ARRAYS(y, (xt::xarray<float>{0.0900306f, 0.2447285f, 0.6652409f}), 1e-5, 1e-6);
    auto big = xg::softmax(xg::from_array(xt::xarray<float>{1000, 1000})).value();  // no overflow
    BOOST_TEST(big(0) == 0.5f);
}

BOOST_AUTO_TEST_CASE(log_softmax_gradient) {
    check_gradient([](const V& x) { return xg::log_softmax(x[0], -1); }, {param({3, 4}, -2, 2)});
    check_gradient([](const V& x) { return xg::log_softmax(x[0], 0); }, {param({3, 2}, -2, 2)});
    auto y = xg::log_softmax(xg::from_array(xt::xarray<float>{1, 2, 3})).value();
    CHECK_CLOSE_ARRAYS(y, (xt::xarray<float>{-2.4076059f, -1.4076059f, -0.4076059f}), 1e-5, 1e-6);
}

BOOST_AUTO_TEST_CASE(cross_entropy_gradient) {
    xg::IndexArray t = {2, 0, 1, 2};
    check_gradient([t](const V& x) { return xg::cross_entropy(x[0], t); }, {param({4, 3}, -2, 2)});
    check_gradient([t](const V& x) { return xg::cross_entropy(x[0], t, -100, xg::Reduction::Sum); }, {param({4, 3}, -2, 2)});
    check_gradient([t](const V& x) { return xg::cross_entropy(x[0], t, -100, xg::Reduction::None); }, {param({4, 3}, -2, 2)});
    xg::IndexArray ti = {2, -100, 1, 2};
    check_gradient([ti](const V& x) { return xg::cross_entropy(x[0], ti); }, {param({4, 3}, -2, 2)});
    xg::IndexArray t2 = {{0, 1}, {2, 2}};  // (N, C, d) with targets (N, d)
    check_gradient([t2](const V& x) { return xg::cross_entropy(x[0], t2); }, {param({2, 3, 2}, -2, 2)});
}

BOOST_AUTO_TEST_CASE(cross_entropy_values) {
    Tensor x = xg::from_array(xt::xarray<float>{{1, 2, 3}, {1, 0, -1}});
    // torch.nn.functional.cross_entropy(x, torch.tensor([2, 0])) = 0.40760594606399536
    BOOST_TEST(xg::cross_entropy(x, xg::IndexArray{2, 0}).item() == 0.40760595f, boost::test_tools::tolerance(1e-6f));
    // ignored targets are left out of the mean
    BOOST_TEST(xg::cross_entropy(x, xg::IndexArray{2, -100}).item() == 0.40760595f, boost::test_tools::tolerance(1e-6f));
    BOOST_TEST(xg::cross_entropy(x, xg::IndexArray{7, 0}, 7).item() == 0.40760595f, boost::test_tools::tolerance(1e-6f));
    CHECK_THROWS_WITH(xg::cross_entropy(x, xg::IndexArray{3, 0}), "cross_entropy: target 3 is out of range for 3 classes (at position 0)");
    CHECK_THROWS_WITH(xg::cross_entropy(x, xg::IndexArray{1, 0, 1}), "cross_entropy: target of shape (3) does not fit input of shape (2, 3)");
}

BOOST_AUTO_TEST_CASE(cross_entropy_weight_label_smoothing_gradient) {
    TensorD w = xg::from_array(xt::xarray<double>{0.5, 2.0, 1.25});
    xg::IndexArray t = {2, 0, -100, 1, 2};
    for (auto r : {xg::Reduction::Mean, xg::Reduction::Sum, xg::Reduction::None}) {
        for (double eps : {0.0, 0.3}) {
            const auto opt = xg::CrossEntropyFuncOptions<double>().weight(w).label_smoothing(eps).reduction(r);
            check_gradient([t, opt](const V& x) { return xg::cross_entropy(x[0], t, opt); }, {param({5, 3}, -2, 2)});
        }
        // smoothing without weights; an ignore_index that is a class id
        const auto smooth = xg::CrossEntropyFuncOptions<double>().label_smoothing(0.2).reduction(r).ignore_index(0);
        xg::IndexArray t0 = {2, 0, 0, 1, 2};
        check_gradient([t0, smooth](const V& x) { return xg::cross_entropy(x[0], t0, smooth); }, {param({5, 3}, -2, 2)});
    }
    // (N, C, d) with targets (N, d), and an unbatched (C) input
    xg::IndexArray t2 = {{0, 1}, {2, -100}};
    const auto opt = xg::CrossEntropyFuncOptions<double>().weight(w).label_smoothing(0.1);
    check_gradient([t2, opt](const V& x) { return xg::cross_entropy(x[0], t2, opt); }, {param({2, 3, 2}, -2, 2)});
    check_gradient([opt](const V& x) { return xg::cross_entropy(x[0], xg::IndexArray{1}, opt); }, {param({3}, -2, 2)});
}

BOOST_AUTO_TEST_CASE(cross_entropy_options_values) {
    Tensor x = xg::from_array(xt::xarray<float>{{1, 2, 3}, {1, 0, -1}});
    Tensor w = xg::from_array(xt::xarray<float>{1, 2, 3});
    const xg::IndexArray t = {2, 0};
    // the default options are the plain loss; so are unit weights without smoothing
    BOOST_TEST(xg::cross_entropy(x, t, xg::CrossEntropyFuncOptions()).item() == xg::cross_entropy(x, t).item());
    BOOST_TEST(xg::cross_entropy(x, t, xg::CrossEntropyFuncOptions().weight(xg::ones({3}))).item() ==
                   xg::cross_entropy(x, t).item(),
               boost::test_tools::tolerance(1e-6f));
    // torch.nn.functional.cross_entropy(x, t, weight=torch.tensor([1., 2, 3]), label_smoothing=0.1)
    //   = 0.5076059103012085: the mean divides by w[2] + w[0] = 4
    BOOST_TEST(xg::cross_entropy(x, t, xg::CrossEntropyFuncOptions().weight(w).label_smoothing(0.1)).item() == 0.50760591f,
               boost::test_tools::tolerance(1e-6f));
    // every target ignored: 0 / 0, as torch
    BOOST_TEST(std::isnan(xg::cross_entropy(x, xg::IndexArray{-100, -100}, xg::CrossEntropyFuncOptions().weight(w).label_smoothing(0.1)).item()));
    CHECK_THROWS_WITH(xg::cross_entropy(x, t, xg::CrossEntropyFuncOptions().weight(xg::ones({4}))),
                      "cross_entropy: weight of shape (4) does not fit input of shape (2, 3) (expected (3), one weight per class)");
    CHECK_THROWS_WITH(xg::cross_entropy(x, t, xg::CrossEntropyFuncOptions().weight(xg::ones({3, 1}))),
                      "cross_entropy: weight of shape (3, 1) does not fit input of shape (2, 3)");
    CHECK_THROWS_WITH(xg::cross_entropy(x, t, xg::CrossEntropyFuncOptions().label_smoothing(1.5)),
                      "cross_entropy: label_smoothing must be between 0 and 1, got 1.5");
    CHECK_THROWS_WITH(xg::cross_entropy(x, t, xg::CrossEntropyFuncOptions().label_smoothing(-0.1)),
                      "cross_entropy: label_smoothing must be between 0 and 1, got -0.1");
}

// Samples in blocks over the threads (from 16,384 values a block): many blocks, with ignored
// targets, weights and smoothing, give the bits of one thread and equal the loss composed
// from log_softmax and nll_loss.
BOOST_AUTO_TEST_CASE(cross_entropy_over_many_samples_is_the_same_on_any_thread_count) {
    xg::manual_seed(5);
    const std::size_t N = 20000, C = 3;
    TensorD w = xg::from_array(xt::xarray<double>{0.5, 2.0, 1.25});
    xg::IndexArray t = xt::zeros<long>({N});
    for (std::size_t n = 0; n < N; ++n) t(n) = n % 7 == 3 ? -100 : long(n * 5 % C);
    for (auto r : {xg::Reduction::Mean, xg::Reduction::None}) {
        for (double eps : {0.0, 0.2}) {
            BOOST_TEST_CONTEXT("reduction " << int(r) << ", smoothing " << eps) {
                const auto opt = xg::CrossEntropyFuncOptions<double>().weight(w).label_smoothing(eps).reduction(r);
                TensorD x = param({N, C}, -3, 3);
                std::vector<xt::xarray<double>> loss, grad;
                for (int threads : {1, 2}) {
                    xg::set_num_threads(threads);
                    x.zero_grad();
                    TensorD y = xg::cross_entropy(x, t, opt);
                    xg::manual_seed(11);  // the same draws each time
                    xg::sum(y * xg::randn<double>(y.shape())).backward();
                    loss.push_back(y.value());
                    grad.push_back(x.grad());
                }
                xg::set_num_threads(0);
                BOOST_TEST((loss[0] == loss[1]));
                BOOST_TEST((grad[0] == grad[1]));
                if (eps == 0.0 && r == xg::Reduction::Mean) {  // the composed loss: -sum w_t log p_t / sum w_t
                    TensorD composed = xg::nll_loss(xg::log_softmax(x) * w, t);
                    double wsum = 0;
                    for (std::size_t n = 0; n < N; ++n)
                        if (t(n) != -100) wsum += w.value()(std::size_t(t(n)));
                    double kept = 0;
                    for (std::size_t n = 0; n < N; ++n) kept += t(n) != -100;
                    BOOST_TEST(loss[0]() == composed.item() * kept / wsum, boost::test_tools::tolerance(1e-12));
                    x.zero_grad();
                    xg::cross_entropy(x, t, opt).backward();
                    const xt::xarray<double> fused_grad = x.grad();
                    x.zero_grad();
                    (composed * (kept / wsum)).backward();
                    CHECK_CLOSE_ARRAYS(fused_grad, x.grad(), 1e-12, 1e-15);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(nll_loss_gradient) {
    xg::IndexArray t = {1, 0, 2};
    check_gradient([t](const V& x) { return xg::nll_loss(xg::log_softmax(x[0]), t); }, {param({3, 3})});
    Tensor x = xg::from_array(xt::xarray<float>{{1, 2, 3}, {1, 0, -1}});
    BOOST_TEST(xg::nll_loss(xg::log_softmax(x), xg::IndexArray{2, 0}).item() ==
                   xg::cross_entropy(x, xg::IndexArray{2, 0}).item(),
               boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(mse_loss_gradient) {
    check_gradient([](const V& x) { return xg::mse_loss(x[0], x[1]); }, {param({3, 2}), param({3, 2})});
    Tensor a = xg::from_array(xt::xarray<float>{1, 2, 3});
    Tensor b = xg::from_array(xt::xarray<float>{1, 0, 0});
    BOOST_TEST(xg::mse_loss(a, b).item() == 13.f / 3.f);
    BOOST_TEST(xg::mse_loss(a, b, xg::Reduction::Sum).item() == 13.f);
    CHECK_THROWS_WITH(xg::mse_loss(a, xg::zeros({3, 1})), "mse_loss: input of shape (3) and target of shape (3, 1) differ");
}

BOOST_AUTO_TEST_CASE(binary_cross_entropy_with_logits_gradient) {
    TensorD y = xg::from_array(xt::xarray<double>{{1, 0, 1}, {0, 0, 1}});
    check_gradient([y](const V& x) { return xg::binary_cross_entropy_with_logits(x[0], y); }, {param({2, 3}, -3, 3)});
    check_gradient([y](const V& x) { return xg::binary_cross_entropy_with_logits(x[0], y, xg::Reduction::None); },
                   {param({2, 3}, -3, 3)});
    check_gradient([](const V& x) { return xg::binary_cross_entropy_with_logits(x[0], x[1], xg::Reduction::Sum); },
                   {param({3}, -3, 3), param({3}, 0, 1)});
    Tensor l = xg::from_array(xt::xarray<float>{0.5f, -2.f, 3.f});
    Tensor t = xg::from_array(xt::xarray<float>{1.f, 0.f, 0.f});
    // torch: binary_cross_entropy_with_logits([0.5, -2, 3], [1, 0, 0]) = 1.2165307998657227
    BOOST_TEST(xg::binary_cross_entropy_with_logits(l, t).item() == 1.2165308f, boost::test_tools::tolerance(1e-6f));
    Tensor huge = xg::from_array(xt::xarray<float>{200.f});  // stable: no inf
    BOOST_TEST(xg::binary_cross_entropy_with_logits(huge, xg::zeros({1})).item() == 200.f);
}

BOOST_AUTO_TEST_CASE(binary_cross_entropy_with_logits_pos_weight_gradient) {
    TensorD pw = xg::from_array(xt::xarray<double>{0.5, 3.0, 1.5});
    TensorD w = xg::from_array(xt::xarray<double>(xt::xtensor<double, 2>{{2.0}, {0.25}}));  // (2, 1): per row
    for (auto r : {xg::Reduction::Mean, xg::Reduction::Sum, xg::Reduction::None}) {
        const auto pos = xg::BinaryCrossEntropyWithLogitsFuncOptions<double>().pos_weight(pw).reduction(r);
        const auto both = xg::BinaryCrossEntropyWithLogitsFuncOptions<double>().pos_weight(pw).weight(w).reduction(r);
        const auto weight = xg::BinaryCrossEntropyWithLogitsFuncOptions<double>().weight(w).reduction(r);
        for (const auto& opt : {pos, both, weight})  // gradients into the logits and the (soft) targets
            check_gradient([opt](const V& x) { return xg::binary_cross_entropy_with_logits(x[0], x[1], opt); },
                           {param({2, 3}, -4, 4), param({2, 3}, 0, 1)});
    }
    // pos_weight (C) over the last dim of a 3-D input
    const auto opt = xg::BinaryCrossEntropyWithLogitsFuncOptions<double>().pos_weight(pw);
    check_gradient([opt](const V& x) { return xg::binary_cross_entropy_with_logits(x[0], x[1], opt); },
                   {param({2, 4, 3}, -4, 4), param({2, 4, 3}, 0, 1)});
}

BOOST_AUTO_TEST_CASE(binary_cross_entropy_with_logits_options_values) {
    Tensor l = xg::from_array(xt::xarray<float>{0.5f, -2.f, 3.f});
    Tensor t = xg::from_array(xt::xarray<float>{1.f, 0.f, 1.f});
    // torch: binary_cross_entropy_with_logits(l, t, pos_weight=torch.tensor([2., 1, 3])) = 0.4069480001926422
    using Options = xg::BinaryCrossEntropyWithLogitsFuncOptions<>;
    BOOST_TEST(xg::binary_cross_entropy_with_logits(l, t, Options().pos_weight(xg::from_array(xt::xarray<float>{2, 1, 3}))).item() ==
                   0.40694800f,
               boost::test_tools::tolerance(1e-6f));
    // stable with pos_weight: -pos_weight * log(sigmoid(-200)) = 3 * 200, no inf
    Tensor huge = xg::from_array(xt::xarray<float>{-200.f});
    BOOST_TEST(xg::binary_cross_entropy_with_logits(huge, xg::ones({1}), Options().pos_weight(xg::full({1}, 3.f))).item() == 600.f);
    CHECK_THROWS_WITH(xg::binary_cross_entropy_with_logits(l, t, Options().pos_weight(xg::ones({2}))),
                      "binary_cross_entropy_with_logits: pos_weight of shape (2) does not broadcast to logits of shape (3)");
    CHECK_THROWS_WITH(xg::binary_cross_entropy_with_logits(l, t, Options().weight(xg::ones({2, 3}))),
                      "binary_cross_entropy_with_logits: weight of shape (2, 3) does not broadcast to logits of shape (3)");
}

// ---- losses against PyTorch 1.13 (fixtures/loss.safetensors, made by fixtures/make_loss_fixtures.py) ----

BOOST_AUTO_TEST_CASE(losses_match_torch) {
    constexpr double rtol = 1e-4, atol = 1e-5;
    const xg::nn::SafetensorsReader fx(test::fixture("loss.safetensors"));
    const auto configs = nlohmann::json::parse(fx.metadata().at("configs"));
    BOOST_TEST(configs.size() == 25u);
    const auto reduction_of = [](const std::string& r) {
        return r == "mean" ? xg::Reduction::Mean : r == "sum" ? xg::Reduction::Sum : xg::Reduction::None;
    };
    const auto optional = [&fx](const std::string& name) { return fx.contains(name) ? xg::from_array(fx.get<float>(name)) : Tensor(); };
    double worst_value = 0, worst_grad = 0;
    for (const auto& c : configs) {
        const std::string name = c["name"];
        BOOST_TEST_CONTEXT(name) {
            Tensor x = xg::from_array(fx.get<float>(name + ".x"), true);
            const auto r = reduction_of(c["reduction"]);
            Tensor target, loss;
            if (c["op"] == "cross_entropy") {
                loss = xg::cross_entropy(x, fx.get<std::int64_t>(name + ".target"),
                                         xg::CrossEntropyFuncOptions()
                                             .weight(optional(name + ".weight"))
                                             .ignore_index(c["ignore_index"].get<long>())
                                             .label_smoothing(c["label_smoothing"].get<double>())
                                             .reduction(r));
            } else {
                target = xg::from_array(fx.get<float>(name + ".target"), true);
                loss = xg::binary_cross_entropy_with_logits(
                    x, target,
                    xg::BinaryCrossEntropyWithLogitsFuncOptions().weight(optional(name + ".weight")).pos_weight(optional(name + ".pos_weight")).reduction(r));
            }
            const auto expected = fx.get<float>(name + ".loss");
            BOOST_TEST_REQUIRE((loss.shape() == Shape(expected.shape().begin(), expected.shape().end())),
                               xg::shape_str(loss.shape()) << " vs " << xg::shape_str(expected.shape()));
            double d = 0;
            BOOST_TEST(allclose(loss.value(), expected, rtol, atol, &d), "loss: largest difference " << d);
            worst_value = std::max(worst_value, d);
            if (r == xg::Reduction::None) loss.backward(fx.get<float>(name + ".proj"));
            else loss.backward();
            BOOST_TEST(allclose(x.grad(), fx.get<float>(name + ".grad.x"), rtol, atol, &d), "grad x: largest difference " << d);
            worst_grad = std::max(worst_grad, d);
            if (target.defined()) {
                BOOST_TEST(allclose(target.grad(), fx.get<float>(name + ".grad.target"), rtol, atol, &d),
                           "grad target: largest difference " << d);
                worst_grad = std::max(worst_grad, d);
            }
        }
    }
    BOOST_TEST_MESSAGE("losses vs torch: largest difference " << worst_value << " (values), " << worst_grad << " (gradients)");
}

BOOST_AUTO_TEST_CASE(dropout_gradient) {
    // the mask is drawn from xg's generator: re-seed inside f so every call draws the same
    check_gradient([](const V& x) { xg::manual_seed(7); return xg::dropout(x[0], 0.4); }, {param({4, 5})});
    xg::manual_seed(1);
    Tensor big = xg::ones({100000});
    auto y = xg::dropout(big, 0.25).value();
    std::size_t zeros = 0;
    for (float v : y) {
        zeros += v == 0.f;
        BOOST_TEST_REQUIRE((v == 0.f || std::abs(v - 1.f / 0.75f) < 1e-6f));
    }
    BOOST_TEST(std::abs(double(zeros) / 100000.0 - 0.25) < 0.01);
    // evaluation: the identity
    BOOST_TEST(xg::dropout(big, 0.25, false).value()(5) == 1.f);
    CHECK_THROWS_WITH(xg::dropout(big, 1.5), "dropout: probability has to be between 0 and 1, but got 1.5");
}

BOOST_AUTO_TEST_CASE(composite_expression_gradient) {
    // a small network: every op's backward composes with the others
    check_gradient(
        [](const V& x) {
            auto h = xg::tanh(xg::linear(x[0], x[1], x[2]));
            auto logits = xg::matmul(h, xg::transpose(x[3], 0, 1));
            return xg::cross_entropy(logits, xg::IndexArray{0, 2, 1});
        },
        {param({3, 4}), param({5, 4}), param({5}), param({3, 5})});
}

BOOST_AUTO_TEST_CASE(broadcast_errors) {
    CHECK_THROWS_WITH(xg::zeros({3, 4}) + xg::zeros({3}), "add: shapes (3, 4) and (3) cannot be broadcast");
    CHECK_THROWS_WITH(xg::zeros({2, 3}) * xg::zeros({3, 2}), "mul: shapes (2, 3) and (3, 2) cannot be broadcast");
    CHECK_THROWS_WITH(xg::sum(xg::zeros({2, 3}), 2), "sum: dimension 2 is out of range for a tensor of rank 2");
    CHECK_THROWS_WITH(xg::softmax(xg::sum(xg::zeros({2, 3})), 0), "softmax: dimension 0 given for a 0-d tensor, which has none");
}

BOOST_AUTO_TEST_CASE(factories) {
    xg::manual_seed(3);
    auto a = xg::randn({1000});
    xg::manual_seed(3);
    auto b = xg::randn({1000});
    BOOST_TEST(a.value() == b.value());  // manual_seed makes draws reproducible
    auto m = xg::mean(a).item();
    BOOST_TEST(std::abs(m) < 0.1f);
    auto u = xg::uniform({1000}, -2.f, -1.f).value();
    BOOST_TEST(xt::amin(u)() >= -2.f);
    BOOST_TEST(xt::amax(u)() < -1.f);
    BOOST_TEST(xg::arange(2.f, 5.f).numel() == 3u);
    BOOST_TEST(xg::arange(0.f, 1.f, 0.25f).value()(3) == 0.75f);
    BOOST_TEST(xg::full({2, 2}, 7.f).value()(1, 1) == 7.f);
    BOOST_TEST(xg::ones<double>({3}).value()(0) == 1.0);
    BOOST_TEST(xg::zeros({2, 0}).numel() == 0u);
}

BOOST_AUTO_TEST_CASE(factory_shapes_from_any_integers) {
    // the Contract's xg::randn({T, B, I}) with the integer types people use for sizes
    int T = 3;
    std::int64_t B = 2;
    std::size_t I = 4;
    BOOST_TEST((xg::randn({T, B, I}, true).shape() == Shape{3, 2, 4}));
    BOOST_TEST((xg::zeros<double>({I, 1}).shape() == Shape{4, 1}));
    BOOST_TEST(xg::full({B}, 1.f).numel() == 2u);
    BOOST_TEST(xg::zeros({}).dim() == 0u);
    const Shape s{5, 6};
    BOOST_TEST((xg::ones(s).shape() == s));
    int negative = -1;
    CHECK_THROWS_WITH(xg::zeros({negative, 2}), "shape: size -1 is negative");
}

BOOST_AUTO_TEST_SUITE_END()

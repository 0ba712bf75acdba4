// Degenerate input: every public op with a 0 in each position of each input's shape, against
// PyTorch's answers (tests/fixtures/degenerate_ops.json); shapes and indices whose arithmetic
// overflows; NaN where PyTorch defines what happens. Also run in the sanitizer leg, where an
// out-of-bounds read fails even when it does not crash.
#define BOOST_TEST_MODULE degenerate
#include "common.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

namespace {

using xg::IndexArray;
using xg::Mask;
using xg::TensorD;

// One input of a fixture case: a float tensor, class ids or a mask.
struct Input {
    TensorD t;
    IndexArray ids;
    Mask mask;
};
using Inputs = std::vector<Input>;

// What an op returns: a float tensor, or integers (argmax).
struct Output {
    TensorD t;
    IndexArray ids;
    bool is_ids = false;
};

Output out(TensorD t) { return {std::move(t), {}, false}; }

double value_at(std::size_t i) { return static_cast<double>((i * 7) % 11) / 10.0 - 0.45; }
double positive_at(std::size_t i) { return 0.3 + static_cast<double>((i * 5) % 7) / 10.0; }

// The same deterministic inputs as make_degenerate_fixtures.py.
Input make_input(const std::string& kind, const xg::Shape& shape, std::int64_t bound) {
    Input in;
    if (kind == "f" || kind == "p") {
        in.t = xg::zeros<double>(shape, true);
        double* p = in.t.value().data();
        for (std::size_t i = 0; i < in.t.numel(); ++i) p[i] = kind == "f" ? value_at(i) : positive_at(i);
    } else if (kind == "i") {
        in.ids = IndexArray::from_shape(shape);
        for (std::size_t i = 0; i < in.ids.size(); ++i) in.ids.data()[i] = static_cast<std::int64_t>(i) % std::max<std::int64_t>(bound, 1);
    } else {
        in.mask = Mask::from_shape(shape);
        for (std::size_t i = 0; i < in.mask.size(); ++i) in.mask.data()[i] = i % 3 == 0;
    }
    return in;
}

using Op = std::function<Output(const Inputs&)>;

std::map<std::string, Op> ops() {
    auto unary = [](TensorD (*f)(const TensorD&)) { return [f](const Inputs& x) { return out(f(x[0].t)); }; };
    auto binary = [](TensorD (*f)(const TensorD&, const TensorD&)) {
        return [f](const Inputs& x) { return out(f(x[0].t, x[1].t)); };
    };
    auto matmul = binary(&xg::matmul<double>);
    return {
        {"exp", unary(&xg::exp<double>)},
        {"log", unary(&xg::log<double>)},
        {"sqrt", unary(&xg::sqrt<double>)},
        {"abs", unary(&xg::abs<double>)},
        {"sigmoid", unary(&xg::sigmoid<double>)},
        {"tanh", unary(&xg::tanh<double>)},
        {"relu", unary(&xg::relu<double>)},
        {"neg", unary(&xg::neg<double>)},
        {"clamp", [](const Inputs& x) { return out(xg::clamp(x[0].t, -0.2, 0.3)); }},
        {"dropout_eval", [](const Inputs& x) { return out(xg::dropout(x[0].t, 0.5, false)); }},
        {"add_scalar", [](const Inputs& x) { return out(x[0].t + 2.0); }},
        {"mul_scalar", [](const Inputs& x) { return out(x[0].t * 3.0); }},
        {"rsub_scalar", [](const Inputs& x) { return out(2.0 - x[0].t); }},
        {"rdiv_scalar", [](const Inputs& x) { return out(2.0 / x[0].t); }},
        {"pow_scalar", [](const Inputs& x) { return out(xg::pow(x[0].t, 2.0)); }},
        {"add", binary(&xg::add<double>)},
        {"sub", binary(&xg::sub<double>)},
        {"mul", binary(&xg::mul<double>)},
        {"div", binary(&xg::div<double>)},
        {"pow", [](const Inputs& x) { return out(xg::pow(x[0].t, x[1].t)); }},
        {"where", [](const Inputs& x) { return out(xg::where(x[0].mask, x[1].t, x[2].t)); }},
        {"masked_fill", [](const Inputs& x) { return out(xg::masked_fill(x[0].t, x[1].mask, 0.5)); }},
        {"sum", [](const Inputs& x) { return out(xg::sum(x[0].t)); }},
        {"sum_dim0", [](const Inputs& x) { return out(xg::sum(x[0].t, 0)); }},
        {"sum_dim1_keepdim", [](const Inputs& x) { return out(xg::sum(x[0].t, 1, true)); }},
        {"mean", [](const Inputs& x) { return out(xg::mean(x[0].t)); }},
        {"mean_dim1", [](const Inputs& x) { return out(xg::mean(x[0].t, 1)); }},
        {"max", [](const Inputs& x) { return out(xg::max(x[0].t)); }},
        {"max_dim0", [](const Inputs& x) { return out(xg::max(x[0].t, 0)); }},
        {"max_dim1_keepdim", [](const Inputs& x) { return out(xg::max(x[0].t, 1, true)); }},
        {"argmax_dim1", [](const Inputs& x) { return Output{{}, xg::argmax(x[0].t, 1), true}; }},
        {"softmax_dim0", [](const Inputs& x) { return out(xg::softmax(x[0].t, 0)); }},
        {"softmax_dim1", [](const Inputs& x) { return out(xg::softmax(x[0].t, 1)); }},
        {"log_softmax_dim0", [](const Inputs& x) { return out(xg::log_softmax(x[0].t, 0)); }},
        {"log_softmax_dim1", [](const Inputs& x) { return out(xg::log_softmax(x[0].t, 1)); }},
        {"matmul_2x2", matmul},
        {"matmul_3x2", matmul},
        {"matmul_2x3", matmul},
        {"matmul_3x3", matmul},
        {"matmul_3x3_bcast", matmul},
        {"matmul_4x2", matmul},
        {"matmul_1x2", matmul},
        {"matmul_2x1", matmul},
        {"matmul_k0", matmul},
        {"matmul_batch0", matmul},
        {"linear", [](const Inputs& x) { return out(xg::linear(x[0].t, x[1].t, x[2].t)); }},
        {"linear_in0", [](const Inputs& x) { return out(xg::linear(x[0].t, x[1].t, x[2].t)); }},
        {"linear_nobias", [](const Inputs& x) { return out(xg::linear(x[0].t, x[1].t)); }},
        {"reshape_flat", [](const Inputs& x) { return out(xg::reshape(x[0].t, {-1})); }},
        {"reshape_infer", [](const Inputs& x) { return out(xg::reshape(x[0].t, {3, -1})); }},
        {"flatten", [](const Inputs& x) { return out(xg::flatten(x[0].t)); }},
        {"unsqueeze", [](const Inputs& x) { return out(xg::unsqueeze(x[0].t, 1)); }},
        {"squeeze", [](const Inputs& x) { return out(xg::squeeze(x[0].t, 1)); }},
        {"transpose", [](const Inputs& x) { return out(xg::transpose(x[0].t, 0, 1)); }},
        {"permute", [](const Inputs& x) { return out(xg::permute(x[0].t, {2, 0, 1})); }},
        {"cat_dim0", [](const Inputs& x) { return out(xg::cat({x[0].t, x[1].t}, 0)); }},
        {"cat_dim1", [](const Inputs& x) { return out(xg::cat({x[0].t, x[1].t}, 1)); }},
        {"stack", [](const Inputs& x) { return out(xg::stack({x[0].t, x[1].t}, 1)); }},
        {"slice", [](const Inputs& x) { return out(xg::slice(x[0].t, 1, 1, 3)); }},
        {"slice_step", [](const Inputs& x) { return out(xg::slice(x[0].t, 0, 0, 2, 2)); }},
        {"narrow", [](const Inputs& x) { return out(xg::narrow(x[0].t, 1, 0, 2)); }},
        {"narrow_empty", [](const Inputs& x) { return out(xg::narrow(x[0].t, 1, 0, 0)); }},
        {"select", [](const Inputs& x) { return out(xg::select(x[0].t, 1, 1)); }},
        {"index_select", [](const Inputs& x) { return out(xg::index_select(x[0].t, 1, x[1].ids)); }},
        {"gather", [](const Inputs& x) { return out(xg::gather(x[0].t, 1, x[1].ids)); }},
        {"gather_empty_index", [](const Inputs& x) { return out(xg::gather(x[0].t, 1, x[1].ids)); }},
        {"flip", [](const Inputs& x) { return out(xg::flip(x[0].t, {0, 1})); }},
        {"expand", [](const Inputs& x) { return out(xg::expand(x[0].t, xg::Shape{4, 2, 3})); }},
        {"embedding", [](const Inputs& x) { return out(xg::embedding(x[0].t, x[1].ids)); }},
        {"one_hot", [](const Inputs& x) { return out(xg::one_hot<double>(x[0].ids, 3)); }},
        {"cross_entropy", [](const Inputs& x) { return out(xg::cross_entropy(x[0].t, x[1].ids)); }},
        {"cross_entropy_n0", [](const Inputs& x) { return out(xg::cross_entropy(x[0].t, x[1].ids)); }},
        {"cross_entropy_sum",
         [](const Inputs& x) { return out(xg::cross_entropy(x[0].t, x[1].ids, -100, xg::Reduction::Sum)); }},
        {"cross_entropy_weighted_smoothed",
         [](const Inputs& x) {
             return out(xg::cross_entropy(
                 x[0].t, x[1].ids, xg::CrossEntropyFuncOptions<double>().weight(x[2].t.detach()).label_smoothing(0.1)));
         }},
        {"nll_loss", [](const Inputs& x) { return out(xg::nll_loss(x[0].t, x[1].ids)); }},
        {"mse_loss", [](const Inputs& x) { return out(xg::mse_loss(x[0].t, x[1].t)); }},
        {"mse_loss_empty", [](const Inputs& x) { return out(xg::mse_loss(x[0].t, x[1].t)); }},
        {"mse_loss_sum", [](const Inputs& x) { return out(xg::mse_loss(x[0].t, x[1].t, xg::Reduction::Sum)); }},
        {"bce_with_logits", [](const Inputs& x) { return out(xg::binary_cross_entropy_with_logits(x[0].t, x[1].t)); }},
        {"bce_with_logits_pos_weight",
         [](const Inputs& x) {
             return out(xg::binary_cross_entropy_with_logits(
                 x[0].t, x[1].t, xg::BinaryCrossEntropyWithLogitsFuncOptions<double>().pos_weight(x[2].t.detach())));
         }},
    };
}

// The fixture's numbers; null stands for NaN, which JSON cannot hold.
std::vector<double> doubles(const nlohmann::json& j) {
    std::vector<double> out;
    for (const auto& v : j) out.push_back(v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>());
    return out;
}

// NaN equals NaN here: PyTorch's mean of nothing is NaN, and so must xgrad's be.
bool same_values(const double* a, const std::vector<double>& b, std::size_t n) {
    if (n != b.size()) return false;
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isnan(a[i]) || std::isnan(b[i])) {
            if (std::isnan(a[i]) != std::isnan(b[i])) return false;
            continue;
        }
        if (std::abs(a[i] - b[i]) > 1e-9 + 1e-9 * std::abs(b[i])) return false;
    }
    return true;
}

std::string case_name(const nlohmann::json& c) { return c["op"].get<std::string>() + " " + c["shapes"].dump(); }

// Runs one case; returns what differs from PyTorch, or "" when xgrad agrees.
std::string check_case(const nlohmann::json& c, const Op& op) {
    Inputs in;
    for (std::size_t j = 0; j < c["shapes"].size(); ++j)
        in.push_back(make_input(c["kinds"][j], c["shapes"][j].get<xg::Shape>(), c["bounds"][j].get<std::int64_t>()));
    Output y;
    try {
        y = op(in);
    } catch (const xg::Error& e) {
        if (c.contains("error")) return "";
        return std::string("xgrad refused what PyTorch computes: ") + e.what();
    }
    if (c.contains("error")) return "xgrad computed what PyTorch refuses (" + c["error"].get<std::string>() + ")";
    const auto want_shape = c["shape"].get<xg::Shape>();
    const xg::Shape got_shape = y.is_ids ? xg::Shape(y.ids.shape().begin(), y.ids.shape().end()) : y.t.shape();
    if (got_shape != want_shape) return "shape " + xg::shape_str(got_shape) + ", PyTorch " + xg::shape_str(want_shape);
    if (y.is_ids) {
        const auto want = c["values"].get<std::vector<std::int64_t>>();
        return std::equal(want.begin(), want.end(), y.ids.begin(), y.ids.end()) ? "" : "values differ";
    }
    if (!same_values(y.t.value().data(), doubles(c["values"]), y.t.numel())) return "values differ";
    if (!c.contains("grads")) return "";  // PyTorch's result is integer (one_hot): no gradient
    if (y.t.requires_grad()) xg::sum(y.t).backward();
    for (std::size_t j = 0; j < in.size(); ++j) {
        if (c["grads"][j].is_null()) continue;
        const auto want = doubles(c["grads"][j]);
        if (!same_values(in[j].t.grad().data(), want, in[j].t.numel())) return "gradient of input " + std::to_string(j) + " differs";
    }
    return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_op_with_an_empty_dimension_answers_as_pytorch) {
    std::ifstream f(test::fixture("degenerate_ops.json"));
    BOOST_TEST_REQUIRE(f.good(), test::fixture("degenerate_ops.json") << " is missing");
    const auto fixture = nlohmann::json::parse(f);
    const auto table = ops();
    std::size_t refused = 0;
    for (const auto& c : fixture["cases"]) {
        const auto it = table.find(c["op"].get<std::string>());
        BOOST_TEST_REQUIRE((it != table.end()), "no xgrad op for fixture op " << c["op"]);
        const std::string problem = check_case(c, it->second);
        BOOST_TEST(problem.empty(), case_name(c) << ": " << problem);
        refused += c.contains("error");
    }
    BOOST_TEST(fixture["cases"].size() > 250u);
    BOOST_TEST(refused > 50u);  // the refusals are tested too, not only the results
}

// ---- shapes whose element count overflows -------------------------------------------

BOOST_AUTO_TEST_CASE(factories_refuse_shapes_that_overflow_or_exceed_memory) {
    const std::size_t big = std::size_t(1) << 40;
    CHECK_THROWS_WITH(xg::zeros({big, big}), "zeros: too large: shape (1099511627776, 1099511627776)");
    CHECK_THROWS_WITH(xg::ones({big, big}), "ones: too large");
    CHECK_THROWS_WITH(xg::full({big, big}, 1.0f), "full: too large");
    CHECK_THROWS_WITH(xg::randn({big, big}), "randn: too large");
    CHECK_THROWS_WITH(xg::rand({big, big}), "too large");
    CHECK_THROWS_WITH(xg::uniform({big, big}, 0.0f, 1.0f), "uniform: too large");
    // no wrap, but no process could hold 2^48 floats: refused before allocating
    CHECK_THROWS_WITH(xg::zeros({std::size_t(1) << 24, std::size_t(1) << 24}), "more than the 128 TiB");
    // a 0 anywhere is empty, whatever the other sizes
    BOOST_TEST(xg::zeros({big, big, std::size_t(0)}).numel() == 0u);
}

BOOST_AUTO_TEST_CASE(reshape_refuses_a_shape_whose_product_wraps_to_the_element_count) {
    // 2^32 x 2^32 x 4 wraps to 0 in 64 bits: the same count as an empty tensor's
    auto x = xg::zeros({0});
    const std::size_t s = std::size_t(1) << 32;
    CHECK_THROWS_WITH(xg::reshape(x, xg::Shape{s, s, 4}), "reshape: too large");
    // (2^63 + 1) x 2 wraps to 2, the element count of a (2) tensor
    auto y = xg::zeros({2});
    CHECK_THROWS_WITH(xg::reshape(y, xg::Shape{(std::size_t(1) << 63) + 1, 2}), "reshape: too large");
    CHECK_THROWS_WITH(xg::reshape(y, std::vector<long>{long(1) << 62, 4, -1}), "reshape: too large");
    CHECK_THROWS_WITH(xg::expand(xg::zeros({1, 1}), xg::Shape{s, s}), "expand: too large");
    CHECK_THROWS_WITH(xg::one_hot(IndexArray{1, 2}, std::size_t(1) << 62), "one_hot: too large");
}

BOOST_AUTO_TEST_CASE(module_options_whose_weights_overflow_are_refused) {
    const std::int64_t huge = std::int64_t(1) << 62;
    CHECK_THROWS_WITH(xg::nn::LSTM(xg::nn::LSTMOptions(4, huge)), "LSTM: hidden_size: too large");
    CHECK_THROWS_WITH(xg::nn::GRU(xg::nn::GRUOptions(4, huge)), "too large");
    CHECK_THROWS_WITH(xg::nn::RNN(xg::nn::RNNOptions(4, huge)), "too large");
    CHECK_THROWS_WITH(xg::nn::LSTMCell(xg::nn::LSTMCellOptions(4, huge)), "LSTMCell: hidden_size: too large");
    CHECK_THROWS_WITH(xg::nn::Linear(xg::nn::LinearOptions(huge, huge)), "too large");
    CHECK_THROWS_WITH(xg::nn::Embedding(xg::nn::EmbeddingOptions(huge, 8)), "too large");
    CHECK_THROWS_WITH(xg::nn::LSTM(xg::nn::LSTMOptions(huge, 4)), "too large");
}

// ---- index arithmetic ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(index_arithmetic_near_the_limits_is_checked) {
    auto x = xg::arange<float>(6);
    CHECK_THROWS_WITH(xg::narrow(x, 0, 1, LONG_MAX), "narrow: start 1 and length");
    CHECK_THROWS_WITH(xg::narrow(x, 0, LONG_MIN, 2), "narrow");
    BOOST_TEST(xg::narrow(x, 0, -2, 2).value() == (xt::xarray<float>{4, 5}));
    // a huge step takes the first element only (start + step never wraps)
    BOOST_TEST(xg::slice(x, 0, 1, 6, LONG_MAX).value() == (xt::xarray<float>{1}));
    BOOST_TEST(xg::slice(x, 0, LONG_MIN, LONG_MAX, 2).value() == (xt::xarray<float>{0, 2, 4}));
    BOOST_TEST(xg::slice(x, 0, -LONG_MAX, -4).value() == (xt::xarray<float>{0, 1}));
    BOOST_TEST(xg::slice(x, 0, 5, 2).numel() == 0u);
    CHECK_THROWS_WITH(xg::select(x, 0, LONG_MIN), "select: index");
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(xg::arange<float>(0, inf), "arange: start, end and step must be finite");
    CHECK_THROWS_WITH(xg::arange<float>(nan), "must be finite");
    CHECK_THROWS_WITH(xg::arange<float>(0, 1, nan), "must be finite");
    CHECK_THROWS_WITH(xg::arange<float>(-3e38f, 3e38f), "arange: too large");
    CHECK_THROWS_WITH(xg::arange<double>(0, 1e300, 1e-300), "arange: too large");
    CHECK_THROWS_WITH(xg::arange<float>(0, 5, -1), "wrong sign");
    CHECK_THROWS_WITH(xg::arange<float>(0, -0.5f, 1), "wrong sign");  // as PyTorch; ceil(-0.5) is -0.0
    BOOST_TEST(xg::arange<float>(5, 5).numel() == 0u);
    BOOST_TEST(xg::arange<float>(0, 1, 0.25f).numel() == 4u);
}

// ---- NaN and duplicates, as PyTorch ---------------------------------------------------

BOOST_AUTO_TEST_CASE(argmax_and_max_treat_nan_as_pytorch_does) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    auto x = xg::from_array(xt::xarray<float>{{1, nan, 3, nan}, {nan, 0, 5, 2}, {1, 4, 2, 4}});
    // torch.argmax: the first NaN; else the first maximum
    BOOST_TEST(xg::argmax(x, 1) == (IndexArray{1, 0, 1}));
    BOOST_TEST(xg::argmax(x, 0) == (IndexArray{1, 0, 1, 0}));
    auto m = xg::max(x, 1).value();
    BOOST_TEST(std::isnan(m(0)));
    BOOST_TEST(std::isnan(m(1)));
    BOOST_TEST(m(2) == 4.0f);
    BOOST_TEST(std::isnan(xg::max(x).item()));
    // torch.amax's gradient: NaN over a row whose max is NaN, shared among equal maxima elsewhere
    x.requires_grad_(true);
    xg::sum(xg::max(x, 1)).backward();
    const auto& g = x.grad();
    for (std::size_t j = 0; j < 4; ++j) BOOST_TEST((std::isnan(g(0, j)) && std::isnan(g(1, j))));
    BOOST_TEST((g(2, 0) == 0.0f && g(2, 1) == 0.5f && g(2, 2) == 0.0f && g(2, 3) == 0.5f));
}

BOOST_AUTO_TEST_CASE(flip_refuses_a_dim_named_twice) {
    auto x = xg::zeros({2, 3});
    CHECK_THROWS_WITH(xg::flip(x, {0, 0}), "flip: dim 0 appears twice");
    CHECK_THROWS_WITH(xg::flip(x, {1, -1}), "flip: dim -1 appears twice");
    BOOST_TEST(xg::flip(x, {0, 1}).shape() == (xg::Shape{2, 3}));
}

BOOST_AUTO_TEST_CASE(clipping_refuses_nan_and_negative_thresholds) {
    auto w = xg::ones({3}, true);
    w.set_grad(xt::xarray<float>{3, 4, 0});
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(xg::optim::clip_grad_norm({w}, nan), "clip_grad_norm: max_norm must be a number >= 0, got nan");
    CHECK_THROWS_WITH(xg::optim::clip_grad_norm({w}, -1.0), "max_norm must be a number >= 0, got -1");
    CHECK_THROWS_WITH(xg::optim::clip_grad_norm({w}, 1.0, nan), "norm_type must be positive");
    CHECK_THROWS_WITH(xg::optim::clip_grad_value({w}, nan), "clip_value must be a number >= 0, got nan");
    CHECK_THROWS_WITH(xg::optim::clip_grad_value({w}, -1.0), "clip_value must be a number >= 0");
    BOOST_TEST(w.grad() == (xt::xarray<float>{3, 4, 0}));  // untouched by the refused calls
    BOOST_TEST(xg::optim::clip_grad_norm({w}, 1.0) == 5.0f);
}

// ---- modules with many parameters -----------------------------------------------------

struct Wide : xg::nn::Module {
    explicit Wide(std::size_t n) {
        // (not "p" + to_string(i): a GCC 12 -Wrestrict false positive)
        for (std::size_t i = 0; i < n; ++i) register_parameter(std::to_string(i).insert(0, 1, 'p'), xg::zeros({1}));
    }
    void add(const std::string& name) { register_parameter(name, xg::zeros({1})); }
    void register_parameter_for_test(const std::string& name, const xg::Tensor& t) { register_parameter(name, t); }
    void add_child(const std::string& name) { register_module(name, std::make_shared<xg::nn::Linear>(xg::nn::LinearOptions(1, 1))); }
};

BOOST_AUTO_TEST_CASE(names_stay_unique_in_a_module_of_many_parameters) {
    // 50,000 names: 1.25e9 comparisons when each registration scanned the others (no time is
    // asserted here: the suite's timeout is the only guard; the duplicate checks are the test)
    Wide w(50000);
    BOOST_TEST(w.named_parameters().size() == 50000u);
    BOOST_TEST(w.named_parameters()[49999].first == "p49999");
    CHECK_THROWS_WITH(w.add("p123"), "parameter \"p123\" registered twice");
    w.add_child("child");
    CHECK_THROWS_WITH(w.add("child"), "\"child\" is already a child module");
    CHECK_THROWS_WITH(w.add_child("p7"), "\"p7\" is already a parameter");
    CHECK_THROWS_WITH(w.add_child("child"), "module \"child\" registered twice");
    // a refused registration takes no name: the same name registers afterwards
    auto non_leaf = xg::ones({1}, true) * 2.0f;
    BOOST_CHECK_THROW(w.register_parameter_for_test("q", non_leaf), xg::Error);
    BOOST_CHECK_NO_THROW(w.register_parameter_for_test("q", non_leaf.detach()));
}

// ---- files that are not regular files ---------------------------------------------------

BOOST_AUTO_TEST_CASE(readers_refuse_a_fifo_instead_of_waiting_for_a_writer) {
    const auto dir = std::filesystem::temp_directory_path() / ("xg_fifo_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string fifo = (dir / "weights.safetensors").string();
    BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_WITH(xg::read_file(fifo), "not a regular file");
    CHECK_THROWS_WITH(xg::nn::SafetensorsReader{fifo}, "not a regular file");
    xg::nn::Linear lin(xg::nn::LinearOptions(2, 2));
    CHECK_THROWS_WITH(xg::nn::load(lin, fifo), "not a regular file");
    CHECK_THROWS_WITH(xg::data::Vocab::load(fifo), "not a regular file");
    std::filesystem::create_directories(dir / "ckpt");
    BOOST_TEST_REQUIRE(::mkfifo((dir / "ckpt" / "checkpoint.json").c_str(), 0600) == 0);
    CHECK_THROWS_WITH(xg::optim::read_checkpoint_meta((dir / "ckpt").string()), "not a regular file");
    std::filesystem::remove_all(dir);
}

// ---- recurrent layers ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(recurrent_layers_take_an_empty_batch_and_refuse_an_empty_sequence_as_pytorch) {
    xg::nn::LSTM lstm(xg::nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true));
    auto x = xg::zeros({5, 0, 3}, true);
    auto [y, state] = lstm.forward(x);
    BOOST_TEST(y.shape() == (xg::Shape{5, 0, 8}));
    BOOST_TEST(state.h.shape() == (xg::Shape{4, 0, 4}));
    BOOST_TEST(state.c.shape() == (xg::Shape{4, 0, 4}));
    xg::sum(y).backward();
    BOOST_TEST(x.has_grad());
    BOOST_TEST(x.grad().shape() == (xg::Shape{5, 0, 3}));
    for (auto& p : lstm.parameters()) BOOST_TEST(xt::all(xt::equal(p.grad(), 0.0f)));
    // PyTorch: "Expected sequence length to be larger than 0 in RNN"
    CHECK_THROWS_WITH(lstm.forward(xg::zeros({0, 2, 3})), "has no time steps");

    xg::nn::GRU gru(xg::nn::GRUOptions(3, 4));
    auto [gy, gh] = gru.forward(xg::zeros({5, 0, 3}));
    BOOST_TEST(gy.shape() == (xg::Shape{5, 0, 4}));
    BOOST_TEST(gh.shape() == (xg::Shape{1, 0, 4}));
    CHECK_THROWS_WITH(gru.forward(xg::zeros({0, 2, 3})), "has no time steps");
    xg::nn::RNN rnn(xg::nn::RNNOptions(3, 4));
    BOOST_TEST(rnn.forward(xg::zeros({5, 0, 3})).output.shape() == (xg::Shape{5, 0, 4}));
    CHECK_THROWS_WITH(rnn.forward(xg::zeros({0, 2, 3})), "has no time steps");

    xg::nn::LSTMCell cell(xg::nn::LSTMCellOptions(3, 4));
    auto [h, c] = cell.forward(xg::zeros({0, 3}));
    BOOST_TEST(h.shape() == (xg::Shape{0, 4}));
    BOOST_TEST(c.shape() == (xg::Shape{0, 4}));
}

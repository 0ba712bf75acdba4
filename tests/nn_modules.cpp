// Linear, Embedding and Sequential: gradient checks in double; Module's bookkeeping:
// dotted parameter names, children by member and by shared_ptr, name checks,
// train()/eval(), zero_grad, counts, repr() and summary(); option errors.
#define BOOST_TEST_MODULE nn_modules
#include "common.hpp"

#include <array>
#include <limits>
#include <span>

#include <xtensor/xview.hpp>

using namespace test;
using V = std::vector<TensorD>;
namespace nn = xg::nn;

namespace {

// Exposes Module's protected registration, to test its checks.
struct Probe : nn::Module {
    using nn::Module::register_module;
    using nn::Module::register_parameter;
};

// A model holding children both ways: members registered by reference, and a shared_ptr.
struct Encoder : nn::Module {
    nn::Embedding embed{nn::EmbeddingOptions(10, 4).padding_idx(0)};
    nn::LSTM encoder{nn::LSTMOptions(4, 6).num_layers(2).bidirectional(true)};
    Encoder() {
        register_module("embed", embed);
        register_module("encoder", encoder);
    }
};

struct Model : nn::Module {
    Encoder enc;
    std::shared_ptr<nn::Sequential> head;
    Model() {
        register_module("enc", enc);
        head = register_module("head", std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(nn::LinearOptions(12, 5)),
                                                                        std::make_shared<nn::Tanh>(),
                                                                        std::make_shared<nn::Dropout>(0.5)));
    }
    xg::Tensor forward(const xg::IndexArray& ids) {
        auto [out, state] = enc.encoder.forward(enc.embed(ids));
        return head->forward(out);
    }
};

std::vector<std::string> names_of(const nn::Module& m) {
    std::vector<std::string> out;
    for (auto& [n, p] : m.named_parameters()) out.push_back(n);
    return out;
}

}  // namespace

// ---- gradient checks (double) ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(linear_gradient) {
    xg::manual_seed(1);
    nn::LinearT<double> lin(nn::LinearOptions(4, 3));
    check_gradient([&](const V& in) { return lin(in[0]); }, {param({5, 4}), lin.weight, lin.bias});
    check_gradient([&](const V& in) { return lin(in[0]); }, {param({2, 3, 4}), lin.weight, lin.bias});  // 3-D input
    check_gradient([&](const V& in) { return lin(in[0]); }, {param({4}), lin.weight, lin.bias});        // 1-D input
    nn::LinearT<double> nobias(nn::LinearOptions(3, 2).bias(false));
    BOOST_TEST(!nobias.bias.defined());
    BOOST_TEST(nobias.named_parameters().size() == 1u);
    check_gradient([&](const V& in) { return nobias(in[0]); }, {param({2, 2, 3}), nobias.weight});
    // y = x W^T + b, by hand
    auto x = xg::from_array<double>({{1.0, 2.0, 3.0}});
    nobias.weight.value() = xt::xarray<double>{{1, 0, -1}, {0.5, 0.5, 0.5}};
    CHECK_CLOSE_ARRAYS(nobias(x).value(), (xt::xarray<double>{{-2.0, 3.0}}), 0, 1e-15);
}

BOOST_AUTO_TEST_CASE(embedding_gradient) {
    xg::manual_seed(2);
    // repeated ids accumulate into their row
    nn::EmbeddingT<double> emb(nn::EmbeddingOptions(6, 3));
    const xg::IndexArray ids = {{1, 4, 1}, {5, 1, 0}};
    check_gradient([&](const V&) { return emb(ids); }, {emb.weight});
    // with a padding row the other rows still check (ids without the padding id)
    nn::EmbeddingT<double> pad(nn::EmbeddingOptions(6, 3).padding_idx(2));
    check_gradient([&](const V&) { return pad(ids); }, {pad.weight});
}

BOOST_AUTO_TEST_CASE(embedding_padding_row_gets_no_gradient) {
    xg::manual_seed(3);
    nn::Embedding emb(nn::EmbeddingOptions(5, 3).padding_idx(-1));  // row 4
    BOOST_TEST(xt::amax(xt::abs(xt::view(emb.weight.value(), 4)))() == 0.f);  // starts at zero
    BOOST_TEST(xt::amax(xt::abs(xt::view(emb.weight.value(), 0)))() > 0.f);
    const xg::IndexArray ids = {4, 1, 4, 1, 1, 0};
    xg::Tensor y = emb(ids);
    BOOST_TEST((y.shape() == Shape{6, 3}));
    xg::sum(y).backward();
    const auto& g = emb.weight.grad();
    BOOST_TEST(xt::amax(xt::abs(xt::view(g, 4)))() == 0.f);
    CHECK_CLOSE_ARRAYS(xt::view(g, 1), xt::xarray<float>({3.f, 3.f, 3.f}), 0, 0);  // used three times
    CHECK_CLOSE_ARRAYS(xt::view(g, 0), xt::xarray<float>({1.f, 1.f, 1.f}), 0, 0);
    CHECK_CLOSE_ARRAYS(xt::view(g, 2), xt::xarray<float>({0.f, 0.f, 0.f}), 0, 0);
    // the padding row's value is used as it is (zero at start), as PyTorch's
    CHECK_CLOSE_ARRAYS(xt::view(y.value(), 0), xt::view(emb.weight.value(), 4), 0, 0);
}

BOOST_AUTO_TEST_CASE(embedding_from_pretrained) {
    const xt::xarray<float> w = {{1, 2}, {3, 4}, {5, 6}};
    auto frozen = nn::Embedding::from_pretrained(w);  // freeze by default
    BOOST_TEST(!frozen->weight.requires_grad());
    BOOST_TEST(frozen->weight.value() == w);
    xg::Tensor y = frozen->forward(xg::IndexArray{2, 0});
    BOOST_TEST(!y.requires_grad());
    CHECK_CLOSE_ARRAYS(y.value(), (xt::xarray<float>{{5, 6}, {1, 2}}), 0, 0);
    // frozen rows feeding a trainable layer: the layer trains, the table does not
    nn::Linear lin(nn::LinearOptions(2, 1));
    xg::sum(lin(y)).backward();
    BOOST_TEST(lin.weight.has_grad());
    BOOST_TEST(!frozen->weight.has_grad());
    BOOST_TEST(frozen->summary().find("(trainable: 0)") != std::string::npos);

    auto trainable = nn::Embedding::from_pretrained(w, /*freeze=*/false, /*padding_idx=*/1);
    BOOST_TEST(trainable->weight.requires_grad());
    BOOST_TEST(trainable->weight.value() == w);  // the given padding row is kept, as PyTorch's
    BOOST_TEST(trainable->repr() == "Embedding(3, 2, padding_idx=1)");
    xg::sum(trainable->forward(xg::IndexArray{1, 2, 1})).backward();
    CHECK_CLOSE_ARRAYS(trainable->weight.grad(), (xt::xarray<float>{{0, 0}, {0, 0}, {1, 1}}), 0, 0);
    CHECK_THROWS_WITH(nn::Embedding::from_pretrained(xt::xarray<float>{1, 2, 3}), "weights must be 2-D");
}

BOOST_AUTO_TEST_CASE(sequential_gradient) {
    xg::manual_seed(4);
    auto l1 = std::make_shared<nn::LinearT<double>>(nn::LinearOptions(3, 5));
    auto l2 = std::make_shared<nn::LinearT<double>>(nn::LinearOptions(5, 4));
    auto l3 = std::make_shared<nn::LinearT<double>>(nn::LinearOptions(4, 2).bias(false));
    nn::SequentialT<double> seq(l1, std::make_shared<nn::TanhT<double>>(), l2, std::make_shared<nn::ReLUT<double>>(),
                                std::make_shared<nn::DropoutT<double>>(0.5), l3);
    BOOST_TEST(seq.size() == 6u);
    const std::vector<std::string> want = {"0.weight", "0.bias", "2.weight", "2.bias", "5.weight"};
    std::vector<std::string> names;
    for (auto& [n, p] : seq.named_parameters()) names.push_back(n);
    BOOST_TEST(names == want, boost::test_tools::per_element());
    seq.eval();  // dropout is the identity
    V inputs{away_from_zero({4, 3})};
    for (auto& p : seq.parameters()) inputs.push_back(p);
    check_gradient([&](const V& in) { return seq(in[0]); }, inputs);
    // eval: the same as the layers by hand
    TensorD x = inputs[0];
    TensorD by_hand = (*l3)(xg::relu((*l2)(xg::tanh((*l1)(x)))));
    CHECK_CLOSE_ARRAYS(seq(x).value(), by_hand.value(), 0, 0);
    // train: dropout zeroes some and scales the rest by 2
    seq.train();
    auto drop = std::make_shared<nn::DropoutT<double>>(0.5);
    xg::manual_seed(5);
    TensorD ones = xg::ones<double>({200});
    auto dropped = drop->forward(ones).value();
    std::size_t zeros = 0;
    for (double v : dropped) {
        BOOST_TEST((v == 0.0 || v == 2.0));
        zeros += v == 0.0;
    }
    BOOST_TEST(zeros > 50u);
    BOOST_TEST(zeros < 150u);
    drop->eval();
    BOOST_TEST(drop->forward(ones).value() == ones.value());
}

// ---- Module bookkeeping -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(nested_named_parameters) {
    Model m;
    const std::vector<std::string> want = {
        "enc.embed.weight",
        "enc.encoder.weight_ih_l0", "enc.encoder.weight_hh_l0", "enc.encoder.bias_ih_l0", "enc.encoder.bias_hh_l0",
        "enc.encoder.weight_ih_l0_reverse", "enc.encoder.weight_hh_l0_reverse", "enc.encoder.bias_ih_l0_reverse",
        "enc.encoder.bias_hh_l0_reverse",
        "enc.encoder.weight_ih_l1", "enc.encoder.weight_hh_l1", "enc.encoder.bias_ih_l1", "enc.encoder.bias_hh_l1",
        "enc.encoder.weight_ih_l1_reverse", "enc.encoder.weight_hh_l1_reverse", "enc.encoder.bias_ih_l1_reverse",
        "enc.encoder.bias_hh_l1_reverse",
        "head.0.weight", "head.0.bias"};
    BOOST_TEST(names_of(m) == want, boost::test_tools::per_element());
    // one level down, the names are relative: "encoder.weight_ih_l0"
    BOOST_TEST(names_of(m.enc)[1] == "encoder.weight_ih_l0");
    // members and shared children are the same tensors, not copies
    BOOST_TEST(m.parameter("enc.encoder.weight_ih_l0").is_same(m.enc.encoder.parameter("weight_ih_l0")));
    BOOST_TEST(m.enc.parameter("embed.weight").is_same(m.enc.embed.weight));
    auto* lin = dynamic_cast<nn::Linear*>(m.head->named_children()[0].second);
    BOOST_REQUIRE(lin != nullptr);
    BOOST_TEST(m.parameter("head.0.bias").is_same(lin->bias));
    // children in registration order, non-recursive parameters only the module's own
    auto children = m.named_children();
    BOOST_REQUIRE(children.size() == 2u);
    BOOST_TEST(children[0].first == "enc");
    BOOST_TEST(children[0].second == static_cast<nn::Module*>(&m.enc));
    BOOST_TEST(children[1].first == "head");
    BOOST_TEST(children[1].second == static_cast<nn::Module*>(m.head.get()));
    BOOST_TEST(m.named_parameters(false).empty());
    BOOST_TEST(m.enc.embed.named_parameters(false).size() == 1u);
    BOOST_TEST(m.parameters().size() == want.size());
    CHECK_THROWS_WITH(m.parameter("enc.encoder.weight_ih_l2"), "Model: no parameter named \"enc.encoder.weight_ih_l2\"");
    // a shared child outlives the parent's handle to it
    std::weak_ptr<nn::Sequential> weak = m.head;
    BOOST_TEST(!weak.expired());
}

BOOST_AUTO_TEST_CASE(registration_checks) {
    Probe p;
    auto w = p.register_parameter("w", xg::zeros({2}));
    BOOST_TEST(w.requires_grad());
    auto frozen = p.register_parameter("frozen", xg::zeros({3}), /*requires_grad=*/false);
    BOOST_TEST(!frozen.requires_grad());
    nn::Linear lin(nn::LinearOptions(2, 2));
    p.register_module("lin", lin);
    auto shared = p.register_module("shared", std::make_shared<nn::Tanh>());
    BOOST_TEST(shared != nullptr);
    CHECK_THROWS_WITH(p.register_parameter("w", xg::zeros({2})), "parameter \"w\" registered twice");
    CHECK_THROWS_WITH(p.register_parameter("lin", xg::zeros({2})), "\"lin\" is already a child module");
    CHECK_THROWS_WITH(p.register_parameter("a.b", xg::zeros({2})), "parameter name \"a.b\" must be non-empty and contain no '.'");
    CHECK_THROWS_WITH(p.register_parameter("", xg::zeros({2})), "must be non-empty");
    CHECK_THROWS_WITH(p.register_parameter("empty", xg::Tensor()), "parameter \"empty\" is an empty tensor");
    nn::Linear other(nn::LinearOptions(2, 2));
    CHECK_THROWS_WITH(p.register_module("lin", other), "module \"lin\" registered twice");
    CHECK_THROWS_WITH(p.register_module("shared", std::make_shared<nn::ReLU>()), "module \"shared\" registered twice");
    CHECK_THROWS_WITH(p.register_module("w", other), "\"w\" is already a parameter");
    CHECK_THROWS_WITH(p.register_module("x.y", other), "module name \"x.y\" must be non-empty and contain no '.'");
    CHECK_THROWS_WITH(p.register_module("", other), "must be non-empty");
    CHECK_THROWS_WITH(p.register_module("null", std::shared_ptr<nn::Linear>()), "module \"null\" is null");
    CHECK_THROWS_WITH(p.parameter("nothing"), "no parameter named \"nothing\"");
    // the failed registrations left nothing behind
    BOOST_TEST(names_of(p) == (std::vector<std::string>{"w", "frozen", "lin.weight", "lin.bias"}),
               boost::test_tools::per_element());
    BOOST_TEST(p.named_children().size() == 2u);
    BOOST_CHECK_THROW(p.register_parameter("w", xg::zeros({2})), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(train_eval_recursive) {
    Model m;
    auto all_modes = [&](bool on) {
        bool ok = m.is_training() == on && m.enc.is_training() == on && m.enc.embed.is_training() == on &&
                  m.enc.encoder.is_training() == on && m.head->is_training() == on;
        for (auto& [n, c] : m.head->named_children()) ok = ok && c->is_training() == on;
        return ok;
    };
    BOOST_TEST(all_modes(true));  // modules start in training mode
    m.eval();
    BOOST_TEST(all_modes(false));
    m.train();
    BOOST_TEST(all_modes(true));
    m.train(false);
    BOOST_TEST(all_modes(false));
    // a child switched alone leaves its parent and siblings alone
    m.head->train();
    BOOST_TEST(m.head->named_children()[2].second->is_training());
    BOOST_TEST(!m.is_training());
    BOOST_TEST(!m.enc.encoder.is_training());
    // eval mode: the dropout in the head does nothing, so two runs agree
    m.eval();
    const xg::IndexArray ids = {{1, 2}, {3, 0}, {4, 4}};
    BOOST_TEST(m.forward(ids).value() == m.forward(ids).value());
}

BOOST_AUTO_TEST_CASE(zero_grad_and_counts) {
    xg::manual_seed(6);
    Model m;
    m.eval();
    xg::sum(m.forward(xg::IndexArray{{1, 2}, {3, 0}})).backward();
    std::size_t with_grad = 0;
    for (auto& p : m.parameters()) with_grad += xt::amax(xt::abs(p.grad()))() > 0.f;
    BOOST_TEST(with_grad == m.parameters().size());
    m.zero_grad();
    for (auto& [n, p] : m.named_parameters()) BOOST_TEST(xt::amax(xt::abs(p.grad()))() == 0.f, n);
    // gradients accumulate until zero_grad
    nn::Linear lin(nn::LinearOptions(3, 2));
    xg::Tensor x = xg::ones({1, 3});
    xg::sum(lin(x)).backward();
    xg::sum(lin(x)).backward();
    CHECK_CLOSE_ARRAYS(lin.bias.grad(), (xt::xarray<float>{2, 2}), 0, 0);
    lin.zero_grad();
    CHECK_CLOSE_ARRAYS(lin.bias.grad(), (xt::xarray<float>{0, 0}), 0, 0);

    // V*E + per layer and direction 4H(in + H) + 8H
    const std::size_t H = 6, lstm = 2 * (4 * H * (4 + H) + 8 * H) + 2 * (4 * H * (2 * H + H) + 8 * H);
    BOOST_TEST(m.enc.encoder.num_parameters() == lstm);
    BOOST_TEST(m.num_parameters() == 10 * 4 + lstm + 12 * 5 + 5);
    BOOST_TEST(nn::Tanh().num_parameters() == 0u);
    BOOST_TEST(nn::LSTM(nn::LSTMOptions(3, 4).proj_size(2).bias(false)).num_parameters() == 16u * 3 + 16 * 2 + 2 * 4);
}

BOOST_AUTO_TEST_CASE(repr_and_summary) {
    Model m;
    const std::string want =
        "Model(\n"
        "  (enc): Encoder(\n"
        "    (embed): Embedding(10, 4, padding_idx=0)\n"
        "    (encoder): LSTM(4, 6, num_layers=2, bidirectional=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): Linear(in_features=12, out_features=5, bias=True)\n"
        "    (1): Tanh()\n"
        "    (2): Dropout(p=0.5)\n"
        "  )\n"
        ")";
    BOOST_TEST(m.repr() == want);
    std::ostringstream os;
    os << m;
    BOOST_TEST(os.str() == want);
    BOOST_TEST(nn::Linear(nn::LinearOptions(3, 2).bias(false)).repr() == "Linear(in_features=3, out_features=2, bias=False)");
    BOOST_TEST(nn::GRU(nn::GRUOptions(3, 4).batch_first(true).bias(false)).repr() == "GRU(3, 4, bias=False, batch_first=True)");
    BOOST_TEST(nn::RNN(nn::RNNOptions(3, 4).nonlinearity("relu").dropout(0.25).num_layers(2)).repr() ==
               "RNN(3, 4, num_layers=2, nonlinearity='relu', dropout=0.25)");
    BOOST_TEST(nn::LSTMCell(nn::LSTMCellOptions(3, 4)).repr() == "LSTMCell(3, 4)");
    BOOST_TEST(nn::GRUCell(nn::GRUCellOptions(3, 4).bias(false)).repr() == "GRUCell(3, 4, bias=False)");
    BOOST_TEST(nn::RNNCell(nn::RNNCellOptions(3, 4).nonlinearity("relu")).repr() == "RNNCell(3, 4, nonlinearity='relu')");
    BOOST_TEST(nn::Flatten().repr() == "Flatten(start_dim=1, end_dim=-1)");
    BOOST_TEST(nn::Sequential().repr() == "Sequential()");

    m.enc.embed.weight.requires_grad_(false);  // frozen: counted, not trainable
    const std::string s = m.summary();
    BOOST_TEST(s.rfind(want + "\n", 0) == 0u, s);
    BOOST_TEST(s.find("  enc.embed.weight (10, 4) 40\n") != std::string::npos, s);
    BOOST_TEST(s.find("  enc.encoder.weight_hh_l1_reverse (24, 6) 144\n") != std::string::npos, s);
    BOOST_TEST(s.find("  head.0.bias (5) 5\n") != std::string::npos, s);
    const std::size_t total = m.num_parameters();
    BOOST_TEST(s.find("Total parameters: " + std::to_string(total) + " (trainable: " + std::to_string(total - 40) + ")") !=
                   std::string::npos,
               s);
}

BOOST_AUTO_TEST_CASE(option_errors) {
    CHECK_THROWS_WITH(nn::Linear(nn::LinearOptions(0, 3)), "Linear: in_features and out_features must be positive, got 0 and 3");
    CHECK_THROWS_WITH(nn::Linear(nn::LinearOptions(3, -1)), "Linear: in_features and out_features must be positive, got 3 and -1");
    CHECK_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions(0, 4)), "Embedding: num_embeddings and embedding_dim must be positive, got 0 and 4");
    CHECK_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions(5, -2)), "must be positive, got 5 and -2");
    CHECK_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions(5, 2).padding_idx(5)), "Embedding: padding_idx 5 must be within num_embeddings 5");
    CHECK_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions(5, 2).padding_idx(-6)), "padding_idx -6 must be within num_embeddings 5");
    CHECK_THROWS_WITH(nn::LSTM(nn::LSTMOptions(0, 4)), "LSTM: input_size and hidden_size must be positive, got 0 and 4");
    CHECK_THROWS_WITH(nn::GRU(nn::GRUOptions(3, 0)), "GRU: input_size and hidden_size must be positive, got 3 and 0");
    CHECK_THROWS_WITH(nn::RNN(nn::RNNOptions(-1, 2)), "RNN: input_size and hidden_size must be positive");
    CHECK_THROWS_WITH(nn::LSTM(nn::LSTMOptions(3, 4).num_layers(0)), "LSTM: num_layers must be at least 1, got 0");
    CHECK_THROWS_WITH(nn::GRU(nn::GRUOptions(3, 4).dropout(1.5)), "GRU: dropout should be a number in range [0, 1], got 1.5");
    CHECK_THROWS_WITH(nn::LSTM(nn::LSTMOptions(3, 4).proj_size(-1)), "LSTM: proj_size should be a positive integer or zero");
    CHECK_THROWS_WITH(nn::LSTMCell(nn::LSTMCellOptions(0, 4)), "LSTMCell: input_size and hidden_size must be positive, got 0 and 4");
    CHECK_THROWS_WITH(nn::GRUCell(nn::GRUCellOptions(3, -4)), "GRUCell: input_size and hidden_size must be positive");
    CHECK_THROWS_WITH(nn::RNNCell(nn::RNNCellOptions(3, 4).nonlinearity("gelu")), "RNNCell: unknown nonlinearity 'gelu'");
    const xg::Tensor x = xg::randn({2, 3}), h = xg::zeros({2, 4}), w_ih = xg::randn({4, 3}), w_hh = xg::randn({4, 4});
    CHECK_THROWS_WITH(nn::rnn_cell(x, h, w_ih, w_hh, xg::Tensor(), xg::Tensor(), "gelu"), "rnn_cell: unknown nonlinearity 'gelu'");
    CHECK_THROWS_WITH(nn::Dropout(1.5), "Dropout: probability has to be between 0 and 1, but got 1.5");
    CHECK_THROWS_WITH(nn::Dropout(-0.1), "Dropout: probability has to be between 0 and 1");
    BOOST_CHECK_THROW(nn::Linear(nn::LinearOptions(0, 3)), std::invalid_argument);
    // input errors say expected vs got
    nn::Linear lin(nn::LinearOptions(4, 2));
    CHECK_THROWS_WITH(lin(xg::zeros({3, 5})), "Linear: expected input with last dimension 4, got shape (3, 5)");
}

// ---- nn::init: the torch.nn.init formulas, checked on large draws --------------------------

namespace {

namespace init = nn::init;

struct Moments {
    double mean = 0, std = 0, max_abs = 0;
};

template <class A>
Moments moments(const A& a) {
    Moments m;
    for (auto v : a) {
        m.mean += double(v);
        m.max_abs = std::max(m.max_abs, std::abs(double(v)));
    }
    m.mean /= double(a.size());
    for (auto v : a) m.std += (double(v) - m.mean) * (double(v) - m.mean);
    m.std = std::sqrt(m.std / double(a.size() - 1));
    return m;
}

// std within 2% of `expected` and mean near 0 (a draw of >= 100k elements is within 0.5%)
#define CHECK_STD(t, expected)                                                                                        \
    do {                                                                                                              \
        const Moments m_ = moments((t).value());                                                                      \
        BOOST_TEST(std::abs(m_.std / (expected)-1) < 0.02, "std " << m_.std << ", expected " << (expected));          \
        BOOST_TEST(std::abs(m_.mean) < 0.02 * (expected), "mean " << m_.mean);                                        \
    } while (0)

// rows x cols view of t's values as a double matrix product: (W W^T) if rows_side else (W^T W)
xt::xarray<double> gram(const xt::xarray<double>& w, bool rows_side) {
    const std::size_t r = w.shape()[0], c = w.shape()[1];
    const std::size_t n = rows_side ? r : c;
    xt::xarray<double> g = xt::zeros<double>({n, n});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t k = 0; k < (rows_side ? c : r); ++k)
                g(i, j) += rows_side ? w(i, k) * w(j, k) : w(k, i) * w(k, j);
    return g;
}

}  // namespace

BOOST_AUTO_TEST_CASE(init_calculate_gain) {
    using NL = init::Nonlinearity;
    BOOST_TEST(init::calculate_gain(NL::Linear) == 1.0);
    BOOST_TEST(init::calculate_gain(NL::Conv2D) == 1.0);
    BOOST_TEST(init::calculate_gain(NL::Sigmoid) == 1.0);
    BOOST_TEST(init::calculate_gain(NL::Tanh) == 5.0 / 3.0);
    BOOST_TEST(init::calculate_gain(NL::ReLU) == std::sqrt(2.0));
    BOOST_TEST(init::calculate_gain(NL::LeakyReLU) == std::sqrt(2.0 / (1 + 0.01 * 0.01)));
    BOOST_TEST(std::abs(init::calculate_gain(NL::LeakyReLU, 0.2) - std::sqrt(2.0 / 1.04)) < 1e-15);
    BOOST_TEST(init::calculate_gain(NL::SELU) == 0.75);
}

BOOST_AUTO_TEST_CASE(init_kaiming_uniform) {
    xg::manual_seed(11);
    // defaults: leaky_relu with a = 0 (gain sqrt(2)), fan_in = 250
    xg::Tensor w = xg::zeros({400, 250});
    init::kaiming_uniform_(w);
    double bound = std::sqrt(2.0) * std::sqrt(3.0 / 250);
    BOOST_TEST(moments(w.value()).max_abs <= bound);
    BOOST_TEST(moments(w.value()).max_abs > 0.99 * bound);  // it uses the whole range
    CHECK_STD(w, bound / std::sqrt(3.0));
    // fan_out of a (out, in, k, k) weight: 64 * 3 * 3; relu ignores a
    xg::Tensor conv = xg::zeros({64, 200, 3, 3});
    init::kaiming_uniform_(conv, 0.7, init::FanMode::FanOut, init::Nonlinearity::ReLU);
    bound = std::sqrt(2.0) * std::sqrt(3.0 / 576);
    BOOST_TEST(moments(conv.value()).max_abs <= bound);
    CHECK_STD(conv, bound / std::sqrt(3.0));
    // leaky_relu with slope a = 0.5: gain sqrt(2 / 1.25)
    xg::TensorD d = xg::zeros<double>({300, 400});
    init::kaiming_uniform_(d, 0.5);
    CHECK_STD(d, std::sqrt(2.0 / 1.25) / std::sqrt(400.0));
}

BOOST_AUTO_TEST_CASE(init_kaiming_normal_and_xavier_normal) {
    xg::manual_seed(12);
    xg::Tensor w = xg::zeros({500, 300});
    init::kaiming_normal_(w);
    CHECK_STD(w, std::sqrt(2.0) / std::sqrt(300.0));
    xg::Tensor t = xg::zeros({300, 80, 5});
    init::kaiming_normal_(t, 0.0, init::FanMode::FanOut, init::Nonlinearity::Tanh);  // fan_out 300 * 5
    CHECK_STD(t, 5.0 / 3.0 / std::sqrt(1500.0));
    xg::Tensor x = xg::zeros({300, 500});
    init::xavier_normal_(x, 2.0);
    CHECK_STD(x, 2.0 * std::sqrt(2.0 / 800.0));
    // xavier_uniform_ takes (out, in, k...) too: fan_in 30 * 4, fan_out 200 * 4
    xg::Tensor u = xg::zeros({200, 30, 4});
    init::xavier_uniform_(u);
    const double a = std::sqrt(6.0 / 920.0);
    BOOST_TEST(moments(u.value()).max_abs <= a);
    BOOST_TEST(moments(u.value()).max_abs > 0.99 * a);
}

BOOST_AUTO_TEST_CASE(init_fan_errors) {
    // torch raises for tensors with fewer than 2 dimensions; kaiming leaves an empty one alone
    xg::Tensor v = xg::zeros({5});
    CHECK_THROWS_WITH(init::kaiming_uniform_(v),
                      "kaiming_uniform_: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape (5)");
    CHECK_THROWS_WITH(init::kaiming_normal_(xg::zeros({})), "kaiming_normal_: fan in and fan out can not be computed");
    CHECK_THROWS_WITH(init::xavier_normal_(v), "xavier_normal_: fan in and fan out can not be computed");
    CHECK_THROWS_WITH(init::xavier_uniform_(v), "xavier_uniform_: fan in and fan out can not be computed");
    CHECK_THROWS_WITH(init::orthogonal_(v), "orthogonal_: only tensors with 2 or more dimensions are supported, got shape (5)");
    BOOST_CHECK_THROW(init::orthogonal_(v), std::invalid_argument);
    BOOST_CHECK_NO_THROW(init::kaiming_uniform_(xg::zeros({0})));
    BOOST_CHECK_NO_THROW(init::orthogonal_(xg::zeros({0, 3})));
}

BOOST_AUTO_TEST_CASE(init_orthogonal) {
    // (rows, cols...) -> W W^T = gain^2 I for rows <= cols, W^T W = gain^2 I for rows > cols
    const std::vector<std::pair<Shape, double>> cases = {{{64, 256}, 1.0}, {{256, 64}, 1.0}, {{120, 120}, 1.5}, {{8, 4, 5}, 2.0}, {{30, 1}, 1.0}};
    for (const auto& [shape, gain] : cases) {
        BOOST_TEST_CONTEXT(xg::shape_str(shape) << " gain " << gain) {
            xg::manual_seed(13);
            xg::Tensor w = xg::zeros(shape);
            init::orthogonal_(w, gain);
            const std::size_t rows = shape[0], cols = w.numel() / rows;
            xt::xarray<double> m = xt::cast<double>(w.value());
            m.reshape({rows, cols});
            const auto g = gram(m, rows <= cols);
            xt::xarray<double> expected = gain * gain * xt::eye<double>(g.shape()[0]);
            CHECK_CLOSE_ARRAYS(g, expected, 0.0, 1e-5);
            // the same seed gives the same matrix
            xg::manual_seed(13);
            xg::Tensor again = xg::zeros(shape);
            init::orthogonal_(again, gain);
            BOOST_TEST(again.value() == w.value());
        }
    }
}

BOOST_AUTO_TEST_CASE(init_orthogonal_recurrent_weights) {
    // docs/nn.md's example: a stacked (4H, H) weight becomes orthogonal as a whole
    nn::LSTM lstm(nn::LSTMOptions(4, 5));
    for (auto& [name, p] : lstm.named_parameters())
        if (name.starts_with("weight_hh")) nn::init::orthogonal_(p);
    const auto g = gram(xt::cast<double>(lstm.named_parameters()[1].second.value()), false);
    BOOST_TEST(lstm.named_parameters()[1].first == "weight_hh_l0");
    CHECK_CLOSE_ARRAYS(g, xt::eval(xt::eye<double>(5)), 0.0, 1e-5);
}

BOOST_AUTO_TEST_CASE(init_orthogonal_is_torchs_q) {
    // torch: A ~ N(0, 1) of shape (rows, cols) (transposed if rows < cols), A = QR, W = Q diag(sign(diag R)).
    // So W^T A (or W A^T) is R with a positive diagonal: upper triangular, diagonal > 0.
    for (const Shape& shape : {Shape{40, 12}, Shape{12, 40}}) {
        BOOST_TEST_CONTEXT(xg::shape_str(shape)) {
            xg::manual_seed(14);
            xg::TensorD a = xg::zeros<double>(shape);
            init::normal_(a);  // the draws orthogonal_ makes, in the same order
            xg::manual_seed(14);
            xg::TensorD w = xg::zeros<double>(shape);
            init::orthogonal_(w);
            const bool tall = shape[0] >= shape[1];
            const std::size_t n = std::min(shape[0], shape[1]), len = std::max(shape[0], shape[1]);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j <= i; ++j) {
                    double r = 0;  // R(j, i) (upper) and R(i, j) (lower, must be 0)
                    double lower = 0;
                    for (std::size_t k = 0; k < len; ++k) {
                        r += tall ? w.value()(k, j) * a.value()(k, i) : w.value()(j, k) * a.value()(i, k);
                        lower += tall ? w.value()(k, i) * a.value()(k, j) : w.value()(i, k) * a.value()(j, k);
                    }
                    if (i == j) BOOST_TEST(r > 0.1, "R(" << i << ", " << i << ") = " << r);
                    else BOOST_TEST(std::abs(lower) < 1e-10, "R(" << i << ", " << j << ") = " << lower);
                }
        }
    }
}

// ---- a PyTorch user's idioms (issue 22) ----------------------------------------------

BOOST_AUTO_TEST_CASE(every_module_is_callable_with_its_forwards_arguments) {
    xg::manual_seed(3);
    nn::LSTM lstm(nn::LSTMOptions(3, 4, 2));  // num_layers positional, as torch.nn.LSTM(3, 4, 2)
    BOOST_TEST(lstm.options().num_layers() == 2);
    const xg::Tensor x = xg::randn({5, 2, 3});
    const nn::Lengths lengths{5, 3};
    auto [y1, s1] = lstm(x);
    auto [y2, s2] = lstm.forward(x);
    BOOST_TEST(y1.value() == y2.value());
    auto [y3, s3] = lstm(x, s1, lengths);
    auto [y4, s4] = lstm.forward(x, s1, lengths);
    BOOST_TEST(y3.value() == y4.value());
    BOOST_TEST(s3.c.value() == s4.c.value());

    nn::GRU gru(nn::GRUOptions(3, 4, 1));
    auto [g1, h1] = gru(x);
    BOOST_TEST(g1.value() == gru.forward(x).output.value());
    auto [g2, h2] = gru(x, h1, lengths);
    BOOST_TEST(h2.value() == gru.forward(x, h1, lengths).h.value());
    nn::RNN rnn(nn::RNNOptions(3, 4));
    BOOST_TEST(rnn(x).output.value() == rnn.forward(x).output.value());
    BOOST_TEST(rnn(x, nn::RecurrentState{h1, {}}).output.value() == rnn.forward(x, nn::RecurrentState{h1, {}}).output.value());

    const xg::Tensor x0 = xg::randn({2, 3});
    nn::LSTMCell lstm_cell(nn::LSTMCellOptions(3, 4));
    BOOST_TEST(lstm_cell(x0).h.value() == lstm_cell.forward(x0).h.value());
    nn::GRUCell gru_cell(nn::GRUCellOptions(3, 4));
    BOOST_TEST(gru_cell(x0).value() == gru_cell.forward(x0).value());
    nn::RNNCell rnn_cell(nn::RNNCellOptions(3, 4));
    const xg::Tensor h = xg::randn({2, 4});
    BOOST_TEST(rnn_cell(x0, h).value() == rnn_cell.forward(x0, h).value());
    nn::Sequential seq(std::make_shared<nn::Linear>(nn::LinearOptions(3, 2)), std::make_shared<nn::ReLU>());
    BOOST_TEST(seq(x0).value() == seq.forward(x0).value());
}

BOOST_AUTO_TEST_CASE(shapes_and_dims_take_any_mix_of_integer_types) {
    const xg::Tensor x = xg::arange(0.0f, 24.0f);
    const long n = 2;
    const std::size_t three = 3;
    const int minus_one = -1;
    BOOST_TEST(xg::reshape(x, {n, three, minus_one}).shape() == xg::Shape({2, 3, 4}));
    BOOST_TEST(xg::view(x, {n, 1, -1}).shape() == xg::Shape({2, 1, 12}));
    BOOST_TEST(xg::view(x, {three, 8u}).value() == xg::reshape(x, {3, 8}).value());
    const xg::Tensor y = xg::reshape(x, {n, three, 4});
    BOOST_TEST(xg::permute(y, {three - 1, std::size_t(0), 1}).shape() == xg::Shape({4, 2, 3}));
    BOOST_TEST(xg::flip(y, {n - 1}).value() == xg::flip(y, std::vector<long>{1}).value());
    BOOST_TEST(xg::zeros({n, three}).shape() == xg::Shape({2, 3}));
    BOOST_CHECK_THROW(xg::reshape(x, {std::numeric_limits<std::size_t>::max(), std::size_t(1)}), xg::Error);
}

BOOST_AUTO_TEST_CASE(values_come_out_as_libtorch_spells_it) {
    const xg::Tensor loss = xg::sum(xg::full({2, 2}, 0.75f));
    BOOST_TEST(loss.item<float>() == 3.0f);
    BOOST_TEST(loss.item<double>() == 3.0);
    BOOST_TEST(loss.item<int>() == 3);
    const xg::Tensor t = xg::reshape(xg::arange(0.0f, 6.0f), {2, 3});
    BOOST_TEST(t.to_vector() == std::vector<float>({0, 1, 2, 3, 4, 5}));
    BOOST_TEST(t.size(0) == 2u);
    BOOST_TEST(t.size(-1) == 3u);
}

BOOST_AUTO_TEST_CASE(loss_modules_are_their_functions_with_options) {
    xg::manual_seed(5);
    const TensorD logits = xg::randn<double>({4, 3}, true);
    const xg::IndexArray target = {2, 0, 1, 2};
    const TensorD w(xt::xarray<double>{0.5, 1.0, 2.0});
    const auto ce_options = nn::CrossEntropyLossOptionsT<double>().weight(w).label_smoothing(0.1).ignore_index(1);
    nn::CrossEntropyLossT<double> ce(ce_options);
    BOOST_TEST(ce(logits, target).item() == xg::cross_entropy(logits, target, ce_options).item());
    nn::CrossEntropyLossT<double> ce_sum(nn::CrossEntropyLossOptionsT<double>().reduction(xg::Reduction::Sum));
    BOOST_TEST(ce_sum(logits, target).item() == xg::cross_entropy(logits, target, -100, xg::Reduction::Sum).item());

    const TensorD log_probs = xg::log_softmax(logits, 1);
    nn::NLLLossT<double> nll(nn::NLLLossOptions().ignore_index(0));
    BOOST_TEST(nll(log_probs, target).item() == xg::nll_loss(log_probs, target, 0).item());

    const TensorD y(xt::xarray<double>{{1, 0, 1}, {0, 0, 1}, {1, 1, 0}, {0, 1, 0}});
    const TensorD pos_weight(xt::xarray<double>{2.0, 1.0, 0.5});
    nn::BCEWithLogitsLossT<double> bce(nn::BCEWithLogitsLossOptionsT<double>().pos_weight(pos_weight));
    BOOST_TEST(bce(logits, y).item() ==
               xg::binary_cross_entropy_with_logits(logits, y, xg::BinaryCrossEntropyWithLogitsFuncOptions<double>().pos_weight(pos_weight)).item());

    nn::MSELossT<double> mse(nn::MSELossOptions().reduction(xg::Reduction::Sum));
    BOOST_TEST(mse(logits, y).item() == xg::mse_loss(logits, y, xg::Reduction::Sum).item());
    // and their gradients, in double
    check_gradient([&](const V& in) { return ce(in[0], target); }, {logits});
    check_gradient([&](const V& in) { return bce(in[0], y); }, {logits});
    BOOST_TEST(ce.type_name() == "CrossEntropyLoss");
}

BOOST_AUTO_TEST_CASE(token_ids_are_made_and_read_without_xtensor) {
    const std::vector<int> ids{4, 0, 2, 3, 1, 2};
    const xg::IndexArray flat = xg::long_tensor(ids);
    BOOST_TEST(xg::numel(flat) == 6u);
    BOOST_TEST(xg::size(flat, 0) == 6u);
    const xg::IndexArray batch = xg::long_tensor(ids, {2, 3});
    BOOST_TEST(xg::size(batch, 0) == 2u);
    BOOST_TEST(xg::size(batch, -1) == 3u);
    BOOST_TEST(xg::to_vector(batch) == std::vector<std::int64_t>({4, 0, 2, 3, 1, 2}));
    BOOST_TEST(xg::item<int>(xg::long_tensor({7})) == 7);
    BOOST_TEST(xg::item(xg::long_tensor({-7})) == -7);
    const std::array<std::uint16_t, 2> raw{5, 6};
    BOOST_TEST(xg::to_vector(xg::long_tensor(std::span<const std::uint16_t>(raw))) == std::vector<std::int64_t>({5, 6}));
    BOOST_CHECK_THROW(xg::long_tensor(ids, {4, 2}), xg::Error);
    BOOST_CHECK_THROW(xg::size(batch, 2), xg::Error);
    BOOST_CHECK_THROW(xg::item(batch), xg::Error);
    BOOST_CHECK_THROW(xg::long_tensor(std::vector<std::uint64_t>{std::uint64_t(1) << 63}), xg::Error);

    // what Embedding, cross_entropy and nll_loss take
    xg::manual_seed(1);
    nn::Embedding embedding(nn::EmbeddingOptions(5, 3));
    const xg::Tensor e = embedding(batch);
    BOOST_TEST(e.shape() == xg::Shape({2, 3, 3}));
    const xg::Tensor logits = xg::randn({6, 5});
    BOOST_TEST(std::isfinite(xg::cross_entropy(logits, flat).item()));
    BOOST_TEST(std::isfinite(xg::nll_loss(xg::log_softmax(logits, 1), flat).item()));
}

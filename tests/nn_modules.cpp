// Linear, Embedding and Sequential: gradient checks in double; Module's bookkeeping:
// dotted parameter names, children by member and by shared_ptr, name checks,
// train()/eval(), zero_grad, counts, repr() and summary(); option errors.
#define BOOST_TEST_MODULE nn_modules
#include "common.hpp"

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
    CHECK_THROWS_WITH(nn::Dropout(1.5), "Dropout: probability has to be between 0 and 1, but got 1.5");
    CHECK_THROWS_WITH(nn::Dropout(-0.1), "Dropout: probability has to be between 0 and 1");
    BOOST_CHECK_THROW(nn::Linear(nn::LinearOptions(0, 3)), std::invalid_argument);
    // input errors say expected vs got
    nn::Linear lin(nn::LinearOptions(4, 2));
    CHECK_THROWS_WITH(lin(xg::zeros({3, 5})), "Linear: expected input with last dimension 4, got shape (3, 5)");
}

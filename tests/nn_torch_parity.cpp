// xgrad's modules against PyTorch 1.13 (float32): the fixtures hold, per configuration,
// the weights under torch's state_dict names, inputs, initial states, lengths, the
// outputs, a random projection per output and the gradients of
//   loss = sum(out * proj.out) + sum(h_n * proj.h_n) + ...
// with respect to the input, the initial state and every parameter. Made by
// tests/fixtures/make_nn_fixtures.py (see there for the layout); torch is not needed here.
// Each case prints the largest difference it saw (--log_level=message).
#define BOOST_TEST_MODULE nn_torch_parity
#include "common.hpp"

#include <functional>
#include <map>

#include <nlohmann/json.hpp>
#include <xtensor/xview.hpp>

using namespace test;
using xg::Tensor;
using xg::nn::Lengths;
using xg::nn::SafetensorsReader;
using json = nlohmann::json;

namespace {

constexpr double rtol = 1e-4, atol = 1e-5;

using Named = std::vector<std::pair<std::string, Tensor>>;

// The configurations a fixture file describes in its metadata "configs".
std::vector<json> configs_of(const SafetensorsReader& r) {
    auto it = r.metadata().find("configs");
    BOOST_TEST_REQUIRE((it != r.metadata().end()), r.path() << " has no \"configs\" metadata");
    std::vector<json> out;
    for (auto& c : json::parse(it->second)) out.push_back(c);
    return out;
}

// The largest differences seen by one test case, reported at its end.
struct Worst {
    explicit Worst(std::string k) : kind(std::move(k)) {}
    std::string kind, config;  // config: the one being checked
    double out = 0, grad = 0;
    std::string out_at, grad_at;
    void note(double d, bool is_grad, const std::string& what) {
        double& w = is_grad ? grad : out;
        std::string& at = is_grad ? grad_at : out_at;
        if (d > w || at.empty()) {
            w = d;
            at = config + " " + what;
        }
    }
    void report() const {
        BOOST_TEST_MESSAGE(kind << " vs PyTorch: largest difference in outputs " << out << " (" << out_at
                                << "), in gradients " << grad << " (" << grad_at << ")");
    }
};

void compare(const xt::xarray<float>& got, const xt::xarray<float>& want, const std::string& what, bool is_grad,
             Worst& worst) {
    BOOST_TEST_CONTEXT(what) {
        BOOST_TEST_REQUIRE((Shape(got.shape().begin(), got.shape().end()) == Shape(want.shape().begin(), want.shape().end())),
                           "shape " << xg::shape_str(got.shape()) << " vs PyTorch's " << xg::shape_str(want.shape()));
        double d = 0;
        allclose(got, want, rtol, atol, &d);
        worst.note(d, is_grad, what);
        CHECK_CLOSE_ARRAYS(got, want, rtol, atol);
    }
}

Tensor leaf(const SafetensorsReader& r, const std::string& name) { return xg::from_array(r.get<float>(name), true); }

// Weights from the fixture, by name; the names and their order must be torch's.
void load_weights(const SafetensorsReader& r, const json& cfg, xg::nn::Module& m) {
    const std::string name = cfg["name"];
    std::vector<std::string> ours, torchs = cfg["params"];
    for (auto& [n, p] : m.named_parameters()) {
        ours.push_back(n);
        const Shape want = r.shape(name + "." + n);
        BOOST_TEST_REQUIRE((p.shape() == want), n << ": shape " << xg::shape_str(p.shape()) << ", PyTorch's " << xg::shape_str(want));
        p.value() = r.get<float>(name + "." + n);
    }
    BOOST_TEST_REQUIRE(ours == torchs, boost::test_tools::per_element());
}

// Outputs against torch's, then loss = sum_k <outputs[k], proj[k]>, backward, and the
// gradients of the leaves and of every parameter against torch's.
void check_outputs_and_gradients(const SafetensorsReader& r, const json& cfg, xg::nn::Module& m, const Named& leaves,
                                 const Named& outputs, Worst& worst) {
    const std::string name = cfg["name"];
    worst.config = name;
    Tensor loss = xg::zeros({});
    for (auto& [k, o] : outputs) {
        compare(o.value(), r.get<float>(name + "." + k), k, false, worst);
        loss = loss + xg::sum(o * xg::from_array(r.get<float>(name + ".proj." + k)));
    }
    for (auto& [k, t] : leaves) t.zero_grad();
    m.zero_grad();
    loss.backward();
    for (auto& [k, t] : leaves) compare(t.grad(), r.get<float>(name + ".grad." + k), "gradient of " + k, true, worst);
    for (auto& [k, p] : m.named_parameters())
        compare(p.grad(), r.get<float>(name + ".grad." + k), "gradient of " + k, true, worst);
}

std::string describe(const json& c) {
    json d = c;
    d.erase("params");
    return d.dump();
}

// ---- recurrent layers ------------------------------------------------------------------

// Padded steps (t >= length) hold exactly zero, in torch's out (pad_packed_sequence) and in ours.
void check_padding(const xt::xarray<float>& out, const Lengths& lengths, bool batch_first, const std::string& who) {
    const std::size_t S = out.shape()[batch_first ? 1 : 0];
    double padded = 0;
    for (std::size_t b = 0; b < lengths.size(); ++b)
        for (std::size_t t = lengths[b]; t < S; ++t) {
            auto v = batch_first ? xt::xarray<float>(xt::view(out, b, t)) : xt::xarray<float>(xt::view(out, t, b));
            padded = std::max(padded, double(xt::amax(xt::abs(v))()));
        }
    BOOST_TEST(padded == 0.0, who << ": padded steps of out are not zero (largest " << padded << ")");
}

void check_recurrent_file(const std::string& path, const std::string& kind, std::size_t at_least) {
    SafetensorsReader r(path);
    const auto configs = configs_of(r);
    BOOST_TEST_REQUIRE(configs.size() >= at_least);
    Worst worst(kind);
    for (const json& cfg : configs) {
        const std::string name = cfg["name"];
        BOOST_TEST_CONTEXT(name << " " << describe(cfg)) {
            BOOST_TEST_REQUIRE(std::string(cfg["module"]) == kind);
            const long I = cfg["input_size"], H = cfg["hidden_size"], L = cfg["num_layers"], P = cfg["proj_size"];
            const bool bi = cfg["bidirectional"], bf = cfg["batch_first"], bias = cfg["bias"];
            Named leaves{{"x", leaf(r, name + ".x")}};
            Tensor h0, c0;
            if (r.contains(name + ".h0")) leaves.emplace_back("h0", h0 = leaf(r, name + ".h0"));
            if (r.contains(name + ".c0")) leaves.emplace_back("c0", c0 = leaf(r, name + ".c0"));
            Lengths lengths;
            if (r.contains(name + ".lengths"))
                for (auto n : r.get<std::int64_t>(name + ".lengths")) lengths.push_back(std::size_t(n));
            const Tensor& x = leaves[0].second;

            std::unique_ptr<xg::nn::RNNBase> m;
            if (kind == "LSTM")
                m = std::make_unique<xg::nn::LSTM>(
                    xg::nn::LSTMOptions(I, H).num_layers(L).bidirectional(bi).batch_first(bf).bias(bias).proj_size(P));
            else if (kind == "GRU")
                m = std::make_unique<xg::nn::GRU>(
                    xg::nn::GRUOptions(I, H).num_layers(L).bidirectional(bi).batch_first(bf).bias(bias));
            else
                m = std::make_unique<xg::nn::RNN>(xg::nn::RNNOptions(I, H)
                                                      .num_layers(L)
                                                      .bidirectional(bi)
                                                      .batch_first(bf)
                                                      .bias(bias)
                                                      .nonlinearity(cfg["nonlinearity"]));
            load_weights(r, cfg, *m);
            auto [out, state] = m->forward(x, {h0, kind == "LSTM" ? c0 : Tensor()}, lengths);
            Named outputs;
            outputs.emplace_back("out", out);
            outputs.emplace_back("h_n", state.h);
            if (kind == "LSTM") outputs.emplace_back("c_n", state.c);
            if (!lengths.empty()) {
                check_padding(r.get<float>(name + ".out"), lengths, bf, "PyTorch");
                check_padding(outputs[0].second.value(), lengths, bf, "xgrad");
            }
            check_outputs_and_gradients(r, cfg, *m, leaves, outputs, worst);
            if (!lengths.empty()) {  // padded inputs get no gradient, in both
                check_padding(r.get<float>(name + ".grad.x"), lengths, bf, "PyTorch's gradient of x");
                check_padding(x.grad(), lengths, bf, "xgrad's gradient of x");
            }
        }
    }
    worst.report();
}

}  // namespace

BOOST_AUTO_TEST_CASE(lstm_matches_pytorch) { check_recurrent_file(test::fixture("nn_lstm.safetensors"), "LSTM", 15); }
BOOST_AUTO_TEST_CASE(gru_matches_pytorch) { check_recurrent_file(test::fixture("nn_gru.safetensors"), "GRU", 10); }
BOOST_AUTO_TEST_CASE(rnn_matches_pytorch) { check_recurrent_file(test::fixture("nn_rnn.safetensors"), "RNN", 10); }

// Cells run for several steps, the state carried over; outputs stacked over the steps.
BOOST_AUTO_TEST_CASE(cells_match_pytorch) {
    SafetensorsReader r(test::fixture("nn_cells.safetensors"));
    const auto configs = configs_of(r);
    BOOST_TEST_REQUIRE(configs.size() >= 12u);
    std::map<std::string, Worst> worst;
    for (const json& cfg : configs) {
        const std::string name = cfg["name"], kind = cfg["module"];
        BOOST_TEST_CONTEXT(name << " " << describe(cfg)) {
            const long I = cfg["input_size"], H = cfg["hidden_size"], steps = cfg["steps"];
            const bool bias = cfg["bias"];
            Named leaves{{"x", leaf(r, name + ".x")}};
            Tensor h, c;
            if (r.contains(name + ".h0")) leaves.emplace_back("h0", h = leaf(r, name + ".h0"));
            if (r.contains(name + ".c0")) leaves.emplace_back("c0", c = leaf(r, name + ".c0"));
            const Tensor x = leaves[0].second;
            std::vector<Tensor> hs, cs;
            std::unique_ptr<xg::nn::Module> m;
            if (kind == "LSTMCell") {
                auto cell = std::make_unique<xg::nn::LSTMCell>(xg::nn::LSTMCellOptions(I, H).bias(bias));
                load_weights(r, cfg, *cell);
                for (long t = 0; t < steps; ++t) {
                    auto s = cell->forward(xg::select(x, 0, t), {h, c});
                    h = s.h;
                    c = s.c;
                    hs.push_back(h);
                    cs.push_back(c);
                }
                m = std::move(cell);
            } else if (kind == "GRUCell") {
                auto cell = std::make_unique<xg::nn::GRUCell>(xg::nn::GRUCellOptions(I, H).bias(bias));
                load_weights(r, cfg, *cell);
                for (long t = 0; t < steps; ++t) hs.push_back(h = cell->forward(xg::select(x, 0, t), h));
                m = std::move(cell);
            } else {
                BOOST_TEST_REQUIRE(kind == "RNNCell");
                auto cell = std::make_unique<xg::nn::RNNCell>(
                    xg::nn::RNNCellOptions(I, H).bias(bias).nonlinearity(cfg["nonlinearity"]));
                load_weights(r, cfg, *cell);
                for (long t = 0; t < steps; ++t) hs.push_back(h = cell->forward(xg::select(x, 0, t), h));
                m = std::move(cell);
            }
            Named outputs;
            outputs.emplace_back("out", xg::stack(hs, 0));
            if (!cs.empty()) outputs.emplace_back("c", xg::stack(cs, 0));
            auto [it, added] = worst.try_emplace(kind, kind);
            check_outputs_and_gradients(r, cfg, *m, leaves, outputs, it->second);
        }
    }
    for (auto& [kind, w] : worst) w.report();
}

// LayerNormLSTM and the peephole LSTM against the same equations written with PyTorch's
// primitive ops, one sequence at a time (tests/fixtures/make_lstm_variant_fixtures.py).
BOOST_AUTO_TEST_CASE(lstm_variants_match_pytorch_primitive_ops) {
    SafetensorsReader r(test::fixture("nn_lstm_variants.safetensors"));
    const auto configs = configs_of(r);
    BOOST_TEST_REQUIRE(configs.size() >= 8u);
    std::map<std::string, Worst> worst;
    for (const json& cfg : configs) {
        const std::string name = cfg["name"], kind = cfg["module"];
        BOOST_TEST_CONTEXT(name << " " << describe(cfg)) {
            const auto o = xg::nn::LSTMVariantOptions(cfg["input_size"], cfg["hidden_size"], cfg["num_layers"])
                               .bidirectional(cfg["bidirectional"])
                               .batch_first(cfg["batch_first"])
                               .bias(cfg["bias"]);
            std::unique_ptr<xg::nn::LSTMVariantBaseT<float>> m;
            if (kind == "LayerNormLSTM") m = std::make_unique<xg::nn::LayerNormLSTM>(o);
            else m = std::make_unique<xg::nn::PeepholeLSTM>(o);
            load_weights(r, cfg, *m);
            Named leaves{{"x", leaf(r, name + ".x")}};
            Tensor h0, c0;
            if (r.contains(name + ".h0")) {
                leaves.emplace_back("h0", h0 = leaf(r, name + ".h0"));
                leaves.emplace_back("c0", c0 = leaf(r, name + ".c0"));
            }
            Lengths lengths;
            if (r.contains(name + ".lengths"))
                for (auto n : r.get<std::int64_t>(name + ".lengths")) lengths.push_back(std::size_t(n));
            auto [out, state] = m->forward(leaves[0].second, {h0, c0}, lengths);
            if (!lengths.empty()) check_padding(out.value(), lengths, cfg["batch_first"], "xgrad");
            auto [it, fresh] = worst.try_emplace(kind, kind);
            check_outputs_and_gradients(r, cfg, *m, leaves, {{"out", out}, {"h_n", state.h}, {"c_n", state.c}}, it->second);
        }
    }
    for (auto& [k, w] : worst) w.report();
}

BOOST_AUTO_TEST_CASE(linear_matches_pytorch) {
    SafetensorsReader r(test::fixture("nn_linear.safetensors"));
    const auto configs = configs_of(r);
    BOOST_TEST_REQUIRE(configs.size() >= 4u);
    Worst worst("Linear");
    for (const json& cfg : configs) {
        const std::string name = cfg["name"];
        BOOST_TEST_CONTEXT(name << " " << describe(cfg)) {
            xg::nn::Linear lin(xg::nn::LinearOptions(cfg["in_features"], cfg["out_features"]).bias(cfg["bias"]));
            load_weights(r, cfg, lin);
            Tensor x = leaf(r, name + ".x");
            check_outputs_and_gradients(r, cfg, lin, {{"x", x}}, {{"out", lin(x)}}, worst);
        }
    }
    worst.report();
}

BOOST_AUTO_TEST_CASE(embedding_matches_pytorch) {
    SafetensorsReader r(test::fixture("nn_embedding.safetensors"));
    const auto configs = configs_of(r);
    BOOST_TEST_REQUIRE(configs.size() >= 4u);
    Worst worst("Embedding");
    for (const json& cfg : configs) {
        const std::string name = cfg["name"];
        BOOST_TEST_CONTEXT(name << " " << describe(cfg)) {
            xg::nn::EmbeddingOptions o(cfg["num_embeddings"], cfg["embedding_dim"]);
            if (!cfg["padding_idx"].is_null()) o.padding_idx(std::int64_t(cfg["padding_idx"]));
            xg::nn::Embedding emb(o);
            load_weights(r, cfg, emb);
            const xg::IndexArray ids = r.get<std::int64_t>(name + ".x");
            check_outputs_and_gradients(r, cfg, emb, {}, {{"out", emb(ids)}}, worst);
            if (o.padding_idx()) {  // the padding row gets no gradient, in both
                const long V = o.num_embeddings(), p = (*o.padding_idx() + V) % V;
                BOOST_TEST(xt::amax(xt::abs(xt::view(emb.weight.grad(), p)))() == 0.f);
            }
        }
    }
    worst.report();
}

// The model of the README's "A model in ten lines", compiled and trained as written, so the
// README stays true: the loss of a fixed batch must fall.
#define BOOST_TEST_MODULE readme_example
#include "common.hpp"

#include <cstdio>
#include <filesystem>

struct Tagger : xg::nn::Module {
    xg::nn::Embedding embed{xg::nn::EmbeddingOptions(1000, 32)};
    xg::nn::LSTM lstm{xg::nn::LSTMOptions(32, 64).num_layers(2).bidirectional(true)};
    xg::nn::Linear out{xg::nn::LinearOptions(128, 5)};
    Tagger() { register_module("embed", embed); register_module("lstm", lstm); register_module("out", out); }
    xg::Tensor forward(const xg::IndexArray& ids) {          // ids (T, B)
        auto [h, state] = lstm.forward(embed.forward(ids));  // h (T, B, 128)
        return out.forward(h);                               // (T, B, 5)
    }
};

BOOST_AUTO_TEST_CASE(readme_model_trains) {
    xg::manual_seed(0);
    xg::IndexArray ids = xg::IndexArray::from_shape({7, 3}), targets = xg::IndexArray::from_shape({21});
    for (std::size_t i = 0; i < ids.size(); ++i) {
        ids.data()[i] = std::int64_t((i * 37) % 1000);
        targets(i) = std::int64_t(ids.data()[i] % 5);  // a tag the model can learn from the word
    }
    Tagger model;
    xg::optim::Adam adam(model.parameters(), xg::optim::AdamOptions(1e-3));
    float first = 0, last = 0;
    for (int step = 0; step < 80; ++step) {
        xg::Tensor loss = xg::cross_entropy(xg::reshape(model.forward(ids), {-1, 5}), targets);
        adam.zero_grad();
        loss.backward();
        adam.step();
        (step == 0 ? first : last) = loss.item();
    }
    BOOST_TEST(last < 0.3f * first, "loss " << first << " -> " << last);
    const std::string path = (std::filesystem::temp_directory_path() / "xgrad_readme_tagger.safetensors").string();
    xg::nn::save(model, path);  // loads in PyTorch with load_state_dict
    Tagger again;
    xg::nn::load(again, path);
    BOOST_TEST(again.parameter("lstm.weight_hh_l1_reverse").value() == model.parameter("lstm.weight_hh_l1_reverse").value());
    std::filesystem::remove(path);
}

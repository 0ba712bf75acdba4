// PyTorch's tutorial "Sequence Models and Long Short-Term Memory Networks" (the LSTM
// part-of-speech tagger), written line for line with docs/from-pytorch.md and nothing of
// xtensor, trained from PyTorch's own initial weights: every one of its 600 losses and the
// final tag scores must match PyTorch 1.13's (tests/fixtures/make_tagger_fixtures.py).
#define BOOST_TEST_MODULE pytorch_tagger
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace nn = xg::nn;

namespace {

struct LSTMTagger : nn::Module {
    nn::Embedding word_embeddings;
    nn::LSTM lstm;
    nn::Linear hidden2tag;

    LSTMTagger(long embedding_dim, long hidden_dim, long vocab_size, long tagset_size)
        : word_embeddings(nn::EmbeddingOptions(vocab_size, embedding_dim)),
          lstm(nn::LSTMOptions(embedding_dim, hidden_dim)),
          hidden2tag(nn::LinearOptions(hidden_dim, tagset_size)) {
        register_module("word_embeddings", word_embeddings);
        register_module("lstm", lstm);
        register_module("hidden2tag", hidden2tag);
    }

    xg::Tensor forward(const xg::IndexArray& sentence) {
        const std::size_t n = xg::numel(sentence);
        xg::Tensor embeds = word_embeddings(sentence);
        auto [lstm_out, state] = lstm(xg::view(embeds, {n, 1, -1}));
        xg::Tensor tag_space = hidden2tag(xg::view(lstm_out, {n, -1}));
        return xg::log_softmax(tag_space, 1);
    }
};

std::vector<std::string> split(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

xg::IndexArray prepare_sequence(const std::vector<std::string>& seq, const std::map<std::string, long>& to_ix) {
    std::vector<long> ids;
    for (const auto& w : seq) ids.push_back(to_ix.at(w));
    return xg::long_tensor(ids);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_tagger_tutorial_trains_as_in_pytorch) {
    const std::string fixture = XG_SOURCE_ROOT "/tests/fixtures/tagger.safetensors";  // meson gives the root
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> training_data = {
        {split("The dog ate the apple"), {"DET", "NN", "V", "DET", "NN"}},
        {split("Everybody read that book"), {"NN", "V", "DET", "NN"}},
    };
    std::map<std::string, long> word_to_ix;
    for (const auto& [sent, tags] : training_data)
        for (const auto& word : sent)
            if (!word_to_ix.contains(word)) word_to_ix[word] = long(word_to_ix.size());
    const std::map<std::string, long> tag_to_ix = {{"DET", 0}, {"NN", 1}, {"V", 2}};

    LSTMTagger model(6, 6, long(word_to_ix.size()), long(tag_to_ix.size()));
    nn::load(model, fixture, /*strict=*/false);  // PyTorch's initial weights; the file holds the losses too
    const nn::SafetensorsReader reader(fixture);
    for (const auto& [name, p] : model.named_parameters()) BOOST_TEST(reader.contains(name), name);
    nn::NLLLoss loss_function;
    xg::optim::SGD optimizer(model.parameters(), xg::optim::SGDOptions(0.1));

    std::vector<float> losses;
    for (int epoch = 0; epoch < 300; ++epoch) {
        for (const auto& [sentence, tags] : training_data) {
            model.zero_grad();
            xg::Tensor tag_scores = model.forward(prepare_sequence(sentence, word_to_ix));
            xg::Tensor loss = loss_function(tag_scores, prepare_sequence(tags, tag_to_ix));
            loss.backward();
            optimizer.step();
            losses.push_back(loss.item<float>());
        }
    }

    const std::vector<float> expected = xg::Tensor(reader.get<float>("losses")).to_vector();
    BOOST_TEST_REQUIRE(losses.size() == expected.size());
    double worst = 0;
    for (std::size_t i = 0; i < losses.size(); ++i) worst = std::max(worst, double(std::abs(losses[i] - expected[i])));
    BOOST_TEST_MESSAGE("largest loss difference from PyTorch over 600 steps: " << worst);
    BOOST_TEST(worst < 2e-5);
    BOOST_TEST(losses.back() < 0.1 * losses.front());  // it learned

    xg::NoGradGuard no_grad;
    const std::vector<float> scores = model.forward(prepare_sequence(training_data[0].first, word_to_ix)).to_vector();
    const std::vector<float> torch_scores = xg::Tensor(reader.get<float>("scores")).to_vector();
    BOOST_TEST_REQUIRE(scores.size() == torch_scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i) BOOST_TEST(std::abs(scores[i] - torch_scores[i]) < 1e-4);
}

// xgrad inside a host program: two threads that each build, seed and train a model of their
// own at the same time get exactly what each gets alone (the tape, grad mode and the random
// generator are per thread; the thread pool serves one caller at a time and the other runs
// its units itself, with the same split), and xgrad leaves the host's allocator alone.
#define BOOST_TEST_MODULE embedding
#include "common.hpp"

#include <thread>

namespace {

struct Tagger : xg::nn::Module {
    xg::nn::LSTM lstm{xg::nn::LSTMOptions(6, 24).num_layers(2).bidirectional(true)};
    xg::nn::Linear out{xg::nn::LinearOptions(48, 3)};
    Tagger() {
        register_module("lstm", lstm);
        register_module("out", out);
    }
};

// A few Adam steps on random data, all drawn from this thread's generator; the final weights.
std::vector<xt::xarray<float>> train(std::uint64_t seed) {
    xg::manual_seed(seed);
    Tagger m;
    xg::optim::Adam adam(m.parameters(), xg::optim::AdamOptions(1e-2));
    for (int step = 0; step < 8; ++step) {
        xg::Tensor x = xg::randn({12, 40, 6});
        xg::IndexArray y = xt::cast<std::int64_t>(xt::floor(xg::rand({12 * 40}).value() * 3.f));
        auto [h, state] = m.lstm.forward(x);
        xg::Tensor loss = xg::cross_entropy(xg::reshape(m.out.forward(h), {-1, 3}), y);
        adam.zero_grad();
        loss.backward();
        adam.step();
    }
    std::vector<xt::xarray<float>> w;
    for (auto& p : m.parameters()) w.push_back(p.value());
    return w;
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_threads_training_at_once_match_sequential_runs) {
    xg::set_num_threads(2);
    const auto a = train(1), b = train(2);
    BOOST_TEST(!(a[0] == b[0]));  // different seeds, different models
    for (int round = 0; round < 3; ++round) {
        std::vector<xt::xarray<float>> ta, tb;
        std::thread first([&] { ta = train(1); }), second([&] { tb = train(2); });
        first.join();
        second.join();
        BOOST_TEST_REQUIRE(ta.size() == a.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            BOOST_TEST((ta[i] == a[i]), "parameter " << i << " of the first thread's model");
            BOOST_TEST((tb[i] == b[i]), "parameter " << i << " of the second thread's model");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_new_thread_starts_from_the_default_seed) {
    xg::manual_seed(77);
    float here = xg::randn({1}).item(), there = 0.f, fresh = 0.f;
    std::thread([&] { there = xg::randn({1}).item(); }).join();
    std::thread([&] {
        xg::manual_seed(5489);
        fresh = xg::randn({1}).item();
    }).join();
    BOOST_TEST(there == fresh);  // unaffected by this thread's manual_seed(77)
    xg::manual_seed(77);
    BOOST_TEST(xg::randn({1}).item() == here);
}

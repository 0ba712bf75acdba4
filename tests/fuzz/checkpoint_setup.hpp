// The training setups the checkpoint target loads into, and seeds.cpp saves from: one small
// model, and each optimizer with a schedule, so every load_state is reached.
#pragma once

#include <memory>

#include <xgrad.hpp>

namespace fuzz {

struct Setup {
    std::shared_ptr<xg::nn::Linear> model;
    std::unique_ptr<xg::optim::Optimizer> optimizer;
    std::unique_ptr<xg::optim::ScheduleState> scheduler;

    // One training step and one schedule step: what a resumed run does first, so state
    // that loaded but does not fit the parameters shows here.
    void step() {
        xg::Tensor x = xg::from_array(xt::xarray<float>{{1.f, -2.f, 0.5f}});
        optimizer->zero_grad();
        xg::sum(model->forward(x)).backward();
        optimizer->step();
        if (auto* s = dynamic_cast<xg::optim::LRScheduler*>(scheduler.get())) s->step();
        if (auto* s = dynamic_cast<xg::optim::ReduceLROnPlateau*>(scheduler.get())) s->step(1.0);
    }
};

constexpr int kSetups = 5;

// 0 SGD (two groups) + StepLR, 1 Adam (amsgrad) + CosineAnnealingLR, 2 AdamW +
// SequentialLR(LinearLR, ExponentialLR), 3 RMSprop (centered) + ReduceLROnPlateau, 4 Adagrad.
inline Setup make_setup(int kind) {
    namespace o = xg::optim;
    xg::manual_seed(0);
    Setup s;
    s.model = std::make_shared<xg::nn::Linear>(xg::nn::LinearOptions(3, 2));
    const auto params = s.model->parameters();
    switch (kind) {
    case 0: {
        auto sgd = std::make_unique<o::SGD>(
            std::vector<o::ParamGroup>{o::ParamGroup({s.model->weight}), o::ParamGroup({s.model->bias}).lr(0.01)},
            o::SGDOptions(0.1).momentum(0.9));
        s.scheduler = std::make_unique<o::StepLR>(*sgd, 2, 0.5);
        s.optimizer = std::move(sgd);
        break;
    }
    case 1: {
        auto adam = std::make_unique<o::Adam>(params, o::AdamOptions(1e-3).amsgrad(true));
        s.scheduler = std::make_unique<o::CosineAnnealingLR>(*adam, 10);
        s.optimizer = std::move(adam);
        break;
    }
    case 2: {
        auto adamw = std::make_unique<o::AdamW>(params, o::AdamWOptions(1e-3));
        std::vector<std::shared_ptr<o::LRScheduler>> parts{std::make_shared<o::LinearLR>(*adamw, 0.5, 1.0, 2),
                                                           std::make_shared<o::ExponentialLR>(*adamw, 0.9)};
        s.scheduler = std::make_unique<o::SequentialLR>(*adamw, parts, std::vector<std::int64_t>{2});
        s.optimizer = std::move(adamw);
        break;
    }
    case 3: {
        auto rms = std::make_unique<o::RMSprop>(params, o::RMSpropOptions(1e-2).momentum(0.5).centered(true));
        s.scheduler = std::make_unique<o::ReduceLROnPlateau>(*rms, o::ReduceLROnPlateauOptions().patience(1));
        s.optimizer = std::move(rms);
        break;
    }
    default:
        s.optimizer = std::make_unique<o::Adagrad>(params, o::AdagradOptions(0.1).lr_decay(1e-3));
    }
    return s;
}

}  // namespace fuzz

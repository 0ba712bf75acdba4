// Adagrad with optional lr decay, weight decay and maximize, step for step as PyTorch
// 1.13's torch.optim.Adagrad (single-tensor path, dense gradients):
//
//   t = t + 1
//   g = ±grad + weight_decay * p
//   clr = lr / (1 + (t - 1) * lr_decay)
//   s = s + g * g                      sum, starting at initial_accumulator_value
//   p = p - clr * g / (sqrt(s) + eps)
//
// As in PyTorch, every parameter's state exists from construction.
//
//   xg::optim::Adagrad opt(model.parameters(), xg::optim::AdagradOptions(0.1).lr_decay(1e-4));
#pragma once

#include "optim/optimizer.hpp"

namespace xg::optim {

struct AdagradOptions {
    AdagradOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT: implicit, as libtorch's
    XG_ARG(double, lr);
    XG_ARG(double, lr_decay) = 0;
    XG_ARG(double, weight_decay) = 0;
    XG_ARG(double, initial_accumulator_value) = 0;
    XG_ARG(double, eps) = 1e-10;
    XG_ARG(bool, maximize) = false;
};

class Adagrad : public Optimizer {
public:
    Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});

    AdagradOptions options() const { return AdagradOptions(options_).lr(lr()); }
    std::string name() const override { return "Adagrad"; }
    std::vector<std::string> state_names() const override { return {"sum"}; }

protected:
    void update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state) override;
    void init_state(ParamState& state, const xt::xarray<float>& value) const override;
    std::string extra_repr() const override;

private:
    AdagradOptions options_;
};

}  // namespace xg::optim

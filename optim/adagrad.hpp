/// \file
/// Adagrad with optional lr decay, weight decay and maximize, step for step as PyTorch
/// 1.13's torch.optim.Adagrad (single-tensor path, dense gradients):
///
///   t = t + 1
///   g = ±grad + weight_decay * p
///   clr = lr / (1 + (t - 1) * lr_decay)
///   s = s + g * g                      sum, starting at initial_accumulator_value
///   p = p - clr * g / (sqrt(s) + eps)
///
/// As in PyTorch, every parameter's state exists from construction.
///
///   xg::optim::Adagrad opt(model.parameters(), xg::optim::AdagradOptions(0.1).lr_decay(1e-4));
///
/// Each parameter group may set lr, lr_decay, weight_decay, initial_accumulator_value,
/// eps, maximize. NOTE: a group's own initial_accumulator_value fills its sums; PyTorch
/// 1.13 fills every group's from the constructor's and ignores the group's.
#pragma once

#include "optim/optimizer.hpp"

namespace xg::optim {

/// Adagrad's options, as torch.optim.Adagrad's arguments; chainable: AdagradOptions(0.1).lr_decay(1e-4).
struct AdagradOptions {
    /// The learning rate (PyTorch's default 1e-2); implicit, so a plain number can stand
    /// for the options.
    AdagradOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT: implicit, as libtorch's
    XG_ARG(double, lr);                              ///< learning rate, >= 0
    XG_ARG(double, lr_decay) = 0;                    ///< step t uses lr / (1 + (t - 1) * lr_decay), >= 0
    XG_ARG(double, weight_decay) = 0;                ///< L2 penalty added to the gradient, >= 0
    XG_ARG(double, initial_accumulator_value) = 0;   ///< what the sums of squares start at, >= 0
    XG_ARG(double, eps) = 1e-10;                     ///< added to the denominator for stability, >= 0
    XG_ARG(bool, maximize) = false;                  ///< ascend the objective instead of descending
};

/// Adagrad, as torch.optim.Adagrad (see adagrad.hpp).
class Adagrad : public OptimizerWithOptions<AdagradOptions> {
public:
    /// One group holding every parameter; their states are created now. Invalid options
    /// throw xg::Error.
    Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});
    /// options are the defaults of the groups' unset options
    Adagrad(const std::vector<ParamGroup>& groups, const AdagradOptions& options = {});
    /// As above, with the groups in braces: {body.parameters(), ParamGroup(head.parameters()).lr_decay(1e-4)}.
    Adagrad(std::initializer_list<ParamGroup> groups, const AdagradOptions& options = {})
        : Adagrad(std::vector<ParamGroup>(groups), options) {}

    std::string name() const override { return "Adagrad"; }
    std::vector<std::string> state_names(std::size_t = 0) const override { return {"sum"}; }

protected:
    void update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) override;
    /// "sum" filled with the group's initial_accumulator_value
    void init_state(ParamState& state, const xt::xarray<float>& value, std::size_t group) const override;
    std::string extra_repr(std::size_t group) const override;

private:
    void check_options() const;
    void init_states();
};

}  // namespace xg::optim

/// \file
/// RMSprop with optional weight decay, momentum, centering and maximize, step for step
/// as PyTorch 1.13's torch.optim.RMSprop (single-tensor path):
///
///   g = ±grad + weight_decay * p
///   s = alpha * s + (1 - alpha) * g * g              square_avg
///   a = alpha * a + (1 - alpha) * g                  grad_avg (centered)
///   d = sqrt(s - a * a) + eps   (centered)   or   d = sqrt(s) + eps
///   b = momentum * b + g / d;  p = p - lr * b        momentum_buffer (momentum > 0)
///   p = p - lr * g / d                               (momentum == 0)
///
///   xg::optim::RMSprop opt(model.parameters(), xg::optim::RMSpropOptions(1e-2).momentum(0.9).centered(true));
///
/// Each parameter group may set lr, alpha, eps, weight_decay, momentum, centered, maximize.
#pragma once

#include "optim/optimizer.hpp"

namespace xg::optim {

/// RMSprop's options, as torch.optim.RMSprop's arguments; chainable: RMSpropOptions(1e-2).momentum(0.9).
struct RMSpropOptions {
    /// The learning rate (PyTorch's default 1e-2); implicit, so a plain number can stand
    /// for the options.
    RMSpropOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT: implicit, as libtorch's
    XG_ARG(double, lr);                     ///< learning rate, >= 0
    XG_ARG(double, alpha) = 0.99;           ///< decay rate of the squared-gradient average, >= 0
    XG_ARG(double, eps) = 1e-8;             ///< added to the denominator for stability, >= 0
    XG_ARG(double, weight_decay) = 0;       ///< L2 penalty added to the gradient, >= 0
    XG_ARG(double, momentum) = 0;           ///< momentum factor, >= 0; 0: no momentum buffer
    XG_ARG(bool, centered) = false;         ///< normalise by the gradient's estimated variance, not its mean square
    XG_ARG(bool, maximize) = false;         ///< ascend the objective instead of descending
};

/// RMSprop, as torch.optim.RMSprop (see rmsprop.hpp).
class RMSprop : public OptimizerWithOptions<RMSpropOptions> {
public:
    /// One group holding every parameter. Invalid options throw xg::Error.
    RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});
    /// options are the defaults of the groups' unset options
    RMSprop(const std::vector<ParamGroup>& groups, const RMSpropOptions& options = {});
    /// As above, with the groups in braces: {body.parameters(), ParamGroup(head.parameters()).lr(1e-3)}.
    RMSprop(std::initializer_list<ParamGroup> groups, const RMSpropOptions& options = {})
        : RMSprop(std::vector<ParamGroup>(groups), options) {}

    std::string name() const override { return "RMSprop"; }
    /// "square_avg" (+ "momentum_buffer" when momentum > 0, + "grad_avg" when centered)
    std::vector<std::string> state_names(std::size_t group = 0) const override;

protected:
    void update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) override;
    std::string extra_repr(std::size_t group) const override;

private:
    void check_options() const;
};

}  // namespace xg::optim

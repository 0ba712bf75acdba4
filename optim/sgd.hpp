/// \file
/// SGD with optional momentum, dampening, Nesterov momentum, L2 weight decay and
/// maximize, step for step as PyTorch 1.13's torch.optim.SGD:
///
///   g = ±grad + weight_decay * p
///   b = g                                   on the first step (no dampening)
///   b = momentum * b + (1 - dampening) * g  after
///   g = g + momentum * b  (nesterov)   or   g = b
///   p = p - lr * g
///
///   xg::optim::SGD opt(model.parameters(), xg::optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
///
/// Each parameter group may set lr, momentum, dampening, weight_decay, nesterov, maximize.
#pragma once

#include "optim/optimizer.hpp"

namespace xg::optim {

/// SGD's options, as torch.optim.SGD's arguments; chainable: SGDOptions(0.1).momentum(0.9).
struct SGDOptions {
    /// The learning rate, which SGD has no default for (as in PyTorch); implicit, so a
    /// plain number can stand for the options.
    SGDOptions(double lr) : lr_(lr) {}  // NOLINT: implicit, as libtorch's
    XG_ARG(double, lr);                     ///< learning rate, >= 0
    XG_ARG(double, momentum) = 0;           ///< momentum factor, >= 0; 0: no momentum buffer
    XG_ARG(double, dampening) = 0;          ///< dampening of the momentum (not on the first step)
    XG_ARG(double, weight_decay) = 0;       ///< L2 penalty added to the gradient, >= 0
    XG_ARG(bool, nesterov) = false;         ///< Nesterov momentum: needs momentum > 0 and dampening 0
    XG_ARG(bool, maximize) = false;         ///< ascend the objective instead of descending
};

/// Stochastic gradient descent, as torch.optim.SGD (see sgd.hpp).
class SGD : public OptimizerWithOptions<SGDOptions> {
public:
    /// One group holding every parameter. Invalid options throw xg::Error.
    SGD(std::vector<Tensor> params, const SGDOptions& options);
    /// options are the defaults of the groups' unset options
    SGD(const std::vector<ParamGroup>& groups, const SGDOptions& options);
    /// As above, with the groups in braces: {body.parameters(), ParamGroup(head.parameters()).lr(1e-2)}.
    SGD(std::initializer_list<ParamGroup> groups, const SGDOptions& options)
        : SGD(std::vector<ParamGroup>(groups), options) {}

    std::string name() const override { return "SGD"; }
    /// "momentum_buffer" when the group's momentum != 0 (PyTorch keeps no step count for SGD).
    std::vector<std::string> state_names(std::size_t group = 0) const override;
    bool has_step() const override { return false; }

protected:
    void update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) override;
    std::string extra_repr(std::size_t group) const override;

private:
    void check_options() const;
};

}  // namespace xg::optim

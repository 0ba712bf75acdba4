/// \file
/// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), step for step as
/// PyTorch 1.13's torch.optim.AdamW (single-tensor path). The decay shrinks the
/// parameter before the Adam step instead of entering the gradient:
///
///   t = t + 1
///   p = p * (1 - lr * weight_decay)
///   g = ±grad
///   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
///   v_max = max(v_max, v)              (amsgrad; used for v below)
///   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
///   xg::optim::AdamW opt(model.parameters(), xg::optim::AdamWOptions(1e-3).weight_decay(0.1));
///
/// Each parameter group may set lr, betas, eps, weight_decay, amsgrad, maximize.
#pragma once

#include "optim/adam.hpp"

namespace xg::optim {

/// AdamW's options, as torch.optim.AdamW's arguments (note weight_decay's default 1e-2).
struct AdamWOptions {
    /// The learning rate (PyTorch's default 1e-3); implicit, so a plain number can stand
    /// for the options.
    AdamWOptions(double lr = 1e-3) : lr_(lr) {}  // NOLINT: implicit, as libtorch's
    XG_ARG(double, lr);                     ///< learning rate, >= 0
    XG_ARG(Betas, betas) = {0.9, 0.999};    ///< decay rates of the moment averages, each in [0, 1)
    XG_ARG(double, eps) = 1e-8;             ///< added to the denominator for stability, >= 0
    XG_ARG(double, weight_decay) = 1e-2;    ///< decoupled decay, >= 0: p *= 1 - lr * weight_decay each step
    XG_ARG(bool, amsgrad) = false;          ///< use the largest second moment so far (AMSGrad)
    XG_ARG(bool, maximize) = false;         ///< ascend the objective instead of descending
};

/// AdamW, as torch.optim.AdamW (see adamw.hpp).
class AdamW : public OptimizerWithOptions<AdamWOptions> {
public:
    /// One group holding every parameter. Invalid options throw xg::Error.
    AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
    /// options are the defaults of the groups' unset options
    AdamW(const std::vector<ParamGroup>& groups, const AdamWOptions& options = {});
    /// As above, with the groups in braces: {body.parameters(), ParamGroup(norms.parameters()).weight_decay(0)}.
    AdamW(std::initializer_list<ParamGroup> groups, const AdamWOptions& options = {})
        : AdamW(std::vector<ParamGroup>(groups), options) {}

    std::string name() const override { return "AdamW"; }
    /// "exp_avg", "exp_avg_sq" (+ "max_exp_avg_sq" with amsgrad)
    std::vector<std::string> state_names(std::size_t group = 0) const override;

protected:
    void update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) override;
    std::string extra_repr(std::size_t group) const override;

private:
    void check_options() const;
};

}  // namespace xg::optim

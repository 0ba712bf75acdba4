/// \file
/// Adam (with optional L2 weight decay, AMSGrad and maximize), step for step as
/// PyTorch 1.13's torch.optim.Adam (single-tensor path):
///
///   t = t + 1
///   g = ±grad + weight_decay * p
///   m = beta1 * m + (1 - beta1) * g                    exp_avg
///   v = beta2 * v + (1 - beta2) * g * g                exp_avg_sq
///   v_max = max(v_max, v)                              max_exp_avg_sq (amsgrad; used for v below)
///   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// NOTE: eps is added after the bias correction of sqrt(v), as PyTorch does.
///
///   xg::optim::Adam opt(model.parameters(), xg::optim::AdamOptions(1e-3).betas({0.9, 0.98}));
///
/// Each parameter group may set lr, betas, eps, weight_decay, amsgrad, maximize.
#pragma once

#include <tuple>

#include "optim/optimizer.hpp"

namespace xg::optim {

/// Adam's options, as torch.optim.Adam's arguments; chainable: AdamOptions(1e-3).betas({0.9, 0.98}).
struct AdamOptions {
    /// The learning rate (PyTorch's default 1e-3); implicit, so a plain number can stand
    /// for the options.
    AdamOptions(double lr = 1e-3) : lr_(lr) {}  // NOLINT: implicit, as libtorch's
    XG_ARG(double, lr);                     ///< learning rate, >= 0
    XG_ARG(Betas, betas) = {0.9, 0.999};    ///< decay rates of the moment averages, each in [0, 1)
    XG_ARG(double, eps) = 1e-8;             ///< added to the denominator for stability, >= 0
    XG_ARG(double, weight_decay) = 0;       ///< L2 penalty added to the gradient, >= 0
    XG_ARG(bool, amsgrad) = false;          ///< use the largest second moment so far (AMSGrad)
    XG_ARG(bool, maximize) = false;         ///< ascend the objective instead of descending
};

/// Adam, as torch.optim.Adam (see adam.hpp).
class Adam : public OptimizerWithOptions<AdamOptions> {
public:
    /// One group holding every parameter. Invalid options throw xg::Error.
    Adam(std::vector<Tensor> params, const AdamOptions& options = {});
    /// options are the defaults of the groups' unset options
    Adam(const std::vector<ParamGroup>& groups, const AdamOptions& options = {});
    /// As above, with the groups in braces: {body.parameters(), ParamGroup(head.parameters()).lr(1e-4)}.
    Adam(std::initializer_list<ParamGroup> groups, const AdamOptions& options = {})
        : Adam(std::vector<ParamGroup>(groups), options) {}

    std::string name() const override { return "Adam"; }
    /// "exp_avg", "exp_avg_sq" (+ "max_exp_avg_sq" with amsgrad)
    std::vector<std::string> state_names(std::size_t group = 0) const override;

protected:
    void update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) override;
    std::string extra_repr(std::size_t group) const override;

private:
    void check_options() const;
};

namespace detail {
/// Shared by Adam and AdamW: PyTorch's option checks and the printout.
/// where: detail::group_suffix, said after the message
void check_adam_options(const char* who, double lr, const Betas& betas, double eps, double weight_decay,
                        const std::string& where);
std::string adam_repr(double lr, const Betas& betas, double eps, double weight_decay, bool amsgrad, bool maximize);
}  // namespace detail

}  // namespace xg::optim

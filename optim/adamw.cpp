#include "optim/adamw.hpp"

#include <cmath>

#include "core/simd.hpp"
#include "optim/elementwise.hpp"

namespace xg::optim {

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& o) : OptimizerWithOptions(std::move(params), o) {
    check_options();
}

AdamW::AdamW(const std::vector<ParamGroup>& groups, const AdamWOptions& o) : OptimizerWithOptions(groups, o, "AdamW") {
    check_options();
}

void AdamW::check_options() const {
    for (std::size_t g = 0; g < num_param_groups(); ++g) {
        const AdamWOptions& o = group_options(g);
        detail::check_adam_options("AdamW", o.lr(), o.betas(), o.eps(), o.weight_decay(),
                                   detail::group_suffix(g, num_param_groups()));
    }
}

std::vector<std::string> AdamW::state_names(std::size_t group) const {
    if (group_options(group).amsgrad()) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    return {"exp_avg", "exp_avg_sq"};
}

void AdamW::update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) {
    const AdamWOptions& o = group_options(group);
    const double lr = this->lr(group);
    if (!state.initialized) init_state(state, value, group);
    state.step += 1;
    const auto [beta1, beta2] = o.betas();
    const double t = static_cast<double>(state.step);
    const double bias_correction1 = 1 - std::pow(beta1, t);
    const float shrink = static_cast<float>(1 - lr * o.weight_decay());
    const float step_size = static_cast<float>(lr / bias_correction1);
    const float sign = o.maximize() ? -1.f : 1.f;

    const std::size_t n = value.size();
    float* p = value.data();
    const float* g = grad.data();
    const detail::AdamMoments moments(state.buffers[0].data(), state.buffers[1].data(),
                                      o.amsgrad() ? state.buffers[2].data() : nullptr, beta1, beta2, t, o.eps());
    detail::with_flags(
        [&](auto amsgrad) {
            using namespace simd;
            detail::for_each_in_blocks<float>(n, [&](std::size_t i, auto like) {
                using V = decltype(like);
                const V gi = sign * loadu<V>(g + i);
                const V decayed = loadu<V>(p + i) * shrink;
                storeu(p + i, decayed - step_size * moments.direction<decltype(amsgrad)::value>(i, gi));
            });
        },
        o.amsgrad());
}

std::string AdamW::extra_repr(std::size_t group) const {
    const auto& o = group_options(group);
    return detail::adam_repr(lr(group), o.betas(), o.eps(), o.weight_decay(), o.amsgrad(), o.maximize());
}

}  // namespace xg::optim

#include "optim/adam.hpp"

#include <cmath>
#include <sstream>

#include "core/simd.hpp"
#include "optim/elementwise.hpp"

namespace xg::optim {

namespace detail {
void check_adam_options(const char* who, double lr, const Betas& betas, double eps, double weight_decay,
                        const std::string& where) {
    const auto [beta1, beta2] = betas;
    XG_CHECK(std::isfinite(lr) && lr >= 0, who << ": invalid learning rate: " << lr << " (must be finite and >= 0)" << where);
    XG_CHECK(eps >= 0, who << ": invalid epsilon value: " << eps << " (must be >= 0)" << where);
    XG_CHECK(beta1 >= 0 && beta1 < 1,
             who << ": invalid beta parameter at index 0: " << beta1 << " (must be in [0, 1))" << where);
    XG_CHECK(beta2 >= 0 && beta2 < 1,
             who << ": invalid beta parameter at index 1: " << beta2 << " (must be in [0, 1))" << where);
    XG_CHECK(weight_decay >= 0, who << ": invalid weight_decay value: " << weight_decay << " (must be >= 0)" << where);
}

std::string adam_repr(double lr, const Betas& betas, double eps, double weight_decay, bool amsgrad, bool maximize) {
    std::ostringstream os;
    os << "lr=" << fmt(lr) << ", betas=(" << fmt(std::get<0>(betas)) << ", " << fmt(std::get<1>(betas))
       << "), eps=" << fmt(eps) << ", weight_decay=" << fmt(weight_decay) << ", amsgrad=" << (amsgrad ? "true" : "false")
       << ", maximize=" << (maximize ? "true" : "false");
    return os.str();
}
}  // namespace detail

Adam::Adam(std::vector<Tensor> params, const AdamOptions& o) : OptimizerWithOptions(std::move(params), o) {
    check_options();
}

Adam::Adam(const std::vector<ParamGroup>& groups, const AdamOptions& o) : OptimizerWithOptions(groups, o, "Adam") {
    check_options();
}

void Adam::check_options() const {
    for (std::size_t g = 0; g < num_param_groups(); ++g) {
        const AdamOptions& o = group_options(g);
        detail::check_adam_options("Adam", o.lr(), o.betas(), o.eps(), o.weight_decay(),
                                   detail::group_suffix(g, num_param_groups()));
    }
}

std::vector<std::string> Adam::state_names(std::size_t group) const {
    if (group_options(group).amsgrad()) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    return {"exp_avg", "exp_avg_sq"};
}

void Adam::update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) {
    const AdamOptions& o = group_options(group);
    if (!state.initialized) init_state(state, value, group);
    state.step += 1;
    const auto [beta1, beta2] = o.betas();
    // the scalars in double, as Python computes them, then float for the element loop
    const double t = static_cast<double>(state.step);
    const double bias_correction1 = 1 - std::pow(beta1, t);
    const float step_size = static_cast<float>(lr(group) / bias_correction1);
    const float wd = static_cast<float>(o.weight_decay());
    const float sign = o.maximize() ? -1.f : 1.f;

    const std::size_t n = value.size();
    float* p = value.data();
    const float* g = grad.data();
    const detail::AdamMoments moments(state.buffers[0].data(), state.buffers[1].data(),
                                      o.amsgrad() ? state.buffers[2].data() : nullptr, beta1, beta2, t, o.eps());
    detail::with_flags(
        [&](auto amsgrad, auto decay) {
            using namespace simd;
            detail::for_each_in_blocks<float>(n, [&](std::size_t i, auto like) {
                using V = decltype(like);
                V gi = sign * loadu<V>(g + i);
                if constexpr (decay) gi = gi + wd * loadu<V>(p + i);
                storeu(p + i, loadu<V>(p + i) - step_size * moments.direction<decltype(amsgrad)::value>(i, gi));
            });
        },
        o.amsgrad(), wd != 0);
}

std::string Adam::extra_repr(std::size_t group) const {
    const auto& o = group_options(group);
    return detail::adam_repr(lr(group), o.betas(), o.eps(), o.weight_decay(), o.amsgrad(), o.maximize());
}

}  // namespace xg::optim

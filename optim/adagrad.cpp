#include "optim/adagrad.hpp"

#include <cmath>
#include <sstream>

#include "core/simd.hpp"
#include "optim/elementwise.hpp"

namespace xg::optim {

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& o) : OptimizerWithOptions(std::move(params), o) {
    check_options();
    init_states();
}

Adagrad::Adagrad(const std::vector<ParamGroup>& groups, const AdagradOptions& o)
    : OptimizerWithOptions(groups, o, "Adagrad") {
    check_options();
    init_states();
}

void Adagrad::check_options() const {
    for (std::size_t g = 0; g < num_param_groups(); ++g) {
        const AdagradOptions& o = group_options(g);
        const std::string where = detail::group_suffix(g, num_param_groups());
        XG_CHECK(std::isfinite(o.lr()) && o.lr() >= 0, "Adagrad: invalid learning rate: " << o.lr() << " (must be finite and >= 0)" << where);
        XG_CHECK(o.lr_decay() >= 0, "Adagrad: invalid lr_decay value: " << o.lr_decay() << " (must be >= 0)" << where);
        XG_CHECK(o.weight_decay() >= 0,
                 "Adagrad: invalid weight_decay value: " << o.weight_decay() << " (must be >= 0)" << where);
        XG_CHECK(o.initial_accumulator_value() >= 0, "Adagrad: invalid initial_accumulator_value value: "
                                                         << o.initial_accumulator_value() << " (must be >= 0)" << where);
        XG_CHECK(o.eps() >= 0, "Adagrad: invalid epsilon value: " << o.eps() << " (must be >= 0)" << where);
    }
}

void Adagrad::init_states() {
    for (std::size_t i = 0; i < parameters().size(); ++i) init_state(mutable_state(i), parameters()[i].value(), group_of(i));
}

void Adagrad::init_state(ParamState& state, const xt::xarray<float>& value, std::size_t group) const {
    state.initialized = true;
    state.step = 0;
    xt::xarray<float> sum = xt::xarray<float>::from_shape(value.shape());
    sum.fill(static_cast<float>(group_options(group).initial_accumulator_value()));
    state.buffers.assign(1, std::move(sum));
}

void Adagrad::update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) {
    const AdagradOptions& o = group_options(group);
    if (!state.initialized) init_state(state, value, group);  // a checkpoint without this parameter's state
    state.step += 1;
    const double clr_d = lr(group) / (1 + static_cast<double>(state.step - 1) * o.lr_decay());
    const float clr = static_cast<float>(clr_d);
    const float eps = static_cast<float>(o.eps());
    const float wd = static_cast<float>(o.weight_decay());
    const float sign = o.maximize() ? -1.f : 1.f;

    const std::size_t n = value.size();
    float* p = value.data();
    const float* g = grad.data();
    float* s = state.buffers[0].data();
    detail::with_flags(
        [&](auto decay) {
            using namespace simd;
            detail::for_each_in_blocks<float>(n, [&](std::size_t i, auto like) {
                using V = decltype(like);
                V gi = sign * loadu<V>(g + i);
                if constexpr (decay) gi = gi + wd * loadu<V>(p + i);
                const V si = loadu<V>(s + i) + gi * gi;
                storeu(s + i, si);
                storeu(p + i, loadu<V>(p + i) - clr * (gi / (sqrt(si) + eps)));
            });
        },
        wd != 0);
}

std::string Adagrad::extra_repr(std::size_t group) const {
    const auto& o = group_options(group);
    std::ostringstream os;
    os << "lr=" << detail::fmt(lr(group)) << ", lr_decay=" << detail::fmt(o.lr_decay())
       << ", weight_decay=" << detail::fmt(o.weight_decay())
       << ", initial_accumulator_value=" << detail::fmt(o.initial_accumulator_value()) << ", eps=" << detail::fmt(o.eps())
       << ", maximize=" << (o.maximize() ? "true" : "false");
    return os.str();
}

}  // namespace xg::optim

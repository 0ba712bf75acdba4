#include "optim/rmsprop.hpp"

#include <cmath>
#include <sstream>

#include "core/simd.hpp"
#include "optim/elementwise.hpp"

namespace xg::optim {

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& o) : OptimizerWithOptions(std::move(params), o) {
    check_options();
}

RMSprop::RMSprop(const std::vector<ParamGroup>& groups, const RMSpropOptions& o)
    : OptimizerWithOptions(groups, o, "RMSprop") {
    check_options();
}

void RMSprop::check_options() const {
    for (std::size_t g = 0; g < num_param_groups(); ++g) {
        const RMSpropOptions& o = group_options(g);
        const std::string where = detail::group_suffix(g, num_param_groups());
        XG_CHECK(std::isfinite(o.lr()) && o.lr() >= 0, "RMSprop: invalid learning rate: " << o.lr() << " (must be finite and >= 0)" << where);
        XG_CHECK(o.eps() >= 0, "RMSprop: invalid epsilon value: " << o.eps() << " (must be >= 0)" << where);
        XG_CHECK(o.momentum() >= 0, "RMSprop: invalid momentum value: " << o.momentum() << " (must be >= 0)" << where);
        XG_CHECK(o.weight_decay() >= 0,
                 "RMSprop: invalid weight_decay value: " << o.weight_decay() << " (must be >= 0)" << where);
        XG_CHECK(o.alpha() >= 0, "RMSprop: invalid alpha value: " << o.alpha() << " (must be >= 0)" << where);
    }
}

std::vector<std::string> RMSprop::state_names(std::size_t group) const {
    const RMSpropOptions& o = group_options(group);
    std::vector<std::string> names{"square_avg"};
    if (o.momentum() > 0) names.push_back("momentum_buffer");
    if (o.centered()) names.push_back("grad_avg");
    return names;
}

void RMSprop::update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) {
    const RMSpropOptions& o = group_options(group);
    if (!state.initialized) init_state(state, value, group);
    state.step += 1;  // kept for the checkpoint, as PyTorch does; the update does not use it
    const float lr = static_cast<float>(this->lr(group));
    const float alpha = static_cast<float>(o.alpha());
    const float one_alpha = static_cast<float>(1 - o.alpha());
    const float eps = static_cast<float>(o.eps());
    const float wd = static_cast<float>(o.weight_decay());
    const float momentum = static_cast<float>(o.momentum());
    const float sign = o.maximize() ? -1.f : 1.f;
    const bool use_momentum = o.momentum() > 0, centered = o.centered();

    const std::size_t n = value.size();
    float* p = value.data();
    const float* g = grad.data();
    float* s = state.buffers[0].data();
    float* b = use_momentum ? state.buffers[1].data() : nullptr;
    float* a = centered ? state.buffers.back().data() : nullptr;
    detail::with_flags(
        [&](auto is_centered, auto has_momentum, auto decay) {
            using namespace simd;
            detail::for_each_in_blocks<float>(n, [&](std::size_t i, auto like) {
                using V = decltype(like);
                V gi = sign * loadu<V>(g + i);
                if constexpr (decay) gi = gi + wd * loadu<V>(p + i);
                const V si = loadu<V>(s + i) * alpha + one_alpha * (gi * gi);
                storeu(s + i, si);
                V d;
                if constexpr (is_centered) {
                    const V ai = loadu<V>(a + i) * alpha + one_alpha * gi;
                    storeu(a + i, ai);
                    d = sqrt(si - ai * ai) + eps;
                } else {
                    d = sqrt(si) + eps;
                }
                if constexpr (has_momentum) {
                    const V bi = loadu<V>(b + i) * momentum + gi / d;
                    storeu(b + i, bi);
                    storeu(p + i, loadu<V>(p + i) - lr * bi);
                } else {
                    storeu(p + i, loadu<V>(p + i) - lr * (gi / d));
                }
            });
        },
        centered, use_momentum, wd != 0);
}

std::string RMSprop::extra_repr(std::size_t group) const {
    const auto& o = group_options(group);
    std::ostringstream os;
    os << "lr=" << detail::fmt(lr(group)) << ", alpha=" << detail::fmt(o.alpha()) << ", eps=" << detail::fmt(o.eps())
       << ", weight_decay=" << detail::fmt(o.weight_decay()) << ", momentum=" << detail::fmt(o.momentum())
       << ", centered=" << (o.centered() ? "true" : "false") << ", maximize=" << (o.maximize() ? "true" : "false");
    return os.str();
}

}  // namespace xg::optim

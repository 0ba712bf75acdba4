#include "optim/sgd.hpp"

#include <cmath>
#include <sstream>

#include "optim/elementwise.hpp"

namespace xg::optim {

SGD::SGD(std::vector<Tensor> params, const SGDOptions& o) : OptimizerWithOptions(std::move(params), o) { check_options(); }

SGD::SGD(const std::vector<ParamGroup>& groups, const SGDOptions& o) : OptimizerWithOptions(groups, o, "SGD") {
    check_options();
}

void SGD::check_options() const {
    for (std::size_t g = 0; g < num_param_groups(); ++g) {
        const SGDOptions& o = group_options(g);
        const std::string where = detail::group_suffix(g, num_param_groups());
        XG_CHECK(std::isfinite(o.lr()) && o.lr() >= 0, "SGD: invalid learning rate: " << o.lr() << " (must be finite and >= 0)" << where);
        XG_CHECK(o.momentum() >= 0, "SGD: invalid momentum value: " << o.momentum() << " (must be >= 0)" << where);
        XG_CHECK(o.weight_decay() >= 0, "SGD: invalid weight_decay value: " << o.weight_decay() << " (must be >= 0)" << where);
        XG_CHECK(!o.nesterov() || (o.momentum() > 0 && o.dampening() == 0),
                 "SGD: Nesterov momentum requires a momentum and zero dampening (got momentum="
                     << o.momentum() << ", dampening=" << o.dampening() << ")" << where);
    }
}

std::vector<std::string> SGD::state_names(std::size_t group) const {
    if (group_options(group).momentum() != 0) return {"momentum_buffer"};
    return {};
}

void SGD::update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state, std::size_t group) {
    const SGDOptions& o = group_options(group);
    const float lr = static_cast<float>(this->lr(group));
    const float sign = o.maximize() ? -1.f : 1.f;
    const float wd = static_cast<float>(o.weight_decay());
    const float momentum = static_cast<float>(o.momentum());
    const float keep = static_cast<float>(1 - o.dampening());
    const std::size_t n = value.size();
    float* p = value.data();
    const float* g = grad.data();

    // plain loops: without sqrt the compiler vectorises them
    if (o.momentum() == 0) {
        detail::with_flags(
            [&](auto decay) {
                detail::for_blocks(n, [&](std::size_t begin, std::size_t end) {
                    for (std::size_t i = begin; i < end; ++i) {
                        float d = sign * g[i];
                        if constexpr (decay) d += wd * p[i];
                        p[i] -= lr * d;
                    }
                });
            },
            wd != 0);
        return;
    }
    // the buffer starts as a copy of the first (decayed) gradient, not from zeros
    const bool first = !state.initialized;
    if (first) {
        state.initialized = true;
        state.buffers.assign(1, xt::xarray<float>::from_shape(value.shape()));
    }
    float* b = state.buffers[0].data();
    detail::with_flags(
        [&](auto first_step, auto use_nesterov, auto decay) {
            detail::for_blocks(n, [&](std::size_t begin, std::size_t end) {
                for (std::size_t i = begin; i < end; ++i) {
                    float d = sign * g[i];
                    if constexpr (decay) d += wd * p[i];
                    if constexpr (first_step)
                        b[i] = d;
                    else
                        b[i] = b[i] * momentum + keep * d;
                    if constexpr (use_nesterov)
                        d += momentum * b[i];
                    else
                        d = b[i];
                    p[i] -= lr * d;
                }
            });
        },
        first, o.nesterov(), wd != 0);
}

std::string SGD::extra_repr(std::size_t group) const {
    const SGDOptions& o = group_options(group);
    std::ostringstream os;
    os << "lr=" << detail::fmt(lr(group)) << ", momentum=" << detail::fmt(o.momentum())
       << ", dampening=" << detail::fmt(o.dampening()) << ", weight_decay=" << detail::fmt(o.weight_decay())
       << ", nesterov=" << (o.nesterov() ? "true" : "false") << ", maximize=" << (o.maximize() ? "true" : "false");
    return os.str();
}

}  // namespace xg::optim

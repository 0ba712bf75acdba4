#include "optim/adagrad.hpp"

#include <cmath>
#include <sstream>

#include "optim/kernel.hpp"

namespace xg::optim {

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& o) : Optimizer(std::move(params), o.lr()), options_(o) {
    XG_CHECK(o.lr() >= 0, "Adagrad: invalid learning rate: " << o.lr() << " (must be >= 0)");
    XG_CHECK(o.lr_decay() >= 0, "Adagrad: invalid lr_decay value: " << o.lr_decay() << " (must be >= 0)");
    XG_CHECK(o.weight_decay() >= 0, "Adagrad: invalid weight_decay value: " << o.weight_decay() << " (must be >= 0)");
    XG_CHECK(o.initial_accumulator_value() >= 0,
             "Adagrad: invalid initial_accumulator_value value: " << o.initial_accumulator_value() << " (must be >= 0)");
    XG_CHECK(o.eps() >= 0, "Adagrad: invalid epsilon value: " << o.eps() << " (must be >= 0)");
    for (std::size_t i = 0; i < parameters().size(); ++i) init_state(mutable_state(i), parameters()[i].value());
}

void Adagrad::init_state(ParamState& state, const xt::xarray<float>& value) const {
    state.initialized = true;
    state.step = 0;
    xt::xarray<float> sum = xt::xarray<float>::from_shape(value.shape());
    sum.fill(static_cast<float>(options_.initial_accumulator_value()));
    state.buffers.assign(1, std::move(sum));
}

void Adagrad::update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state) {
    if (!state.initialized) init_state(state, value);  // a checkpoint without this parameter's state
    state.step += 1;
    const double clr_d = lr() / (1 + static_cast<double>(state.step - 1) * options_.lr_decay());
    const float clr = static_cast<float>(clr_d);
    const float eps = static_cast<float>(options_.eps());
    const float wd = static_cast<float>(options_.weight_decay());
    const float sign = options_.maximize() ? -1.f : 1.f;

    const std::size_t n = value.size();
    float* p = value.data();
    const float* g = grad.data();
    float* s = state.buffers[0].data();
    detail::with_flags(
        [&](auto decay) {
            using namespace kernel;
            for_each(n, [&](std::size_t i, auto like) {
                using V = decltype(like);
                V gi = sign * load<V>(g + i);
                if constexpr (decay) gi = gi + wd * load<V>(p + i);
                const V si = load<V>(s + i) + gi * gi;
                store(s + i, si);
                store(p + i, load<V>(p + i) - clr * (gi / (sqrt(si) + eps)));
            });
        },
        wd != 0);
}

std::string Adagrad::extra_repr() const {
    const auto& o = options_;
    std::ostringstream os;
    os << "lr=" << detail::fmt(lr()) << ", lr_decay=" << detail::fmt(o.lr_decay())
       << ", weight_decay=" << detail::fmt(o.weight_decay())
       << ", initial_accumulator_value=" << detail::fmt(o.initial_accumulator_value()) << ", eps=" << detail::fmt(o.eps())
       << ", maximize=" << (o.maximize() ? "true" : "false");
    return os.str();
}

}  // namespace xg::optim

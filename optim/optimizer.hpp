// Optimizer: the base of SGD, Adam, AdamW, RMSprop and Adagrad. It holds the parameter
// handles (shared with the model), one learning rate, and each parameter's state
// (step count and buffers such as exp_avg), created lazily on the parameter's first
// update, as PyTorch's optimizer.state is.
//
//   xg::optim::Adam opt(model.parameters(), xg::optim::AdamOptions(1e-3));
//   for (...) {
//       opt.zero_grad();
//       loss.backward();
//       opt.step();         // parameters without a gradient are skipped
//   }
//
// Checkpoints: save_state / load_state write and read the state under PyTorch's
// optimizer.state_dict() names, flattened: "optimizer.state.0.exp_avg",
// "optimizer.state.0.step", "optimizer.param_groups.0.lr", ...
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>

#include "autograd/tensor.hpp"
#include "nn/options.hpp"
#include "nn/serialize.hpp"

namespace xg::optim {

// One parameter's state. initialized is false until the parameter's first update
// (PyTorch: state[p] is empty); buffers have the parameter's shape and follow the
// order of Optimizer::state_names().
struct ParamState {
    bool initialized = false;
    std::int64_t step = 0;
    std::vector<xt::xarray<float>> buffers;
};

class Optimizer {
public:
    Optimizer(std::vector<Tensor> params, double lr);
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    // One update of every parameter that has a gradient, in place and without recording.
    void step();
    // Every parameter's gradient becomes zeros (set_to_none: no gradient at all, so the
    // next step skips parameters that backward does not reach, as grad = None does).
    void zero_grad(bool set_to_none = false);

    double lr() const { return lr_; }
    void set_lr(double lr);
    // The lr that schedules start from: set by the first schedule attached to this
    // optimizer (PyTorch's param_group["initial_lr"]), saved with the state.
    std::optional<double> initial_lr() const { return initial_lr_; }
    void set_initial_lr(double lr) { initial_lr_ = lr; }

    const std::vector<Tensor>& parameters() const { return params_; }
    const ParamState& state(std::size_t i) const { return states_.at(i); }

    // "Adam": used in messages and repr().
    virtual std::string name() const = 0;
    // "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=false)"
    std::string repr() const;
    // Names of the per-parameter buffers, in order ("exp_avg", "exp_avg_sq").
    virtual std::vector<std::string> state_names() const = 0;
    // Whether the per-parameter state has a step count (PyTorch's SGD has none).
    virtual bool has_step() const { return true; }

    // Adds the lr, the parameter indices and every initialized parameter's step and
    // buffers to w, under prefix + PyTorch's state_dict names.
    void save_state(nn::SafetensorsWriter& w, const std::string& prefix = "optimizer.") const;
    // Reads what save_state wrote. Names, shapes and the parameter count are checked
    // before anything changes: a missing or unexpected tensor or a wrong shape throws
    // std::runtime_error naming the tensor and the file, and leaves the optimizer as it was.
    // The options other than lr come from the constructor, not from the file.
    void load_state(const nn::SafetensorsReader& r, const std::string& prefix = "optimizer.");

protected:
    // Updates one parameter in place from its gradient (same shape, checked). state is
    // not initialized on the parameter's first update.
    virtual void update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state) = 0;
    // The state a parameter (of this value) starts with: step 0 and zero buffers.
    virtual void init_state(ParamState& state, const xt::xarray<float>& value) const;
    // The options part of repr().
    virtual std::string extra_repr() const = 0;

    ParamState& mutable_state(std::size_t i) { return states_.at(i); }

private:
    std::vector<Tensor> params_;
    std::vector<ParamState> states_;
    double lr_;
    std::optional<double> initial_lr_;
};

inline std::ostream& operator<<(std::ostream& os, const Optimizer& o) { return os << o.repr(); }

namespace detail {
// "0.001", "1e-08": how options print (shortest round-trip form, as Python's repr).
std::string fmt(double v);

// Calls f(std::bool_constant<flag>...): one branch-free copy of an element loop per
// combination of options, which the compiler vectorises (it gives up on loops with
// branches such as `if (amsgrad) vmax[i] = ...`).
template <class F>
void with_flags(F&& f) {
    f();
}
template <class F, class... Bools>
void with_flags(F&& f, bool first, Bools... rest) {
    if (first)
        with_flags([&](auto... flags) { f(std::true_type{}, flags...); }, rest...);
    else
        with_flags([&](auto... flags) { f(std::false_type{}, flags...); }, rest...);
}
}  // namespace detail

}  // namespace xg::optim

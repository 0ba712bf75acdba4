/// \file
/// Optimizer: the base of SGD, Adam, AdamW, RMSprop and Adagrad. It holds the parameter
/// handles (shared with the model) in parameter groups, each with its own learning rate,
/// and each parameter's state (step count and buffers such as exp_avg), created lazily on
/// the parameter's first update, as PyTorch's optimizer.state is.
///
///   xg::optim::Adam opt(model.parameters(), xg::optim::AdamOptions(1e-3));
///   for (...) {
///       opt.zero_grad();
///       loss.backward();
///       opt.step();         // parameters without a gradient are skipped
///   }
///
/// Parameter groups (PyTorch's param_groups): options a group leaves unset take the
/// constructor's, as torch.optim.SGD([{"params": body}, {"params": head, "lr": 1e-2}], lr=0.1):
///
///   xg::optim::SGD opt({body.parameters(), xg::optim::ParamGroup(head.parameters()).lr(1e-2)},
///                      xg::optim::SGDOptions(0.1).momentum(0.9));
///
/// Parameters are numbered across groups in order (group 0's first), as in PyTorch's
/// state_dict; parameters() and state(i) use these numbers.
///
/// Checkpoints: save_state / load_state write and read the state under PyTorch's
/// optimizer.state_dict() names, flattened: "optimizer.state.0.exp_avg",
/// "optimizer.state.0.step", "optimizer.param_groups.0.lr", ...
#pragma once

#include "core/quiet_intrinsics.hpp"  // first: before anything includes <immintrin.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>

#include "autograd/tensor.hpp"
#include "core/options.hpp"
#include "nn/serialize.hpp"

namespace xg::optim {

/// (beta1, beta2): decay rates of Adam's first and second moment averages.
using Betas = std::tuple<double, double>;

/// A group option: unset until a setter sets it; the getter gives the std::optional.
/// Used by ParamGroup only, and undefined after it.
#define XG_GROUP_ARG(TYPE, NAME)                                      \
public:                                                               \
    /** Sets NAME for this group (overriding the optimizer's) and returns the group, for chaining. */ \
    auto NAME(const TYPE& new_##NAME)->decltype(*this) {              \
        this->NAME##_ = new_##NAME;                                   \
        return *this;                                                 \
    }                                                                 \
    /** The NAME this group sets: empty when unset (the optimizer's own applies). */ \
    const std::optional<TYPE>& NAME() const noexcept { return this->NAME##_; } \
                                                                      \
private:                                                              \
    std::optional<TYPE> NAME##_

/// One parameter group as the optimizers' group constructors take it: its parameters and
/// the options it overrides (PyTorch's {"params": ..., "lr": ...}). Each optimizer takes
/// the options it has; setting one it does not have (betas for SGD) is an error.
/// lr, weight_decay and maximize are for all; momentum for SGD and RMSprop; dampening and
/// nesterov for SGD; betas and amsgrad for Adam and AdamW; eps for all but SGD; alpha and
/// centered for RMSprop; lr_decay and initial_accumulator_value for Adagrad.
class ParamGroup {
public:
    /// A group of these parameters that overrides no option yet; implicit, so that a
    /// plain parameter list can stand for a group, as in libtorch.
    ParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}  // NOLINT: implicit, as libtorch's
    /// The group's parameters.
    const std::vector<Tensor>& params() const { return params_; }

    XG_GROUP_ARG(double, lr);
    XG_GROUP_ARG(double, weight_decay);
    XG_GROUP_ARG(double, momentum);                   ///< SGD, RMSprop
    XG_GROUP_ARG(double, dampening);                  ///< SGD
    XG_GROUP_ARG(bool, nesterov);                     ///< SGD
    XG_GROUP_ARG(Betas, betas);                       ///< Adam, AdamW
    XG_GROUP_ARG(double, eps);                        ///< all but SGD
    XG_GROUP_ARG(bool, amsgrad);                      ///< Adam, AdamW
    XG_GROUP_ARG(double, alpha);                      ///< RMSprop
    XG_GROUP_ARG(bool, centered);                     ///< RMSprop
    XG_GROUP_ARG(double, lr_decay);                   ///< Adagrad
    XG_GROUP_ARG(double, initial_accumulator_value);  ///< Adagrad
    XG_GROUP_ARG(bool, maximize);

private:
    std::vector<Tensor> params_;
};

#undef XG_GROUP_ARG

/// One parameter's state. initialized is false until the parameter's first update
/// (PyTorch: state[p] is empty); buffers have the parameter's shape and follow the
/// order of Optimizer::state_names(group).
struct ParamState {
    bool initialized = false;                ///< whether the state exists yet (Adagrad's exist from construction)
    std::int64_t step = 0;                   ///< updates so far (PyTorch's state[p]["step"]); stays 0 for SGD
    std::vector<xt::xarray<float>> buffers;  ///< one per name in Optimizer::state_names(group)
};

/// The base of every optimizer, as torch.optim.Optimizer: parameter groups with their
/// lrs, per-parameter state, step(), zero_grad() and checkpoints (see optimizer.hpp).
class Optimizer {
public:
    /// One group holding every parameter.
    Optimizer(std::vector<Tensor> params, double lr);
    /// One group per ParamGroup; a group without an lr takes default_lr. A parameter in
    /// two groups, an empty group or no groups at all is an error.
    Optimizer(const std::vector<ParamGroup>& groups, double default_lr);
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// One update of every parameter that has a gradient, in place and without recording.
    void step();
    /// Every parameter's gradient becomes zeros (set_to_none: no gradient at all, so the
    /// next step skips parameters that backward does not reach, as grad = None does).
    void zero_grad(bool set_to_none = false);

    /// How many parameter groups there are, as len(optimizer.param_groups).
    std::size_t num_param_groups() const { return groups_.size(); }
    /// Group 0's lr; set_lr(lr) sets every group's.
    double lr() const { return lr(0); }
    /// Sets every group's lr; it must be finite and >= 0 (else xg::Error).
    void set_lr(double lr);
    /// One group's lr (param_groups[group]["lr"]).
    double lr(std::size_t group) const { return groups_.at(group).lr; }
    /// Sets one group's lr; it must be finite and >= 0 (else xg::Error).
    void set_lr(std::size_t group, double lr);
    /// The lr that schedules start from: set by the first schedule attached to this
    /// optimizer (PyTorch's param_group["initial_lr"]), saved with the state.
    /// set_initial_lr(lr) sets every group's.
    std::optional<double> initial_lr(std::size_t group = 0) const { return groups_.at(group).initial_lr; }
    /// Sets every group's initial_lr.
    void set_initial_lr(double lr);
    /// Sets one group's initial_lr.
    void set_initial_lr(std::size_t group, double lr) { groups_.at(group).initial_lr = lr; }

    /// Every parameter, group after group; or one group's.
    const std::vector<Tensor>& parameters() const { return params_; }
    /// As above, for one group: param_groups[group]["params"].
    std::vector<Tensor> parameters(std::size_t group) const;
    /// The group that parameter i belongs to.
    std::size_t group_of(std::size_t i) const;
    /// Parameter i's state (PyTorch's optimizer.state[p]); i counts across groups.
    const ParamState& state(std::size_t i) const { return states_.at(i); }

    /// "Adam": used in messages and repr().
    virtual std::string name() const = 0;
    /// "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=false)";
    /// with groups "Adam(group 0: lr=0.001, ...; group 1: lr=0.01, ...)".
    std::string repr() const;
    /// Names of a group's per-parameter buffers, in order ("exp_avg", "exp_avg_sq").
    virtual std::vector<std::string> state_names(std::size_t group = 0) const = 0;
    /// Whether the per-parameter state has a step count (PyTorch's SGD has none).
    virtual bool has_step() const { return true; }

    /// Adds each group's lr, initial_lr and parameter indices, and every initialized
    /// parameter's step and buffers to w, under prefix + PyTorch's state_dict names.
    void save_state(nn::SafetensorsWriter& w, const std::string& prefix = "optimizer.") const;
    /// Reads what save_state wrote. Names, shapes, the group count and each group's
    /// parameter count are checked before anything changes: a mismatch throws
    /// xg::FormatError naming the tensor (or what differs) and the file, and leaves the
    /// optimizer as it was. The options other than lr come from the constructor, not from
    /// the file.
    void load_state(const nn::SafetensorsReader& r, const std::string& prefix = "optimizer.");

protected:
    /// Updates one parameter of this group in place from its gradient (same shape,
    /// checked). state is not initialized on the parameter's first update.
    virtual void update(xt::xarray<float>& value, const xt::xarray<float>& grad, ParamState& state,
                        std::size_t group) = 0;
    /// The state a parameter (of this value and group) starts with: step 0 and zero buffers.
    virtual void init_state(ParamState& state, const xt::xarray<float>& value, std::size_t group) const;
    /// A group's options for repr().
    virtual std::string extra_repr(std::size_t group) const = 0;

    /// Parameter i's state, for an optimizer that fills it outside update() (Adagrad).
    ParamState& mutable_state(std::size_t i) { return states_.at(i); }

private:
    /// Group g holds params_[begin, end).
    struct Group {
        std::size_t begin, end;
        double lr;
        std::optional<double> initial_lr;
    };

    void check_parameters();

    std::vector<Tensor> params_;
    std::vector<ParamState> states_;
    std::vector<Group> groups_;
};

/// Prints o.repr(), as print(optimizer) does in Python.
inline std::ostream& operator<<(std::ostream& os, const Optimizer& o) { return os << o.repr(); }

namespace detail {
/// "0.001", "1e-08": how options print (shortest round-trip form, as Python's repr).
std::string fmt(double v);

/// " (parameter group 1)" when there are several groups: where a bad option was.
std::string group_suffix(std::size_t group, std::size_t num_groups);

/// The defaults with a group's overrides applied. An override that Options has no
/// field for is an error naming the optimizer (who) and the group.
template <class Options>
Options apply_overrides(Options o, const ParamGroup& g, const std::string& who, std::size_t index) {
#define XG_OVERRIDE(NAME)                                                                                    \
    if (g.NAME()) {                                                                                          \
        if constexpr (requires { o.NAME(*g.NAME()); })                                                       \
            o.NAME(*g.NAME());                                                                               \
        else                                                                                                 \
            XG_FAIL(who << ": parameter group " << index << " sets " #NAME ", which " << who << " does not have"); \
    }
    XG_OVERRIDE(lr)
    XG_OVERRIDE(weight_decay)
    XG_OVERRIDE(momentum)
    XG_OVERRIDE(dampening)
    XG_OVERRIDE(nesterov)
    XG_OVERRIDE(betas)
    XG_OVERRIDE(eps)
    XG_OVERRIDE(amsgrad)
    XG_OVERRIDE(alpha)
    XG_OVERRIDE(centered)
    XG_OVERRIDE(lr_decay)
    XG_OVERRIDE(initial_accumulator_value)
    XG_OVERRIDE(maximize)
#undef XG_OVERRIDE
    return o;
}

/// \def XG_OVERRIDE(NAME)
/// apply_overrides' step for one option: copies the group's NAME into o if the group sets
/// it, an error if Options has no NAME. Defined and undefined inside apply_overrides.

/// Calls f(std::bool_constant<flag>...): one branch-free copy of an element loop per
/// combination of options, which the compiler vectorises (it gives up on loops with
/// branches such as `if (amsgrad) vmax[i] = ...`).
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

/// The base of an optimizer with options struct Options (SGDOptions, ...): keeps each
/// group's options and gives them back.
template <class Options>
class OptimizerWithOptions : public Optimizer {
public:
    /// A group's parameters and options (with its current lr).
    struct Group {
        std::vector<Tensor> params;  ///< the group's parameters
        Options options;             ///< its options, with its current lr
    };

    /// Group `group`'s options, with its current lr.
    Options options(std::size_t group = 0) const { return Options(options_.at(group)).lr(lr(group)); }
    /// PyTorch's optimizer.param_groups.
    std::vector<Group> param_groups() const {
        std::vector<Group> out;
        for (std::size_t g = 0; g < num_param_groups(); ++g) out.push_back({parameters(g), options(g)});
        return out;
    }

protected:
    /// One group holding every parameter, with options o.
    OptimizerWithOptions(std::vector<Tensor> params, const Options& o)
        : Optimizer(std::move(params), o.lr()), options_{o} {}
    /// One group per ParamGroup: defaults with the group's overrides. who (the optimizer's
    /// name) is for the error when a group sets an option Options lacks.
    OptimizerWithOptions(const std::vector<ParamGroup>& groups, const Options& defaults, const std::string& who)
        : Optimizer(groups, defaults.lr()) {
        for (std::size_t g = 0; g < groups.size(); ++g)
            options_.push_back(detail::apply_overrides(defaults, groups[g], who, g));
    }
    /// The options of the group being updated; its lr is lr(group), not the one in here.
    const Options& group_options(std::size_t group) const { return options_[group]; }

private:
    std::vector<Options> options_;
};

}  // namespace xg::optim

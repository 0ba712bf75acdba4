/// \file
/// Learning-rate schedules, as torch.optim.lr_scheduler in PyTorch 1.13. A schedule sets
/// the lr of every parameter group of the optimizer, each from the group's own initial_lr;
/// construct it after the optimizer (that sets the lrs for epoch 0) and call step() after
/// each epoch's optimizer steps:
///
///   xg::optim::SGD opt(model.parameters(), 0.1);
///   xg::optim::StepLR sched(opt, /*step_size=*/30, /*gamma=*/0.1);
///   for (int epoch = 0; epoch < 100; ++epoch) {
///       train_one_epoch(opt);
///       sched.step();
///   }
///
/// Warm-up, then cosine decay:
///
///   auto warmup = std::make_shared<xg::optim::LinearLR>(opt, 0.1, 1.0, 5);
///   auto cosine = std::make_shared<xg::optim::CosineAnnealingLR>(opt, 95);
///   xg::optim::SequentialLR sched(opt, {warmup, cosine}, {5});
///
/// Each schedule computes a group's next lr from its current one (PyTorch's chainable
/// form), so schedules compose, and step(epoch) jumps to an epoch with the closed form.
/// save_state / load_state keep last_epoch (and the rest) in checkpoints.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/options.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

/// What checkpoints need of any schedule: its name and its state under a prefix.
class ScheduleState {
public:
    virtual ~ScheduleState() = default;
    /// The schedule's class name ("StepLR"), used in error messages.
    virtual std::string name() const = 0;
    /// Adds the schedule's state to w under prefix + PyTorch's state_dict names.
    virtual void save_state(nn::SafetensorsWriter& w, const std::string& prefix = "scheduler.") const = 0;
    /// Reads what save_state wrote; a missing or malformed tensor throws xg::FormatError.
    virtual void load_state(const nn::SafetensorsReader& r, const std::string& prefix = "scheduler.") = 0;
};

/// The base of the epoch-driven schedules, as PyTorch's _LRScheduler: it sets every
/// group's lr on each step(), from the group's base_lr.
class LRScheduler : public ScheduleState {
public:
    /// Sets each group's initial_lr (if no schedule did yet); base_lr(g) is group g's.
    explicit LRScheduler(Optimizer& optimizer);
    virtual ~LRScheduler() = default;
    LRScheduler(const LRScheduler&) = delete;
    LRScheduler& operator=(const LRScheduler&) = delete;

    /// Advance one epoch and set every group's lr.
    virtual void step();
    /// Jump to this epoch with the closed form (PyTorch's deprecated step(epoch)).
    virtual void step(std::int64_t epoch);

    /// The lr this schedule set last: group 0's, or a group's (PyTorch's get_last_lr()[g]).
    double get_last_lr(std::size_t group = 0) const { return last_lrs_.at(group); }
    /// The epoch of the last step(): 0 after construction (PyTorch's last_epoch).
    std::int64_t last_epoch() const { return last_epoch_; }
    /// A group's initial_lr, the lr the schedule scales (PyTorch's base_lrs[group]).
    double base_lr(std::size_t group = 0) const { return base_lrs_.at(group); }
    /// The optimizer whose lrs this schedule sets.
    Optimizer& optimizer() const { return *optimizer_; }

    /// "scheduler.last_epoch", "scheduler.base_lrs", "scheduler._last_lr" (one value per
    /// group), "scheduler._step_count" (PyTorch's state_dict names). load_state checks
    /// everything first (the group count too) and leaves the schedule unchanged on an error.
    void save_state(nn::SafetensorsWriter& w, const std::string& prefix = "scheduler.") const override;
    /// Reads what save_state wrote; it sets no lr of the optimizer (its own state has them).
    void load_state(const nn::SafetensorsReader& r, const std::string& prefix = "scheduler.") override;

protected:
    /// A group's lr for last_epoch from its current lr (chainable form).
    virtual double get_lr(std::size_t group) const = 0;
    /// A group's lr for last_epoch from its base_lr alone; defaults to get_lr(group).
    virtual double closed_form_lr(std::size_t group) const { return get_lr(group); }
    /// The first step, which every constructor ends with (PyTorch's _initial_step).
    void initial_step();
    /// A group's lr in the optimizer now.
    double current_lr(std::size_t group) const { return optimizer_->lr(group); }
    /// Sets every group's lr (all checked first).
    void set_optimizer_lrs(const std::vector<double>& lrs);

    Optimizer* optimizer_;          ///< the optimizer whose lrs this sets (not owned)
    std::int64_t last_epoch_ = -1;  ///< the epoch of the last step; -1 before the first
    std::int64_t step_count_ = 0;   ///< steps so far, the constructor's included (PyTorch's _step_count)
    std::vector<double> base_lrs_;  ///< one per group
    std::vector<double> last_lrs_;  ///< the lrs the last step set, one per group

    friend class SequentialLR;
};

/// lr = base_lr * gamma^(epoch / step_size): multiplied by gamma every step_size epochs.
class StepLR : public LRScheduler {
public:
    /// As torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma); step_size must be > 0.
    StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
    /// "StepLR".
    std::string name() const override { return "StepLR"; }

protected:
    double get_lr(std::size_t group) const override;
    double closed_form_lr(std::size_t group) const override;

private:
    std::int64_t step_size_;
    double gamma_;
};

/// lr = base_lr * gamma^(milestones passed): multiplied by gamma at each milestone epoch
/// (a milestone listed twice multiplies twice, as PyTorch's Counter does).
class MultiStepLR : public LRScheduler {
public:
    /// As torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma); the milestones
    /// may come in any order.
    MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma = 0.1);
    /// "MultiStepLR".
    std::string name() const override { return "MultiStepLR"; }

protected:
    double get_lr(std::size_t group) const override;
    double closed_form_lr(std::size_t group) const override;

private:
    std::vector<std::int64_t> milestones_;  ///< sorted
    double gamma_;
};

/// lr = base_lr * gamma^epoch.
class ExponentialLR : public LRScheduler {
public:
    /// As torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma).
    ExponentialLR(Optimizer& optimizer, double gamma);
    /// "ExponentialLR".
    std::string name() const override { return "ExponentialLR"; }

protected:
    double get_lr(std::size_t group) const override;
    double closed_form_lr(std::size_t group) const override;

private:
    double gamma_;
};

/// lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, computed
/// recursively as PyTorch does (so it goes back up after T_max, as PyTorch's does).
class CosineAnnealingLR : public LRScheduler {
public:
    /// As torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min); T_max must
    /// be > 0 and eta_min >= 0.
    CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min = 0);
    /// "CosineAnnealingLR".
    std::string name() const override { return "CosineAnnealingLR"; }

protected:
    double get_lr(std::size_t group) const override;
    double closed_form_lr(std::size_t group) const override;

private:
    std::int64_t T_max_;
    double eta_min_;
};

/// The lr factor goes linearly from start_factor (epoch 0) to end_factor (epoch
/// total_iters) and stays there: linear warm-up with the defaults' end_factor 1.
class LinearLR : public LRScheduler {
public:
    /// As torch.optim.lr_scheduler.LinearLR: start_factor in (0, 1], end_factor in [0, 1],
    /// total_iters > 0.
    LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, std::int64_t total_iters = 5);
    /// "LinearLR".
    std::string name() const override { return "LinearLR"; }

protected:
    double get_lr(std::size_t group) const override;
    double closed_form_lr(std::size_t group) const override;

private:
    double start_factor_, end_factor_;
    std::int64_t total_iters_;
};

/// Runs schedulers[0] until epoch milestones[0], then schedulers[1] (restarted at its
/// epoch 0) until milestones[1], and so on. The schedulers must drive this optimizer.
class SequentialLR : public LRScheduler {
public:
    /// As torch.optim.lr_scheduler.SequentialLR: one milestone fewer than schedulers, positive
    /// and increasing. It undoes the schedulers' first steps and restarts the first one.
    SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                 std::vector<std::int64_t> milestones);
    void step() override;
    void step(std::int64_t epoch) override;  ///< not supported, as in PyTorch: throws
    /// "SequentialLR".
    std::string name() const override { return "SequentialLR"; }

    /// "scheduler.last_epoch", "scheduler._last_lr" and each scheduler's state under
    /// "scheduler._schedulers.<i>.".
    void save_state(nn::SafetensorsWriter& w, const std::string& prefix = "scheduler.") const override;
    /// Reads what save_state wrote; if one scheduler's state fails to load, every scheduler
    /// is put back as it was.
    void load_state(const nn::SafetensorsReader& r, const std::string& prefix = "scheduler.") override;

protected:
    double get_lr(std::size_t group) const override { return current_lr(group); }

private:
    std::vector<std::shared_ptr<LRScheduler>> schedulers_;
    std::vector<std::int64_t> milestones_;
};

/// ReduceLROnPlateau's mode: the metric should fall (a loss) or rise (an accuracy).
enum class PlateauMode { min, max };
/// How ReduceLROnPlateau's threshold measures an improvement: relative to the best metric
/// (best * (1 -/+ threshold)) or absolute (best -/+ threshold), as PyTorch's threshold_mode.
enum class ThresholdMode { rel, abs };

/// ReduceLROnPlateau's options, as torch.optim.lr_scheduler.ReduceLROnPlateau's arguments.
struct ReduceLROnPlateauOptions {
    XG_ARG(PlateauMode, mode) = PlateauMode::min;  ///< whether a lower (min) or higher (max) metric is better
    XG_ARG(double, factor) = 0.1;      ///< new lr = lr * factor
    XG_ARG(std::int64_t, patience) = 10;  ///< epochs without improvement tolerated
    XG_ARG(double, threshold) = 1e-4;  ///< what counts as an improvement
    XG_ARG(ThresholdMode, threshold_mode) = ThresholdMode::rel;  ///< threshold relative or absolute
    XG_ARG(std::int64_t, cooldown) = 0;   ///< epochs to wait after a reduction
    XG_ARG(double, min_lr) = 0;        ///< no group's lr is reduced below this, >= 0
    /// One min_lr per parameter group (PyTorch's min_lr list); empty: min_lr for every group.
    XG_ARG(std::vector<double>, min_lrs);
    XG_ARG(double, eps) = 1e-8;        ///< a smaller change is not made
};

/// PyTorch's ReduceLROnPlateau: call step(metric) after each epoch's evaluation; when the
/// metric has not improved for more than `patience` epochs, every group's lr is multiplied
/// by `factor` (down to its min_lr).
///
///   xg::optim::ReduceLROnPlateau plateau(adam, xg::optim::ReduceLROnPlateauOptions().patience(2));
///   for (...) { train(); plateau.step(validation_loss); }
class ReduceLROnPlateau : public ScheduleState {
public:
    /// Watches optimizer's lrs; the options are checked here (factor in [0, 1), min_lrs one
    /// per group). Unlike the other schedules it changes no lr until a plateau.
    explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
    ReduceLROnPlateau(const ReduceLROnPlateau&) = delete;
    ReduceLROnPlateau& operator=(const ReduceLROnPlateau&) = delete;
    /// Records one epoch's metric and reduces the lrs after too many epochs without
    /// improvement (a NaN metric never improves).
    void step(double metric);

    /// A group's lr in the optimizer now (PyTorch's get_last_lr()[group]).
    double get_last_lr(std::size_t group = 0) const { return optimizer_->lr(group); }
    /// How many times step(metric) was called.
    std::int64_t last_epoch() const { return last_epoch_; }
    /// The best metric so far (inf, or -inf for PlateauMode::max, before the first step).
    double best() const { return best_; }
    /// Epochs since the last improvement (reset by a reduction and during the cooldown).
    std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
    /// Epochs of cooldown left after the last reduction.
    std::int64_t cooldown_counter() const { return cooldown_counter_; }
    /// "ReduceLROnPlateau".
    std::string name() const override { return "ReduceLROnPlateau"; }

    /// "scheduler.last_epoch", "scheduler.best", "scheduler.num_bad_epochs",
    /// "scheduler.cooldown_counter" (PyTorch's state_dict names); a checkpoint can hold it
    /// as it holds any schedule (save_checkpoint's scheduler argument).
    void save_state(nn::SafetensorsWriter& w, const std::string& prefix = "scheduler.") const override;
    /// Reads what save_state wrote (all checked before anything changes).
    void load_state(const nn::SafetensorsReader& r, const std::string& prefix = "scheduler.") override;

private:
    bool is_better(double metric) const;

    Optimizer* optimizer_;
    ReduceLROnPlateauOptions options_;
    std::vector<double> min_lrs_;  ///< one per group
    std::int64_t last_epoch_ = 0, num_bad_epochs_ = 0, cooldown_counter_ = 0;
    double best_;
};

}  // namespace xg::optim

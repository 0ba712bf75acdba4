#include "optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include <xtensor/xadapt.hpp>

namespace xg::optim {

// ---- the base: PyTorch's _LRScheduler ----------------------------------------------

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(&optimizer) {
    for (std::size_t g = 0; g < optimizer.num_param_groups(); ++g) {
        if (!optimizer.initial_lr(g)) optimizer.set_initial_lr(g, optimizer.lr(g));
        base_lrs_.push_back(*optimizer.initial_lr(g));
    }
    last_lrs_ = base_lrs_;
}

void LRScheduler::initial_step() {
    step_count_ = 0;
    step();
}

void LRScheduler::set_optimizer_lrs(const std::vector<double>& lrs) {
    for (std::size_t g = 0; g < lrs.size(); ++g)
        XG_CHECK(std::isfinite(lrs[g]) && lrs[g] >= 0, name() << ": the schedule gives an invalid learning rate " << lrs[g]
                                                              << " at epoch " << last_epoch_
                                                              << detail::group_suffix(g, lrs.size()));
    for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_->set_lr(g, lrs[g]);
    last_lrs_ = lrs;
}

void LRScheduler::step() {
    ++step_count_;
    ++last_epoch_;
    std::vector<double> lrs;
    for (std::size_t g = 0; g < base_lrs_.size(); ++g) lrs.push_back(get_lr(g));
    set_optimizer_lrs(lrs);
}

void LRScheduler::step(std::int64_t epoch) {
    ++step_count_;
    last_epoch_ = epoch;
    std::vector<double> lrs;
    for (std::size_t g = 0; g < base_lrs_.size(); ++g) lrs.push_back(closed_form_lr(g));
    set_optimizer_lrs(lrs);
}

namespace {

[[noreturn]] void load_fail(const nn::SafetensorsReader& r, const std::string& who, const std::string& what) {
    throw FormatError(r.path() + ": cannot load the " + who + " state: " + what);
}

// The one number in tensor `key`, which must exist.
double one_number(const nn::SafetensorsReader& r, const std::string& who, const std::string& key) {
    if (!r.contains(key)) load_fail(r, who, "missing tensor \"" + key + "\"");
    const Shape s = r.shape(key);
    std::size_t n = 1;
    for (auto d : s) n *= d;
    if (n != 1) load_fail(r, who, "tensor \"" + key + "\" should hold one number, it has shape " + shape_str(s));
    return r.get<double>(key).data()[0];
}

// The values of tensor `key`, one per parameter group: a file written with one group may
// hold its one value in any shape, as earlier versions wrote it.
std::vector<double> per_group(const nn::SafetensorsReader& r, const std::string& who, const std::string& key,
                              std::size_t groups) {
    if (!r.contains(key)) load_fail(r, who, "missing tensor \"" + key + "\"");
    const Shape s = r.shape(key);
    std::size_t n = 1;
    for (auto d : s) n *= d;
    if (n != groups || (groups > 1 && s.size() != 1))
        load_fail(r, who, "tensor \"" + key + "\" of shape " + shape_str(s) + " holds " + std::to_string(n) +
                              (n == 1 ? " value" : " values") + ", one per parameter group, and the optimizer has " +
                              std::to_string(groups) + (groups == 1 ? " group" : " groups"));
    const auto a = r.get<double>(key);
    return {a.data(), a.data() + n};
}

xt::xarray<double> one_per_group(const std::vector<double>& v) { return xt::adapt(v, {v.size()}); }

std::int64_t one_integer(const nn::SafetensorsReader& r, const std::string& who, const std::string& key) {
    const double v = one_number(r, who, key);
    if (!(v == std::floor(v) && std::abs(v) < 9.0e15))
        load_fail(r, who, "tensor \"" + key + "\" should hold an integer, it holds " + detail::fmt(v));
    return static_cast<std::int64_t>(v);
}

}  // namespace

void LRScheduler::save_state(nn::SafetensorsWriter& w, const std::string& prefix) const {
    w.add(prefix + "last_epoch", xt::xarray<std::int64_t>(last_epoch_));
    w.add(prefix + "base_lrs", one_per_group(base_lrs_));
    w.add(prefix + "_last_lr", one_per_group(last_lrs_));
    w.add(prefix + "_step_count", xt::xarray<std::int64_t>(step_count_));
}

void LRScheduler::load_state(const nn::SafetensorsReader& r, const std::string& prefix) {
    const std::int64_t last_epoch = one_integer(r, name(), prefix + "last_epoch");
    auto base_lrs = per_group(r, name(), prefix + "base_lrs", base_lrs_.size());
    auto last_lrs = per_group(r, name(), prefix + "_last_lr", base_lrs_.size());
    const std::int64_t step_count = one_integer(r, name(), prefix + "_step_count");
    last_epoch_ = last_epoch;
    base_lrs_ = std::move(base_lrs);
    last_lrs_ = std::move(last_lrs);
    step_count_ = step_count;
}

// ---- StepLR ------------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    XG_CHECK(step_size > 0, "StepLR: step_size must be positive, got " << step_size);
    initial_step();
}

double StepLR::get_lr(std::size_t g) const {
    if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return current_lr(g);
    return current_lr(g) * gamma_;
}

double StepLR::closed_form_lr(std::size_t g) const {
    // Python's // floors; epochs are >= 0 here
    return base_lrs_[g] * std::pow(gamma_, static_cast<double>(last_epoch_ / step_size_));
}

// ---- MultiStepLR -------------------------------------------------------------------

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
    std::sort(milestones_.begin(), milestones_.end());
    initial_step();
}

double MultiStepLR::get_lr(std::size_t g) const {
    const auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
    return hits == 0 ? current_lr(g) : current_lr(g) * std::pow(gamma_, static_cast<double>(hits));
}

double MultiStepLR::closed_form_lr(std::size_t g) const {
    const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
    return base_lrs_[g] * std::pow(gamma_, static_cast<double>(passed));
}

// ---- ExponentialLR -----------------------------------------------------------------

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
    initial_step();
}

double ExponentialLR::get_lr(std::size_t g) const {
    if (last_epoch_ == 0) return current_lr(g);
    return current_lr(g) * gamma_;
}

double ExponentialLR::closed_form_lr(std::size_t g) const { return base_lrs_[g] * std::pow(gamma_, static_cast<double>(last_epoch_)); }

// ---- CosineAnnealingLR -------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
    XG_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be positive, got " << T_max);
    XG_CHECK(eta_min >= 0, "CosineAnnealingLR: eta_min must be >= 0, got " << eta_min);
    initial_step();
}

double CosineAnnealingLR::get_lr(std::size_t g) const {
    constexpr double pi = std::numbers::pi;
    const double e = static_cast<double>(last_epoch_), T = static_cast<double>(T_max_);
    const double base_lr = base_lrs_[g];
    if (last_epoch_ == 0) return current_lr(g);
    if (step_count_ == 1 && last_epoch_ > 0)
        return eta_min_ + (base_lr - eta_min_) * (1 + std::cos(e * pi / T)) / 2;
    // Python's % is non-negative for a positive divisor
    const std::int64_t period = 2 * T_max_;
    if ((((last_epoch_ - 1 - T_max_) % period) + period) % period == 0)
        return current_lr(g) + (base_lr - eta_min_) * (1 - std::cos(pi / T)) / 2;
    return (1 + std::cos(pi * e / T)) / (1 + std::cos(pi * (e - 1) / T)) * (current_lr(g) - eta_min_) + eta_min_;
}

double CosineAnnealingLR::closed_form_lr(std::size_t g) const {
    constexpr double pi = std::numbers::pi;
    return eta_min_ + (base_lrs_[g] - eta_min_) * (1 + std::cos(pi * static_cast<double>(last_epoch_) / T_max_)) / 2;
}

// ---- LinearLR ----------------------------------------------------------------------

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, std::int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
    XG_CHECK(start_factor > 0 && start_factor <= 1,
             "LinearLR: starting multiplicative factor expected to be in (0, 1], got " << start_factor);
    XG_CHECK(end_factor >= 0 && end_factor <= 1,
             "LinearLR: ending multiplicative factor expected to be in [0, 1], got " << end_factor);
    XG_CHECK(total_iters > 0, "LinearLR: total_iters must be positive, got " << total_iters);
    initial_step();
}

double LinearLR::get_lr(std::size_t g) const {
    if (last_epoch_ == 0) return current_lr(g) * start_factor_;
    if (last_epoch_ > total_iters_) return current_lr(g);
    const double slope = end_factor_ - start_factor_;
    return current_lr(g) *
           (1. + slope / (static_cast<double>(total_iters_) * start_factor_ + static_cast<double>(last_epoch_ - 1) * slope));
}

double LinearLR::closed_form_lr(std::size_t g) const {
    const double progress = static_cast<double>(std::min(total_iters_, last_epoch_));
    return base_lrs_[g] * (start_factor_ + (end_factor_ - start_factor_) * progress / static_cast<double>(total_iters_));
}

// ---- SequentialLR ------------------------------------------------------------------

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<std::int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
    XG_CHECK(!schedulers_.empty(), "SequentialLR: expects at least one scheduler");
    for (std::size_t i = 0; i < schedulers_.size(); ++i) {
        XG_CHECK(schedulers_[i] != nullptr, "SequentialLR: scheduler " << i << " is null");
        XG_CHECK(&schedulers_[i]->optimizer() == &optimizer,
                 "SequentialLR: expects all schedulers to belong to the same optimizer, but scheduler "
                     << i << " (" << schedulers_[i]->name() << ") drives a different one");
    }
    XG_CHECK(milestones_.size() + 1 == schedulers_.size(),
             "SequentialLR: expects one milestone fewer than schedulers, got " << schedulers_.size() << " schedulers and "
                                                                               << milestones_.size() << " milestones");
    for (std::size_t i = 0; i < milestones_.size(); ++i)
        XG_CHECK(milestones_[i] > 0 && (i == 0 || milestones_[i] > milestones_[i - 1]),
                 "SequentialLR: milestones must be positive and increasing, got " << milestones_[i] << " at index " << i);

    last_epoch_ = 0;
    // each scheduler's constructor made its first step: undo them, restart the first
    for (std::size_t g = 0; g < optimizer.num_param_groups(); ++g) optimizer.set_lr(g, *optimizer.initial_lr(g));
    for (auto& s : schedulers_) s->last_epoch_ -= 1;
    schedulers_[0]->initial_step();
    last_lrs_ = schedulers_[0]->last_lrs_;
}

void SequentialLR::step() {
    ++last_epoch_;
    const auto idx = static_cast<std::size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) -
                                              milestones_.begin());
    LRScheduler& s = *schedulers_[idx];
    if (idx > 0 && milestones_[idx - 1] == last_epoch_)
        s.step(0);  // the next scheduler starts from its epoch 0, on its base lr
    else
        s.step();
    last_lrs_ = s.last_lrs_;
}

void SequentialLR::step(std::int64_t) {
    XG_FAIL("SequentialLR: step(epoch) is not supported; call step() once per epoch");
}

void SequentialLR::save_state(nn::SafetensorsWriter& w, const std::string& prefix) const {
    w.add(prefix + "last_epoch", xt::xarray<std::int64_t>(last_epoch_));
    w.add(prefix + "_last_lr", one_per_group(last_lrs_));
    for (std::size_t i = 0; i < schedulers_.size(); ++i)
        schedulers_[i]->save_state(w, prefix + "_schedulers." + std::to_string(i) + ".");
}

void SequentialLR::load_state(const nn::SafetensorsReader& r, const std::string& prefix) {
    const std::int64_t last_epoch = one_integer(r, name(), prefix + "last_epoch");
    auto last_lrs = per_group(r, name(), prefix + "_last_lr", last_lrs_.size());
    // the schedulers load one by one: put them back if a later one fails
    struct Saved {
        std::int64_t last_epoch, step_count;
        std::vector<double> base_lrs, last_lrs;
    };
    std::vector<Saved> saved;
    for (auto& s : schedulers_) saved.push_back({s->last_epoch_, s->step_count_, s->base_lrs_, s->last_lrs_});
    try {
        for (std::size_t i = 0; i < schedulers_.size(); ++i)
            schedulers_[i]->load_state(r, prefix + "_schedulers." + std::to_string(i) + ".");
    } catch (...) {
        for (std::size_t i = 0; i < schedulers_.size(); ++i) {
            auto& s = *schedulers_[i];
            s.last_epoch_ = saved[i].last_epoch;
            s.step_count_ = saved[i].step_count;
            s.base_lrs_ = saved[i].base_lrs;
            s.last_lrs_ = saved[i].last_lrs;
        }
        throw;
    }
    last_epoch_ = last_epoch;
    last_lrs_ = std::move(last_lrs);
}

// ---- ReduceLROnPlateau -------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(&optimizer), options_(options) {
    XG_CHECK(options_.factor() < 1.0 && options_.factor() >= 0, "ReduceLROnPlateau: factor should be in [0, 1), got "
                                                                      << options_.factor());
    XG_CHECK(options_.patience() >= 0 && options_.cooldown() >= 0,
             "ReduceLROnPlateau: patience and cooldown must be >= 0");
    XG_CHECK(options_.min_lr() >= 0, "ReduceLROnPlateau: min_lr must be >= 0, got " << options_.min_lr());
    const std::size_t groups = optimizer.num_param_groups();
    if (options_.min_lrs().empty()) {
        min_lrs_.assign(groups, options_.min_lr());
    } else {
        XG_CHECK(options_.min_lrs().size() == groups, "ReduceLROnPlateau: expected " << groups << " min_lrs, got "
                                                                                      << options_.min_lrs().size());
        for (double m : options_.min_lrs()) XG_CHECK(m >= 0, "ReduceLROnPlateau: min_lrs must be >= 0, got " << m);
        min_lrs_ = options_.min_lrs();
    }
    best_ = options_.mode() == PlateauMode::min ? std::numeric_limits<double>::infinity()
                                                : -std::numeric_limits<double>::infinity();
}

bool ReduceLROnPlateau::is_better(double a) const {
    const double t = options_.threshold();
    const bool rel = options_.threshold_mode() == ThresholdMode::rel;
    if (options_.mode() == PlateauMode::min) return rel ? a < best_ * (1 - t) : a < best_ - t;
    return rel ? a > best_ * (1 + t) : a > best_ + t;
}

void ReduceLROnPlateau::step(double metric) {
    ++last_epoch_;
    if (is_better(metric)) {  // a NaN metric is never better
        best_ = metric;
        num_bad_epochs_ = 0;
    } else {
        ++num_bad_epochs_;
    }
    if (cooldown_counter_ > 0) {  // bad epochs in the cooldown do not count
        --cooldown_counter_;
        num_bad_epochs_ = 0;
    }
    if (num_bad_epochs_ > options_.patience()) {
        for (std::size_t g = 0; g < min_lrs_.size(); ++g) {
            const double old_lr = optimizer_->lr(g), new_lr = std::max(old_lr * options_.factor(), min_lrs_[g]);
            if (old_lr - new_lr > options_.eps()) optimizer_->set_lr(g, new_lr);
        }
        cooldown_counter_ = options_.cooldown();
        num_bad_epochs_ = 0;
    }
}

void ReduceLROnPlateau::save_state(nn::SafetensorsWriter& w, const std::string& prefix) const {
    w.add(prefix + "last_epoch", xt::xarray<std::int64_t>(last_epoch_));
    w.add(prefix + "best", xt::xarray<double>(best_));
    w.add(prefix + "num_bad_epochs", xt::xarray<std::int64_t>(num_bad_epochs_));
    w.add(prefix + "cooldown_counter", xt::xarray<std::int64_t>(cooldown_counter_));
}

void ReduceLROnPlateau::load_state(const nn::SafetensorsReader& r, const std::string& prefix) {
    const std::int64_t last_epoch = one_integer(r, name(), prefix + "last_epoch");
    const double best = one_number(r, name(), prefix + "best");
    const std::int64_t bad = one_integer(r, name(), prefix + "num_bad_epochs");
    const std::int64_t cooldown = one_integer(r, name(), prefix + "cooldown_counter");
    if (std::isnan(best)) load_fail(r, name(), "\"" + prefix + "best\" is nan");
    if (last_epoch < 0 || bad < 0 || cooldown < 0)
        load_fail(r, name(), "negative last_epoch, num_bad_epochs or cooldown_counter");
    last_epoch_ = last_epoch, best_ = best, num_bad_epochs_ = bad, cooldown_counter_ = cooldown;
}

}  // namespace xg::optim

#include "optim/optimizer.hpp"

#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>
#include <unordered_set>

namespace xg::optim {

namespace detail {
std::string fmt(double v) {
    // the shortest digits that read back as v; positional unless the exponent is below
    // -4 or from 16 on, as Python's repr
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    const std::string sci(buf, r.ptr);
    const auto e = sci.find('e');
    if (e == std::string::npos) return sci;  // inf, nan
    const int exponent = std::stoi(sci.substr(e + 1));
    if (exponent < -4 || exponent >= 16) return sci;
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    return std::string(buf, r.ptr);
}
}  // namespace detail

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
    XG_CHECK(!params_.empty(), "optimizer got an empty parameter list");
    std::unordered_set<const void*> seen;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        XG_CHECK(params_[i].defined(), "optimizer: parameter " << i << " is an empty tensor handle");
        XG_CHECK(params_[i].is_leaf(), "optimizer: can't optimize a non-leaf tensor (parameter " << i << ")");
        XG_CHECK(seen.insert(params_[i].impl()).second,
                 "optimizer: parameter " << i << " appears twice in the parameter list");
    }
    states_.resize(params_.size());
}

void Optimizer::set_lr(double lr) {
    XG_CHECK(std::isfinite(lr) && lr >= 0, name() << ": invalid learning rate: " << lr << " (must be >= 0)");
    lr_ = lr;
}

void Optimizer::step() {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor& p = params_[i];
        if (!p.has_grad()) continue;  // as PyTorch skips grad None
        auto& value = p.value();
        const auto& grad = p.grad();
        XG_CHECK(grad.shape() == value.shape(), name() << ": parameter " << i << " has shape " << shape_str(value.shape())
                                                       << " but its gradient has shape " << shape_str(grad.shape()));
        update(value, grad, states_[i]);
    }
}

void Optimizer::zero_grad(bool set_to_none) {
    for (const Tensor& p : params_) {
        if (set_to_none) {
            p.clear_grad();
        } else {
            p.zero_grad();
        }
    }
}

void Optimizer::init_state(ParamState& state, const xt::xarray<float>& value) const {
    state.initialized = true;
    state.step = 0;
    state.buffers.assign(state_names().size(), xt::zeros<float>(value.shape()));
}

std::string Optimizer::repr() const { return name() + "(" + extra_repr() + ")"; }

// ---- checkpoints -------------------------------------------------------------------

namespace {

xt::xarray<double> scalar(double v) { return xt::xarray<double>(v); }

}  // namespace

void Optimizer::save_state(nn::SafetensorsWriter& w, const std::string& prefix) const {
    w.add(prefix + "param_groups.0.lr", scalar(lr_));
    if (initial_lr_) w.add(prefix + "param_groups.0.initial_lr", scalar(*initial_lr_));
    xt::xarray<std::int64_t> indices = xt::arange<std::int64_t>(static_cast<std::int64_t>(params_.size()));
    w.add(prefix + "param_groups.0.params", indices);
    const auto names = state_names();
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const ParamState& s = states_[i];
        if (!s.initialized) continue;
        const std::string base = prefix + "state." + std::to_string(i) + ".";
        if (has_step()) w.add(base + "step", xt::xarray<std::int64_t>(s.step));
        for (std::size_t j = 0; j < names.size(); ++j) w.add(base + names[j], s.buffers[j]);
    }
}

void Optimizer::load_state(const nn::SafetensorsReader& r, const std::string& prefix) {
    auto fail = [&](const std::string& what) {
        throw std::runtime_error(r.path() + ": cannot load the " + name() + " state: " + what);
    };
    auto quoted = [](const std::string& s) { return "\"" + s + "\""; };
    std::set<std::string> known;
    auto require = [&](const std::string& key) {
        if (!r.contains(key)) fail("missing tensor " + quoted(key));
        known.insert(key);
    };
    auto one_number = [&](const std::string& key) {
        const Shape s = r.shape(key);
        std::size_t n = 1;
        for (auto d : s) n *= d;
        if (n != 1) fail("tensor " + quoted(key) + " should hold one number, it has shape " + shape_str(s));
        return r.get<double>(key).data()[0];
    };

    // the parameter group: lr, initial_lr, the parameter indices
    const std::string lr_key = prefix + "param_groups.0.lr";
    require(lr_key);
    const double lr = one_number(lr_key);
    if (!(std::isfinite(lr) && lr >= 0)) fail("tensor " + quoted(lr_key) + " holds an invalid learning rate");
    std::optional<double> initial_lr;
    const std::string initial_key = prefix + "param_groups.0.initial_lr";
    if (r.contains(initial_key)) {
        known.insert(initial_key);
        initial_lr = one_number(initial_key);
    }
    const std::string params_key = prefix + "param_groups.0.params";
    require(params_key);
    const Shape ps = r.shape(params_key);
    if (ps.size() != 1 || ps[0] != params_.size())
        fail("the file's optimizer has " + std::to_string(ps.size() == 1 ? ps[0] : 0) + " parameters (tensor " +
             quoted(params_key) + " of shape " + shape_str(ps) + "), this " + name() + " has " +
             std::to_string(params_.size()));

    // per-parameter state: all of a parameter's tensors, or none (never updated)
    const auto names = state_names();
    std::vector<ParamState> staged(params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const std::string base = prefix + "state." + std::to_string(i) + ".";
        std::vector<std::string> keys;
        if (has_step()) keys.push_back(base + "step");
        for (const auto& n : names) keys.push_back(base + n);
        std::size_t present = 0;
        for (const auto& k : keys) present += r.contains(k);
        if (present == 0) continue;
        for (const auto& k : keys)
            if (!r.contains(k))
                fail("missing tensor " + quoted(k) + " (the file has part of parameter " + std::to_string(i) + "'s state)");
        ParamState& s = staged[i];
        s.initialized = true;
        if (has_step()) {
            known.insert(keys[0]);
            const double step = one_number(keys[0]);
            if (!(step >= 0 && step == std::floor(step) && step < 9.0e15))
                fail("tensor " + quoted(keys[0]) + " holds an invalid step count " + detail::fmt(step));
            s.step = static_cast<std::int64_t>(step);
        }
        const Shape want = params_[i].shape();
        for (std::size_t j = 0; j < names.size(); ++j) {
            const std::string& k = keys[j + (has_step() ? 1 : 0)];
            known.insert(k);
            const Shape got = r.shape(k);
            if (got != want)
                fail("size mismatch for " + quoted(k) + ": the file has shape " + shape_str(got) + ", parameter " +
                     std::to_string(i) + " has shape " + shape_str(want));
            const std::string& d = r.dtype(k);
            if (d != "F32" && d != "F64" && d != "F16" && d != "BF16")
                fail("tensor " + quoted(k) + " has dtype " + d + ", expected a floating-point type");
            s.buffers.push_back(r.get<float>(k));
        }
    }
    for (const auto& n : r.names())
        if (n.compare(0, prefix.size(), prefix) == 0 && !known.count(n))
            fail("unexpected tensor " + quoted(n) + " (not part of the state of this " + repr() + " with " +
                 std::to_string(params_.size()) + " parameters)");

    // everything checked: commit
    states_ = std::move(staged);
    lr_ = lr;
    initial_lr_ = initial_lr;
}

}  // namespace xg::optim

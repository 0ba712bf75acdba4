#include "optim/optimizer.hpp"

#include <charconv>
#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <unordered_map>

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

std::string group_suffix(std::size_t group, std::size_t num_groups) {
    return num_groups > 1 ? " (parameter group " + std::to_string(group) + ")" : "";
}
}  // namespace detail

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)) {
    XG_CHECK(!params_.empty(), "optimizer got an empty parameter list");
    groups_.push_back({0, params_.size(), lr, std::nullopt});
    check_parameters();
}

Optimizer::Optimizer(const std::vector<ParamGroup>& groups, double default_lr) {
    XG_CHECK(!groups.empty(), "optimizer got an empty parameter list");
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const auto& ps = groups[g].params();
        XG_CHECK(!ps.empty(), "optimizer: parameter group " << g << " has no parameters");
        groups_.push_back({params_.size(), params_.size() + ps.size(), groups[g].lr().value_or(default_lr), std::nullopt});
        params_.insert(params_.end(), ps.begin(), ps.end());
    }
    check_parameters();
}

void Optimizer::check_parameters() {
    std::unordered_map<const void*, std::size_t> seen;  // parameter -> its index
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const std::size_t g = group_of(i), k = i - groups_[g].begin;
        // "parameter 3", or "parameter 1 of group 1" with groups
        const std::string which = groups_.size() == 1 ? "parameter " + std::to_string(i)
                                                      : "parameter " + std::to_string(k) + " of group " + std::to_string(g);
        XG_CHECK(params_[i].defined(), "optimizer: " << which << " is an empty tensor handle");
        XG_CHECK(params_[i].is_leaf(), "optimizer: can't optimize a non-leaf tensor (" << which << ")");
        const auto [it, fresh] = seen.emplace(params_[i].id(), i);
        if (fresh) continue;
        const std::size_t first_group = group_of(it->second);
        XG_CHECK(first_group == g, "optimizer: some parameters appear in more than one parameter group ("
                                       << which << " is parameter " << it->second - groups_[first_group].begin
                                       << " of group " << first_group << ")");
        XG_FAIL("optimizer: " << which << " appears twice in the parameter list");
    }
    states_.resize(params_.size());
}

std::vector<Tensor> Optimizer::parameters(std::size_t group) const {
    const Group& g = groups_.at(group);
    return {params_.begin() + static_cast<std::ptrdiff_t>(g.begin), params_.begin() + static_cast<std::ptrdiff_t>(g.end)};
}

std::size_t Optimizer::group_of(std::size_t i) const {
    XG_CHECK(i < params_.size(), "optimizer: parameter " << i << " out of range (" << params_.size() << " parameters)");
    std::size_t g = 0;
    while (groups_[g].end <= i) ++g;
    return g;
}

void Optimizer::set_lr(double lr) {
    for (std::size_t g = 0; g < groups_.size(); ++g) set_lr(g, lr);
}

void Optimizer::set_lr(std::size_t group, double lr) {
    XG_CHECK(std::isfinite(lr) && lr >= 0, name() << ": invalid learning rate: " << lr << " (must be >= 0)"
                                                  << detail::group_suffix(group, groups_.size()));
    groups_.at(group).lr = lr;
}

void Optimizer::set_initial_lr(double lr) {
    for (auto& g : groups_) g.initial_lr = lr;
}

void Optimizer::step() {
    NoGradGuard no_grad;
    for (std::size_t g = 0; g < groups_.size(); ++g)
        for (std::size_t i = groups_[g].begin; i < groups_[g].end; ++i) {
            const Tensor& p = params_[i];
            if (!p.has_grad()) continue;  // as PyTorch skips grad None
            auto& value = p.value();
            const auto& grad = p.grad();
            XG_CHECK(grad.shape() == value.shape(), name() << ": parameter " << i << " has shape " << shape_str(value.shape())
                                                           << " but its gradient has shape " << shape_str(grad.shape()));
            update(value, grad, states_[i], g);
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

void Optimizer::init_state(ParamState& state, const xt::xarray<float>& value, std::size_t group) const {
    state.initialized = true;
    state.step = 0;
    state.buffers.assign(state_names(group).size(), xt::zeros<float>(value.shape()));
}

std::string Optimizer::repr() const {
    if (groups_.size() == 1) return name() + "(" + extra_repr(0) + ")";
    std::string s = name() + "(";
    for (std::size_t g = 0; g < groups_.size(); ++g)
        s += (g ? "; group " : "group ") + std::to_string(g) + ": " + extra_repr(g);
    return s + ")";
}

// ---- checkpoints -------------------------------------------------------------------

namespace {

xt::xarray<double> scalar(double v) { return xt::xarray<double>(v); }

}  // namespace

void Optimizer::save_state(nn::SafetensorsWriter& w, const std::string& prefix) const {
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        const Group& group = groups_[g];
        const std::string base = prefix + "param_groups." + std::to_string(g) + ".";
        w.add(base + "lr", scalar(group.lr));
        if (group.initial_lr) w.add(base + "initial_lr", scalar(*group.initial_lr));
        // indices across groups, as PyTorch's state_dict numbers them
        xt::xarray<std::int64_t> indices =
            xt::arange<std::int64_t>(static_cast<std::int64_t>(group.begin), static_cast<std::int64_t>(group.end));
        w.add(base + "params", indices);
    }
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const ParamState& s = states_[i];
        if (!s.initialized) continue;
        const auto names = state_names(group_of(i));
        const std::string base = prefix + "state." + std::to_string(i) + ".";
        if (has_step()) w.add(base + "step", xt::xarray<std::int64_t>(s.step));
        for (std::size_t j = 0; j < names.size(); ++j) w.add(base + names[j], s.buffers[j]);
    }
}

void Optimizer::load_state(const nn::SafetensorsReader& r, const std::string& prefix) {
    auto fail = [&](const std::string& what) {
        throw FormatError(r.path() + ": cannot load the " + name() + " state: " + what);
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
    auto count = [](std::size_t n, const std::string& what) {
        return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
    };

    // the groups: as many as "<prefix>param_groups.<g>." names say (the largest g + 1)
    const std::string groups_prefix = prefix + "param_groups.";
    std::size_t file_groups = 0;
    for (const auto& n : r.names()) {
        if (n.compare(0, groups_prefix.size(), groups_prefix) != 0) continue;
        const std::string rest = n.substr(groups_prefix.size());
        const auto dot = rest.find('.');
        const std::string index = rest.substr(0, dot);
        if (dot == std::string::npos || index.empty() || index.size() > 6 ||
            index.find_first_not_of("0123456789") != std::string::npos)
            fail("unexpected tensor " + quoted(n));
        file_groups = std::max(file_groups, std::stoul(index) + 1);
    }
    if (file_groups != groups_.size() && file_groups != 0)  // none at all: "missing tensor" below says more
        fail("the file's optimizer has " + count(file_groups, "parameter group") + ", this " + name() + " has " +
             std::to_string(groups_.size()));

    // each group's lr, initial_lr and parameter count
    std::vector<Group> staged_groups = groups_;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        const std::string base = groups_prefix + std::to_string(g) + ".";
        const std::string lr_key = base + "lr";
        require(lr_key);
        const double lr = one_number(lr_key);
        if (!(std::isfinite(lr) && lr >= 0)) fail("tensor " + quoted(lr_key) + " holds an invalid learning rate");
        staged_groups[g].lr = lr;
        staged_groups[g].initial_lr.reset();
        const std::string initial_key = base + "initial_lr";
        if (r.contains(initial_key)) {
            known.insert(initial_key);
            staged_groups[g].initial_lr = one_number(initial_key);
        }
        const std::string params_key = base + "params";
        require(params_key);
        const Shape ps = r.shape(params_key);
        const std::size_t want = groups_[g].end - groups_[g].begin, got = ps.size() == 1 ? ps[0] : 0;
        if (ps.size() == 1 && got == want) continue;
        if (groups_.size() == 1)
            fail("the file's optimizer has " + std::to_string(got) + " parameters (tensor " + quoted(params_key) +
                 " of shape " + shape_str(ps) + "), this " + name() + " has " + std::to_string(want));
        fail("parameter group " + std::to_string(g) + " has " + count(got, "parameter") + " in the file (tensor " +
             quoted(params_key) + " of shape " + shape_str(ps) + "), " + std::to_string(want) + " in this " + name());
    }

    // per-parameter state: all of a parameter's tensors, or none (never updated)
    std::vector<ParamState> staged(params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const auto names = state_names(group_of(i));
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
    groups_ = std::move(staged_groups);
}

}  // namespace xg::optim

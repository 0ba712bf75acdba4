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
    XG_CHECK(std::isfinite(lr) && lr >= 0, name() << ": invalid learning rate: " << lr << " (must be finite and >= 0)"
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

namespace {

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

std::string count(std::size_t n, const std::string& what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

// An optimizer's tensors in a safetensors file, under a prefix. It remembers which tensors
// were read, so that anything else under the prefix can be reported as unexpected.
class StateFile {
public:
    StateFile(const nn::SafetensorsReader& r, const std::string& prefix, const std::string& optimizer)
        : r_(r), prefix_(prefix), optimizer_(optimizer) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(r_.path() + ": cannot load the " + optimizer_ + " state: " + what);
    }
    bool take(const std::string& key) {
        if (!r_.contains(key)) return false;
        known_.insert(key);
        return true;
    }
    void require(const std::string& key) {
        if (!take(key)) fail("missing tensor " + in_quotes(key));
    }
    double one_number(const std::string& key) const {
        const Shape s = r_.shape(key);
        std::size_t n = 1;
        for (auto d : s) n *= d;
        if (n != 1) fail("tensor " + in_quotes(key) + " should hold one number, it has shape " + shape_str(s));
        return r_.get<double>(key).data()[0];
    }
    const nn::SafetensorsReader& reader() const { return r_; }
    const std::string& prefix() const { return prefix_; }
    const std::string& optimizer() const { return optimizer_; }

    // How many groups the "<prefix>param_groups.<g>." names say: the largest g + 1.
    std::size_t group_count() const {
        const std::string groups = prefix_ + "param_groups.";
        std::size_t n = 0;
        for (const auto& name : r_.names()) {
            if (name.compare(0, groups.size(), groups) != 0) continue;
            const std::string rest = name.substr(groups.size());
            const auto dot = rest.find('.');
            const std::string index = rest.substr(0, dot);
            if (dot == std::string::npos || index.empty() || index.size() > 6 ||
                index.find_first_not_of("0123456789") != std::string::npos)
                fail("unexpected tensor " + in_quotes(name));
            n = std::max(n, std::stoul(index) + 1);
        }
        return n;
    }

    // Every tensor under the prefix was read, or the file holds another optimizer's state.
    void check_nothing_else(const std::string& owner) const {
        for (const auto& name : r_.names())
            if (name.compare(0, prefix_.size(), prefix_) == 0 && !known_.count(name))
                fail("unexpected tensor " + in_quotes(name) + " (not part of the state of this " + owner + ")");
    }

private:
    const nn::SafetensorsReader& r_;
    std::string prefix_, optimizer_;
    std::set<std::string> known_;
};

// A group's lr and initial_lr, after checking that its parameter count matches ours (want).
void read_group(StateFile& file, std::size_t g, std::size_t num_groups, std::size_t want, double& lr,
                std::optional<double>& initial_lr) {
    const std::string base = file.prefix() + "param_groups." + std::to_string(g) + ".";
    const std::string lr_key = base + "lr";
    file.require(lr_key);
    lr = file.one_number(lr_key);
    if (!(std::isfinite(lr) && lr >= 0)) file.fail("tensor " + in_quotes(lr_key) + " holds an invalid learning rate");
    initial_lr.reset();
    if (file.take(base + "initial_lr")) initial_lr = file.one_number(base + "initial_lr");
    const std::string params_key = base + "params";
    file.require(params_key);
    const Shape ps = file.reader().shape(params_key);
    const std::size_t got = ps.size() == 1 ? ps[0] : 0;
    if (ps.size() == 1 && got == want) return;
    if (num_groups == 1)
        file.fail("the file's optimizer has " + std::to_string(got) + " parameters (tensor " + in_quotes(params_key) +
                  " of shape " + shape_str(ps) + "), this " + file.optimizer() + " has " + std::to_string(want));
    file.fail("parameter group " + std::to_string(g) + " has " + count(got, "parameter") + " in the file (tensor " +
              in_quotes(params_key) + " of shape " + shape_str(ps) + "), " + std::to_string(want) + " in this " + file.optimizer());
}

// Parameter i's step and buffers (names, each of the parameter's shape): all of them, or
// none when the parameter was never updated.
ParamState read_param_state(StateFile& file, std::size_t i, const std::vector<std::string>& names, bool has_step,
                            const Shape& shape) {
    const std::string base = file.prefix() + "state." + std::to_string(i) + ".";
    std::vector<std::string> keys;
    if (has_step) keys.push_back(base + "step");
    for (const auto& n : names) keys.push_back(base + n);
    ParamState s;
    std::size_t present = 0;
    for (const auto& k : keys) present += file.reader().contains(k);
    if (present == 0) return s;
    for (const auto& k : keys)
        if (!file.take(k))
            file.fail("missing tensor " + in_quotes(k) + " (the file has part of parameter " + std::to_string(i) + "'s state)");
    s.initialized = true;
    if (has_step) {
        const double step = file.one_number(keys[0]);
        if (!(step >= 0 && step == std::floor(step) && step < 9.0e15))
            file.fail("tensor " + in_quotes(keys[0]) + " holds an invalid step count " + detail::fmt(step));
        s.step = static_cast<std::int64_t>(step);
    }
    for (std::size_t j = has_step ? 1 : 0; j < keys.size(); ++j) {
        const std::string& k = keys[j];
        const Shape got = file.reader().shape(k);
        if (got != shape)
            file.fail("size mismatch for " + in_quotes(k) + ": the file has shape " + shape_str(got) + ", parameter " +
                      std::to_string(i) + " has shape " + shape_str(shape));
        const std::string& d = file.reader().dtype(k);
        if (d != "F32" && d != "F64" && d != "F16" && d != "BF16")
            file.fail("tensor " + in_quotes(k) + " has dtype " + d + ", expected a floating-point type");
        s.buffers.push_back(file.reader().get<float>(k));
    }
    return s;
}

}  // namespace

// Everything is read and checked into staged copies first; the optimizer changes only when
// the whole file was right.
void Optimizer::load_state(const nn::SafetensorsReader& r, const std::string& prefix) {
    StateFile file(r, prefix, name());
    const std::size_t file_groups = file.group_count();
    if (file_groups != groups_.size() && file_groups != 0)  // none at all: "missing tensor" below says more
        file.fail("the file's optimizer has " + count(file_groups, "parameter group") + ", this " + name() + " has " +
                  std::to_string(groups_.size()));
    std::vector<Group> staged_groups = groups_;
    for (std::size_t g = 0; g < groups_.size(); ++g)
        read_group(file, g, groups_.size(), groups_[g].end - groups_[g].begin, staged_groups[g].lr,
                   staged_groups[g].initial_lr);
    std::vector<ParamState> staged(params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i)
        staged[i] = read_param_state(file, i, state_names(group_of(i)), has_step(), params_[i].shape());
    file.check_nothing_else(repr() + " with " + std::to_string(params_.size()) + " parameters");
    states_ = std::move(staged);
    groups_ = std::move(staged_groups);
}

}  // namespace xg::optim

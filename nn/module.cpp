#include "nn/module.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <sstream>
#include <typeinfo>

#include "autograd/detail.hpp"

namespace xg::nn {

template <class T>
auto ModuleT<T>::named_parameters(bool recurse) const -> NamedTensors {
    NamedTensors out = parameters_;
    if (!recurse) return out;
    for (const auto& [name, child] : children_)
        for (auto& [pname, p] : child->named_parameters(true)) out.emplace_back(name + "." + pname, p);
    return out;
}

template <class T>
std::vector<TensorT<T>> ModuleT<T>::parameters(bool recurse) const {
    std::vector<TensorType> out;
    for (auto& [name, p] : named_parameters(recurse)) out.push_back(p);
    return out;
}

template <class T>
TensorT<T> ModuleT<T>::parameter(const std::string& name) const {
    for (auto& [n, p] : named_parameters(true))
        if (n == name) return p;
    XG_FAIL(type_name() << ": no parameter named \"" << name << "\"");
}

template <class T>
std::vector<std::pair<std::string, ModuleT<T>*>> ModuleT<T>::named_children() const {
    std::vector<std::pair<std::string, ModuleT*>> out;
    for (const auto& [name, child] : children_) out.emplace_back(name, child.get());
    return out;
}

template <class T>
void ModuleT<T>::train(bool on) {
    training_ = on;
    for (auto& [name, child] : children_) child->train(on);
}

template <class T>
void ModuleT<T>::zero_grad() {
    for (auto& p : parameters()) p.zero_grad();
}

template <class T>
std::size_t ModuleT<T>::num_parameters() const {
    std::size_t n = 0;
    for (auto& p : parameters()) n += p.numel();
    return n;
}

template <class T>
std::string ModuleT<T>::type_name() const {
    const char* mangled = typeid(*this).name();
    int status = 0;
    char* d = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    std::string name = status == 0 && d ? d : mangled;
    std::free(d);
    // drop namespaces and template arguments: "xg::nn::LSTMT<float>" -> "LSTMT"
    if (auto lt = name.find('<'); lt != std::string::npos) name.erase(lt);
    if (auto colon = name.rfind("::"); colon != std::string::npos) name.erase(0, colon + 2);
    return name;
}

template <class T>
void ModuleT<T>::repr_into(std::ostream& os, int indent) const {
    os << type_name() << '(' << extra_repr();
    if (children_.empty()) {
        os << ')';
        return;
    }
    os << '\n';
    for (const auto& [name, child] : children_) {
        os << std::string(indent + 2, ' ') << '(' << name << "): ";
        child->repr_into(os, indent + 2);
        os << '\n';
    }
    os << std::string(indent, ' ') << ')';
}

template <class T>
std::string ModuleT<T>::repr() const {
    std::ostringstream os;
    repr_into(os, 0);
    return os.str();
}

template <class T>
std::string ModuleT<T>::summary() const {
    std::ostringstream os;
    os << repr() << '\n';
    std::size_t total = 0, trainable = 0;
    for (auto& [name, p] : named_parameters()) {
        os << "  " << name << ' ' << shape_str(p.shape()) << ' ' << p.numel() << '\n';
        total += p.numel();
        if (p.requires_grad()) trainable += p.numel();
    }
    os << "Total parameters: " << total << " (trainable: " << trainable << ")";
    return os.str();
}

template <class T>
TensorT<T> ModuleT<T>::register_parameter(const std::string& name, TensorType t, bool requires_grad) {
    XG_CHECK(!name.empty() && name.find('.') == std::string::npos,
             type_name() << ": parameter name \"" << name << "\" must be non-empty and contain no '.'");
    XG_CHECK(t.defined(), type_name() << ": parameter \"" << name << "\" is an empty tensor");
    t.requires_grad_(requires_grad);  // throws for a non-leaf: before the name is taken
    claim_name(name, Kind::parameter);
    parameters_.emplace_back(name, t);
    return t;
}

template <class T>
void ModuleT<T>::replace_parameter(const std::string& name, TensorType t) {
    for (auto& [n, p] : parameters_)
        if (n == name) {
            p = t;
            return;
        }
    XG_FAIL(type_name() << ": no parameter named \"" << name << "\" to replace");
}

template <class T>
void ModuleT<T>::add_child(const std::string& name, std::shared_ptr<ModuleT> m) {
    XG_CHECK(!name.empty() && name.find('.') == std::string::npos,
             type_name() << ": module name \"" << name << "\" must be non-empty and contain no '.'");
    XG_CHECK(m != nullptr, type_name() << ": module \"" << name << "\" is null");
    claim_name(name, Kind::child);
    children_.emplace_back(name, std::move(m));
}

template <class T>
void ModuleT<T>::claim_name(const std::string& name, Kind kind) {
    const auto [it, added] = names_.emplace(name, kind);
    if (added) return;
    const char* what = kind == Kind::parameter ? "parameter" : "module";
    XG_CHECK(it->second != kind, type_name() << ": " << what << " \"" << name << "\" registered twice");
    XG_FAIL(type_name() << ": \"" << name << "\" is already " << (it->second == Kind::parameter ? "a parameter" : "a child module"));
}

XG_DEFINE_CLASS(ModuleT)

}  // namespace xg::nn

/// \file
/// Module: the base of every layer and model. Parameters and child modules are
/// registered by name in the constructor, so named_parameters() gives PyTorch's dotted
/// state_dict names ("encoder.weight_ih_l0") and serialization and optimizers see them.
///
///   struct Model : xg::nn::Module {
///       xg::nn::Embedding embed{xg::nn::EmbeddingOptions(V, 32)};
///       xg::nn::LSTM rnn{xg::nn::LSTMOptions(32, 64)};
///       Model() { register_module("embed", embed); register_module("rnn", rnn); }
///   };
///
/// Modules are neither copied nor moved (children and optimizers hold on to them);
/// make them where they live, or with std::make_shared.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::nn {

/// The base class of every layer and model, as torch.nn.Module: it owns the registry of
/// named parameters and child modules and the training flag.
template <class T>
class ModuleT {
public:
    using TensorType = TensorT<T>;  ///< The tensor type of its parameters.
    using NamedTensors = std::vector<std::pair<std::string, TensorType>>;  ///< (name, tensor) pairs, in order.

    ModuleT() = default;
    virtual ~ModuleT() = default;
    ModuleT(const ModuleT&) = delete;
    ModuleT& operator=(const ModuleT&) = delete;

    /// Own parameters in registration order, then each child's, prefixed "child.".
    NamedTensors named_parameters(bool recurse = true) const;
    /// The tensors of named_parameters(), in the same order, as torch.nn.Module.parameters().
    std::vector<TensorType> parameters(bool recurse = true) const;
    /// The parameter with this dotted name, or an error that names it.
    TensorType parameter(const std::string& name) const;
    /// Direct children in registration order, as torch.nn.Module.named_children().
    std::vector<std::pair<std::string, ModuleT*>> named_children() const;

    /// Training mode (dropout on) for this module and every descendant.
    void train(bool on = true);
    /// Evaluation mode, train(false), for this module and every descendant.
    void eval() { train(false); }
    /// True in training mode (the default), as torch.nn.Module.training.
    bool is_training() const { return training_; }

    /// Sets the gradient of every parameter, this module's and its descendants', to zeros.
    void zero_grad();
    /// The number of elements in all parameters, trainable or not.
    std::size_t num_parameters() const;

    /// "LSTM": the class name; subclasses of the built-in modules keep theirs.
    virtual std::string type_name() const;
    /// The options part of the printout: "4, 5, num_layers=2".
    virtual std::string extra_repr() const { return ""; }
    /// PyTorch-style printout of the module tree.
    std::string repr() const;
    /// repr() plus every parameter's name, shape and size and the total count.
    std::string summary() const;

protected:
    /// Adds t as a parameter under name (non-empty, no '.', not yet taken) and returns it,
    /// as torch.nn.Module.register_parameter; requires_grad sets whether it is trained.
    TensorType register_parameter(const std::string& name, TensorType t, bool requires_grad = true);
    /// Adds a child this module shares ownership of, under name, and returns it.
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
        add_child(name, m);
        return m;
    }
    /// A child that is a member of this module (not owned separately).
    template <class M>
    M& register_module(const std::string& name, M& member) {
        add_child(name, std::shared_ptr<ModuleT>(static_cast<ModuleT*>(&member), [](ModuleT*) {}));
        return member;
    }
    /// Replace a registered parameter's tensor (keeps its place and name).
    void replace_parameter(const std::string& name, TensorType t);

private:
    void add_child(const std::string& name, std::shared_ptr<ModuleT> m);
    void repr_into(std::ostream& os, int indent) const;

    /// Registered names, of parameters and children alike, and which each is: registering
    /// checks here rather than scanning, so a model of many layers builds in linear time.
    enum class Kind { parameter, child };
    void claim_name(const std::string& name, Kind kind);

    NamedTensors parameters_;
    std::vector<std::pair<std::string, std::shared_ptr<ModuleT>>> children_;
    std::unordered_map<std::string, Kind> names_;
    bool training_ = true;
};

using Module = ModuleT<float>;  ///< ModuleT in float: the type most programs use.

/// Prints m.repr(), as print(model) in PyTorch.
template <class T>
std::ostream& operator<<(std::ostream& os, const ModuleT<T>& m) {
    return os << m.repr();
}

XG_EXTERN_CLASS(ModuleT)

}  // namespace xg::nn

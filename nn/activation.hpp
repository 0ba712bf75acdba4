/// \file
/// Modules without parameters, for Sequential: Dropout, ReLU, Tanh, Sigmoid, Flatten.
#pragma once

#include <sstream>

#include "autograd/pointwise.hpp"
#include "autograd/shape_ops.hpp"
#include "autograd/softmax.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// A module mapping one tensor to one tensor: what Sequential chains.
template <class T>
class UnaryModuleT : public ModuleT<T> {
public:
    /// The output for input x; what each subclass defines.
    virtual TensorT<T> forward(const TensorT<T>& x) = 0;
    /// As forward(), so a module is called like torch's: m(x).
    TensorT<T> operator()(const TensorT<T>& x) { return forward(x); }
};

/// Zeroes elements with probability p while training (scaling the rest by 1/(1-p));
/// the identity in eval() mode.
template <class T>
class DropoutT : public UnaryModuleT<T> {
public:
    /// Dropout with probability p, as torch.nn.Dropout(p); p outside [0, 1] throws xg::Error.
    explicit DropoutT(double p = 0.5) : p_(p) {
        XG_CHECK(p >= 0.0 && p <= 1.0, "Dropout: probability has to be between 0 and 1, but got " << p);
    }
    /// x with dropout applied in training mode; x unchanged in eval() mode.
    TensorT<T> forward(const TensorT<T>& x) override { return dropout(x, p_, this->is_training()); }
    /// The probability of zeroing an element.
    double p() const { return p_; }
    std::string type_name() const override { return "Dropout"; }
    std::string extra_repr() const override {
        std::ostringstream os;
        os << "p=" << p_;
        return os.str();
    }

private:
    double p_;
};

/// max(x, 0) elementwise, as torch.nn.ReLU.
template <class T>
class ReLUT : public UnaryModuleT<T> {
public:
    /// relu(x).
    TensorT<T> forward(const TensorT<T>& x) override { return relu(x); }
    std::string type_name() const override { return "ReLU"; }
};

/// tanh elementwise, as torch.nn.Tanh.
template <class T>
class TanhT : public UnaryModuleT<T> {
public:
    /// tanh(x).
    TensorT<T> forward(const TensorT<T>& x) override { return tanh(x); }
    std::string type_name() const override { return "Tanh"; }
};

/// The logistic function 1 / (1 + exp(-x)) elementwise, as torch.nn.Sigmoid.
template <class T>
class SigmoidT : public UnaryModuleT<T> {
public:
    /// sigmoid(x).
    TensorT<T> forward(const TensorT<T>& x) override { return sigmoid(x); }
    std::string type_name() const override { return "Sigmoid"; }
};

/// Flattens dims start_dim..end_dim (default: all but the batch dim), as nn.Flatten.
template <class T>
class FlattenT : public UnaryModuleT<T> {
public:
    /// Flattens dims start_dim..end_dim, both inclusive; negative dims count from the end.
    explicit FlattenT(long start_dim = 1, long end_dim = -1) : start_(start_dim), end_(end_dim) {}
    /// x with those dims merged into one.
    TensorT<T> forward(const TensorT<T>& x) override { return flatten(x, start_, end_); }
    std::string type_name() const override { return "Flatten"; }
    std::string extra_repr() const override {
        std::ostringstream os;
        os << "start_dim=" << start_ << ", end_dim=" << end_;
        return os.str();
    }

private:
    long start_, end_;
};

using UnaryModule = UnaryModuleT<float>;  ///< UnaryModuleT in float: the type most programs use.
using Dropout = DropoutT<float>;          ///< DropoutT in float: the type most programs use.
using ReLU = ReLUT<float>;                ///< ReLUT in float: the type most programs use.
using Tanh = TanhT<float>;                ///< TanhT in float: the type most programs use.
using Sigmoid = SigmoidT<float>;          ///< SigmoidT in float: the type most programs use.
using Flatten = FlattenT<float>;          ///< FlattenT in float: the type most programs use.

}  // namespace xg::nn

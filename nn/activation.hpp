/// \file
/// Modules without parameters, for Sequential: Dropout, ReLU, Tanh, Sigmoid, Flatten.
#pragma once

#include <sstream>

#include "autograd/activation.hpp"
#include "autograd/pointwise.hpp"
#include "autograd/shape_ops.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// A module mapping one tensor to one tensor: what Sequential chains.
template <class T>
class UnaryModuleT : public ModuleT<T> {
public:
    virtual TensorT<T> forward(const TensorT<T>& x) = 0;
    TensorT<T> operator()(const TensorT<T>& x) { return forward(x); }
};

/// Zeroes elements with probability p while training (scaling the rest by 1/(1-p));
/// the identity in eval() mode.
template <class T>
class DropoutT : public UnaryModuleT<T> {
public:
    explicit DropoutT(double p = 0.5) : p_(p) {
        XG_CHECK(p >= 0.0 && p <= 1.0, "Dropout: probability has to be between 0 and 1, but got " << p);
    }
    TensorT<T> forward(const TensorT<T>& x) override { return dropout(x, p_, this->is_training()); }
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

template <class T>
class ReLUT : public UnaryModuleT<T> {
public:
    TensorT<T> forward(const TensorT<T>& x) override { return relu(x); }
    std::string type_name() const override { return "ReLU"; }
};

template <class T>
class TanhT : public UnaryModuleT<T> {
public:
    TensorT<T> forward(const TensorT<T>& x) override { return tanh(x); }
    std::string type_name() const override { return "Tanh"; }
};

template <class T>
class SigmoidT : public UnaryModuleT<T> {
public:
    TensorT<T> forward(const TensorT<T>& x) override { return sigmoid(x); }
    std::string type_name() const override { return "Sigmoid"; }
};

/// Flattens dims start_dim..end_dim (default: all but the batch dim), as nn.Flatten.
template <class T>
class FlattenT : public UnaryModuleT<T> {
public:
    explicit FlattenT(long start_dim = 1, long end_dim = -1) : start_(start_dim), end_(end_dim) {}
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

using UnaryModule = UnaryModuleT<float>;
using Dropout = DropoutT<float>;
using ReLU = ReLUT<float>;
using Tanh = TanhT<float>;
using Sigmoid = SigmoidT<float>;
using Flatten = FlattenT<float>;

}  // namespace xg::nn

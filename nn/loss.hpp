/// \file
/// Loss modules, as libtorch's torch::nn::CrossEntropyLoss and friends: the options once,
/// then loss(input, target). Each calls the function of the same name in autograd/loss.hpp.
///
///   xg::nn::CrossEntropyLoss criterion(xg::nn::CrossEntropyLossOptions().label_smoothing(0.1));
///   xg::Tensor loss = criterion(logits, targets);   // logits (N, C), targets (N) class ids
#pragma once

#include <string>

#include "autograd/loss.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// weight (C), ignore_index, reduction and label_smoothing as torch.nn.CrossEntropyLoss.
template <class T = float>
using CrossEntropyLossOptionsT = CrossEntropyFuncOptions<T>;
using CrossEntropyLossOptions = CrossEntropyLossOptionsT<float>;

/// ignore_index and reduction as torch.nn.NLLLoss (no per-class weight yet: nll_loss has none)
struct NLLLossOptions {
    XG_ARG(long, ignore_index) = -100;
    XG_ARG(Reduction, reduction) = Reduction::Mean;
};

/// weight, reduction and pos_weight as torch.nn.BCEWithLogitsLoss.
template <class T = float>
using BCEWithLogitsLossOptionsT = BinaryCrossEntropyWithLogitsFuncOptions<T>;
using BCEWithLogitsLossOptions = BCEWithLogitsLossOptionsT<float>;

struct MSELossOptions {
    XG_ARG(Reduction, reduction) = Reduction::Mean;
};

/// logits (N, C) or (N, C, d...), class ids (N) or (N, d...)
template <class T>
class CrossEntropyLossT : public ModuleT<T> {
public:
    explicit CrossEntropyLossT(const CrossEntropyLossOptionsT<T>& options = {}) : options_(options) {}
    TensorT<T> forward(const TensorT<T>& logits, const IndexArray& target) const { return cross_entropy(logits, target, options_); }
    TensorT<T> operator()(const TensorT<T>& logits, const IndexArray& target) const { return forward(logits, target); }
    const CrossEntropyLossOptionsT<T>& options() const { return options_; }
    std::string type_name() const override { return "CrossEntropyLoss"; }

private:
    CrossEntropyLossOptionsT<T> options_;
};

/// log-probabilities (N, C), class ids (N)
template <class T>
class NLLLossT : public ModuleT<T> {
public:
    explicit NLLLossT(const NLLLossOptions& options = {}) : options_(options) {}
    TensorT<T> forward(const TensorT<T>& log_probs, const IndexArray& target) const {
        return nll_loss(log_probs, target, options_.ignore_index(), options_.reduction());
    }
    TensorT<T> operator()(const TensorT<T>& log_probs, const IndexArray& target) const { return forward(log_probs, target); }
    const NLLLossOptions& options() const { return options_; }
    std::string type_name() const override { return "NLLLoss"; }

private:
    NLLLossOptions options_;
};

/// logits and targets (0 or 1, or probabilities) of one shape
template <class T>
class BCEWithLogitsLossT : public ModuleT<T> {
public:
    explicit BCEWithLogitsLossT(const BCEWithLogitsLossOptionsT<T>& options = {}) : options_(options) {}
    TensorT<T> forward(const TensorT<T>& logits, const TensorT<T>& target) const {
        return binary_cross_entropy_with_logits(logits, target, options_);
    }
    TensorT<T> operator()(const TensorT<T>& logits, const TensorT<T>& target) const { return forward(logits, target); }
    const BCEWithLogitsLossOptionsT<T>& options() const { return options_; }
    std::string type_name() const override { return "BCEWithLogitsLoss"; }

private:
    BCEWithLogitsLossOptionsT<T> options_;
};

template <class T>
class MSELossT : public ModuleT<T> {
public:
    explicit MSELossT(const MSELossOptions& options = {}) : options_(options) {}
    TensorT<T> forward(const TensorT<T>& input, const TensorT<T>& target) const { return mse_loss(input, target, options_.reduction()); }
    TensorT<T> operator()(const TensorT<T>& input, const TensorT<T>& target) const { return forward(input, target); }
    const MSELossOptions& options() const { return options_; }
    std::string type_name() const override { return "MSELoss"; }

private:
    MSELossOptions options_;
};

using CrossEntropyLoss = CrossEntropyLossT<float>;
using NLLLoss = NLLLossT<float>;
using BCEWithLogitsLoss = BCEWithLogitsLossT<float>;
using MSELoss = MSELossT<float>;

}  // namespace xg::nn

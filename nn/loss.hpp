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
/// CrossEntropyLossOptionsT in float: the type most programs use.
using CrossEntropyLossOptions = CrossEntropyLossOptionsT<float>;

/// ignore_index and reduction as torch.nn.NLLLoss (no per-class weight yet: nll_loss has none)
struct NLLLossOptions {
    XG_ARG(long, ignore_index) = -100;               ///< targets equal to this add no loss and no gradient, as torch's
    XG_ARG(Reduction, reduction) = Reduction::Mean;  ///< None, Mean (over non-ignored targets) or Sum, as torch's
};

/// weight, reduction and pos_weight as torch.nn.BCEWithLogitsLoss.
template <class T = float>
using BCEWithLogitsLossOptionsT = BinaryCrossEntropyWithLogitsFuncOptions<T>;
/// BCEWithLogitsLossOptionsT in float: the type most programs use.
using BCEWithLogitsLossOptions = BCEWithLogitsLossOptionsT<float>;

/// reduction as torch.nn.MSELoss.
struct MSELossOptions {
    XG_ARG(Reduction, reduction) = Reduction::Mean;  ///< None, Mean or Sum of the squared errors, as torch's
};

/// logits (N, C) or (N, C, d...), class ids (N) or (N, d...)
template <class T>
class CrossEntropyLossT : public ModuleT<T> {
public:
    /// A criterion with these options (default: mean over targets, no weights or smoothing).
    explicit CrossEntropyLossT(const CrossEntropyLossOptionsT<T>& options = {}) : options_(options) {}
    /// The loss of logits against target class ids: log_softmax over C, then the negative log-likelihood.
    TensorT<T> forward(const TensorT<T>& logits, const IndexArray& target) const { return cross_entropy(logits, target, options_); }
    /// As forward(), so the criterion is called like torch's: criterion(logits, target).
    TensorT<T> operator()(const TensorT<T>& logits, const IndexArray& target) const { return forward(logits, target); }
    /// The options it was made with.
    const CrossEntropyLossOptionsT<T>& options() const { return options_; }
    std::string type_name() const override { return "CrossEntropyLoss"; }

private:
    CrossEntropyLossOptionsT<T> options_;
};

/// log-probabilities (N, C), class ids (N)
template <class T>
class NLLLossT : public ModuleT<T> {
public:
    /// A criterion with these options (default: mean over targets, ignore_index -100).
    explicit NLLLossT(const NLLLossOptions& options = {}) : options_(options) {}
    /// Minus the log-probability of each target class, reduced as options().reduction() says.
    TensorT<T> forward(const TensorT<T>& log_probs, const IndexArray& target) const {
        return nll_loss(log_probs, target, options_.ignore_index(), options_.reduction());
    }
    /// As forward(): criterion(log_probs, target).
    TensorT<T> operator()(const TensorT<T>& log_probs, const IndexArray& target) const { return forward(log_probs, target); }
    /// The options it was made with.
    const NLLLossOptions& options() const { return options_; }
    std::string type_name() const override { return "NLLLoss"; }

private:
    NLLLossOptions options_;
};

/// logits and targets (0 or 1, or probabilities) of one shape
template <class T>
class BCEWithLogitsLossT : public ModuleT<T> {
public:
    /// A criterion with these options (default: mean, no weight or pos_weight).
    explicit BCEWithLogitsLossT(const BCEWithLogitsLossOptionsT<T>& options = {}) : options_(options) {}
    /// Sigmoid and binary cross-entropy in one numerically stable step.
    TensorT<T> forward(const TensorT<T>& logits, const TensorT<T>& target) const {
        return binary_cross_entropy_with_logits(logits, target, options_);
    }
    /// As forward(): criterion(logits, target).
    TensorT<T> operator()(const TensorT<T>& logits, const TensorT<T>& target) const { return forward(logits, target); }
    /// The options it was made with.
    const BCEWithLogitsLossOptionsT<T>& options() const { return options_; }
    std::string type_name() const override { return "BCEWithLogitsLoss"; }

private:
    BCEWithLogitsLossOptionsT<T> options_;
};

/// Mean squared error as torch.nn.MSELoss; input and target must have the same shape (no broadcasting).
template <class T>
class MSELossT : public ModuleT<T> {
public:
    /// A criterion with these options (default: the mean).
    explicit MSELossT(const MSELossOptions& options = {}) : options_(options) {}
    /// (input - target)^2 elementwise, reduced as options().reduction() says.
    TensorT<T> forward(const TensorT<T>& input, const TensorT<T>& target) const { return mse_loss(input, target, options_.reduction()); }
    /// As forward(): criterion(input, target).
    TensorT<T> operator()(const TensorT<T>& input, const TensorT<T>& target) const { return forward(input, target); }
    /// The options it was made with.
    const MSELossOptions& options() const { return options_; }
    std::string type_name() const override { return "MSELoss"; }

private:
    MSELossOptions options_;
};

using CrossEntropyLoss = CrossEntropyLossT<float>;    ///< CrossEntropyLossT in float: the type most programs use.
using NLLLoss = NLLLossT<float>;                      ///< NLLLossT in float: the type most programs use.
using BCEWithLogitsLoss = BCEWithLogitsLossT<float>;  ///< BCEWithLogitsLossT in float: the type most programs use.
using MSELoss = MSELossT<float>;                      ///< MSELossT in float: the type most programs use.

}  // namespace xg::nn

/// \file
/// Losses, with PyTorch's reductions.
#pragma once

#include "core/instantiate.hpp"
#include "autograd/tensor.hpp"
#include "core/options.hpp"  // XG_ARG (a macro only: no dependency on the nn library)

namespace xg {

/// How a loss combines its per-element values, as PyTorch's reduction='none' | 'mean' | 'sum'.
enum class Reduction { None, Mean, Sum };

/// Options of cross_entropy, as libtorch's F::CrossEntropyFuncOptions:
///   xg::cross_entropy(logits, target, xg::CrossEntropyFuncOptions().weight(w).label_smoothing(0.1))
/// (CrossEntropyFuncOptions<double>() for double logits). weight and label_smoothing follow
/// torch.nn.functional.cross_entropy (1.13) with class-id targets: with w = weight (ones if
/// undefined), eps = label_smoothing and p = log_softmax(x) over C, position j costs
///   loss_j = (1 - eps) * w[t_j] * -p_j[t_j] + eps / C * sum_c w[c] * -p_j[c]
/// and nothing where t_j == ignore_index. Mean divides the sum by sum_j w[t_j] over the
/// positions not ignored (their count when unweighted). No gradient flows into weight.
template <class T = float>
struct CrossEntropyFuncOptions {
    XG_ARG(TensorT<T>, weight);               ///< (C); undefined: every class weighs 1
    XG_ARG(long, ignore_index) = -100;        ///< targets equal to it cost nothing (PyTorch's default -100)
    XG_ARG(Reduction, reduction) = Reduction::Mean;  ///< None: one loss per position; Mean: divided by the kept weight; Sum
    XG_ARG(double, label_smoothing) = 0.0;    ///< in [0, 1], as torch allows
};

/// Options of binary_cross_entropy_with_logits, as libtorch's
/// F::BinaryCrossEntropyWithLogitsFuncOptions. With s = softplus(-x) = log(1 + e^-x),
///   loss = weight * ((1 - y) * x + (1 + (pos_weight - 1) * y) * s)
/// which is -weight * [pos_weight * y * log sigmoid(x) + (1 - y) * log(1 - sigmoid(x))].
/// weight and pos_weight broadcast to the logits' shape (pos_weight usually (C), over the
/// last dim); Mean divides by the number of elements. No gradient flows into either.
template <class T = float>
struct BinaryCrossEntropyWithLogitsFuncOptions {
    XG_ARG(TensorT<T>, weight);      ///< undefined: 1
    XG_ARG(Reduction, reduction) = Reduction::Mean;  ///< None: the loss per element; Mean; Sum
    XG_ARG(TensorT<T>, pos_weight);  ///< undefined: 1
};

/// logits (N, C) or (N, C, d...) and class ids (N) or (N, d...): log_softmax over C and
/// the negative log-likelihood of the target, in one fused op. Targets equal to
/// ignore_index cost nothing; Mean divides by the number of targets not ignored.
template <class T>
TensorT<T> cross_entropy(const TensorT<T>& logits, const IndexArray& target, long ignore_index = -100,
                         Reduction reduction = Reduction::Mean);
/// The same with per-class weights and label smoothing (see CrossEntropyFuncOptions).
template <class T>
TensorT<T> cross_entropy(const TensorT<T>& logits, const IndexArray& target, const CrossEntropyFuncOptions<T>& options);

/// Negative log-likelihood of log-probabilities (N, C) as torch.nn.functional.nll_loss.
template <class T>
TensorT<T> nll_loss(const TensorT<T>& log_probs, const IndexArray& target, long ignore_index = -100,
                    Reduction reduction = Reduction::Mean);

/// Squared error (input - target)^2, as torch.nn.functional.mse_loss; the shapes must be
/// equal (no broadcasting).
template <class T>
TensorT<T> mse_loss(const TensorT<T>& input, const TensorT<T>& target, Reduction reduction = Reduction::Mean);

/// Numerically stable sigmoid + binary cross-entropy; target has the logits' shape.
template <class T>
TensorT<T> binary_cross_entropy_with_logits(const TensorT<T>& logits, const TensorT<T>& target,
                                            Reduction reduction = Reduction::Mean);
/// The same with weight and pos_weight (see BinaryCrossEntropyWithLogitsFuncOptions).
template <class T>
TensorT<T> binary_cross_entropy_with_logits(const TensorT<T>& logits, const TensorT<T>& target,
                                            const BinaryCrossEntropyWithLogitsFuncOptions<T>& options);

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_LOSS_OPS(T, OP, OVERLOAD) \
    OP(T, nll_loss) OP(T, mse_loss)                                                                 \
    OVERLOAD(T, cross_entropy, TensorT<T>(const TensorT<T>&, const IndexArray&, long, Reduction))                 \
    OVERLOAD(T, cross_entropy, TensorT<T>(const TensorT<T>&, const IndexArray&, const CrossEntropyFuncOptions<T>&)) \
    OVERLOAD(T, binary_cross_entropy_with_logits, TensorT<T>(const TensorT<T>&, const TensorT<T>&, Reduction))    \
    OVERLOAD(T, binary_cross_entropy_with_logits,                                                                 \
             TensorT<T>(const TensorT<T>&, const TensorT<T>&, const BinaryCrossEntropyWithLogitsFuncOptions<T>&))
XG_DECLARE_OPS(XG_LOSS_OPS)

}  // namespace xg

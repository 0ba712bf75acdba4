// Losses, with PyTorch's reductions.
#pragma once

#include "autograd/tensor.hpp"

namespace xg {

enum class Reduction { None, Mean, Sum };


// logits (N, C) or (N, C, d...) and class ids (N) or (N, d...): log_softmax over C and
// the negative log-likelihood of the target, in one fused op. Targets equal to
// ignore_index cost nothing; Mean divides by the number of targets not ignored.
template <class T>
TensorT<T> cross_entropy(const TensorT<T>& logits, const IndexArray& target, long ignore_index = -100,
                         Reduction reduction = Reduction::Mean);

// Negative log-likelihood of log-probabilities (N, C) as torch.nn.functional.nll_loss.
template <class T>
TensorT<T> nll_loss(const TensorT<T>& log_probs, const IndexArray& target, long ignore_index = -100,
                    Reduction reduction = Reduction::Mean);

template <class T>
TensorT<T> mse_loss(const TensorT<T>& input, const TensorT<T>& target, Reduction reduction = Reduction::Mean);

// Numerically stable sigmoid + binary cross-entropy; target has the logits' shape.
template <class T>
TensorT<T> binary_cross_entropy_with_logits(const TensorT<T>& logits, const TensorT<T>& target,
                                            Reduction reduction = Reduction::Mean);

}  // namespace xg

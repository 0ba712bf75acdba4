/// \file
/// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. Call between
/// backward() and the optimizer step:
///
///   loss.backward();
///   float norm = xg::optim::clip_grad_norm(model.parameters(), 1.0);  // norm before clipping
///   opt.step();
///
/// Parameters without a gradient are ignored.
#pragma once

#include <limits>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::optim {

/// Infinity, for clip_grad_norm's norm_type: the largest |g| (Python's float("inf")).
inline constexpr double inf = std::numeric_limits<double>::infinity();

/// Scales all gradients together so that their total norm (the norm of all gradients
/// concatenated into one vector) is at most max_norm: by max_norm / (total + 1e-6)
/// when that is below 1. norm_type is p > 0 or xg::optim::inf (the largest |g|).
/// Returns the total norm before clipping. error_if_nonfinite: throw when the total is
/// nan or inf instead of scaling (PyTorch's flag of the same name). A max_norm that is NaN
/// or negative is an xg::Error (PyTorch would skip clipping, or flip every gradient's sign).
float clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                     bool error_if_nonfinite = false);

/// Clamps every gradient element to [-clip_value, clip_value]; clip_value NaN or negative:
/// xg::Error.
void clip_grad_value(const std::vector<Tensor>& params, double clip_value);

}  // namespace xg::optim

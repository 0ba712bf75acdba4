/// \file
/// Parameter initialisation, in place and without recording (torch.nn.init).
/// Every draw comes from xg::generator(), so xg::manual_seed fixes a model's start.
///
/// Fans, as torch: a weight (out, in, k...) has fan_in = in * k..., fan_out = out * k...;
/// the fan-based initialisers need at least 2 dimensions.
#pragma once

#include "autograd/tensor.hpp"

namespace xg::nn::init {

/// The nonlinearities of torch.nn.init.calculate_gain (libtorch's torch::kReLU, ...).
enum class Nonlinearity {
    Linear, Conv1D, Conv2D, Conv3D, ConvTranspose1D, ConvTranspose2D, ConvTranspose3D,
    Sigmoid, Tanh, ReLU, LeakyReLU, SELU
};
/// Which fan the Kaiming initialisers scale by, as torch's mode="fan_in" / "fan_out":
/// FanIn keeps the forward pass's variance, FanOut the backward pass's.
enum class FanMode { FanIn, FanOut };

/// The recommended gain: 1 for Linear, Conv* and Sigmoid; 5/3 for Tanh; sqrt(2) for ReLU;
/// sqrt(2 / (1 + param^2)) for LeakyReLU (param: its negative slope); 3/4 for SELU.
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);

/// Fills t from U(low, high), as torch.nn.init.uniform_; low must not exceed high.
template <class T> void uniform_(const TensorT<T>& t, double low, double high);
/// Fills t from N(mean, std^2), as torch.nn.init.normal_; std must not be negative.
template <class T> void normal_(const TensorT<T>& t, double mean = 0.0, double std = 1.0);
/// Fills t with zeros, as torch.nn.init.zeros_.
template <class T> void zeros_(const TensorT<T>& t);
/// Fills t with value, as torch.nn.init.constant_.
template <class T> void constant_(const TensorT<T>& t, double value);
/// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))
template <class T> void xavier_uniform_(const TensorT<T>& t, double gain = 1.0);
/// N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))
template <class T> void xavier_normal_(const TensorT<T>& t, double gain = 1.0);
/// U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a) and fan the
/// mode's fan (He et al.\ 2015). A tensor with no elements is left as it is.
template <class T>
void kaiming_uniform_(const TensorT<T>& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                      Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
/// N(0, std^2) with std = gain / sqrt(fan), gain and fan as kaiming_uniform_'s.
template <class T>
void kaiming_normal_(const TensorT<T>& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                     Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
/// A (semi-)orthogonal matrix times gain (Saxe et al.\ 2013), trailing dims flattened to
/// (rows, cols): W W^T = gain^2 I if rows <= cols, else W^T W = gain^2 I. As torch: the Q of
/// the QR of a standard normal (rows, cols) matrix (transposed if rows < cols), its columns
/// multiplied by the signs of R's diagonal, so a seed gives one result.
template <class T> void orthogonal_(const TensorT<T>& t, double gain = 1.0);

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_INIT_FUNCTIONS(T, OP, OVERLOAD)                                                           \
    OP(T, uniform_) OP(T, normal_) OP(T, zeros_) OP(T, constant_) OP(T, xavier_uniform_) OP(T, xavier_normal_) \
    OP(T, kaiming_uniform_) OP(T, kaiming_normal_) OP(T, orthogonal_)
XG_DECLARE_OPS(XG_INIT_FUNCTIONS)

}  // namespace xg::nn::init

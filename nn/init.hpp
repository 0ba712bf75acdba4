// Parameter initialisation, in place and without recording (torch.nn.init).
// Every draw comes from xg::generator(), so xg::manual_seed fixes a model's start.
#pragma once

#include "autograd/tensor.hpp"

namespace xg::nn::init {

template <class T> void uniform_(const TensorT<T>& t, double low, double high);
template <class T> void normal_(const TensorT<T>& t, double mean = 0.0, double std = 1.0);
template <class T> void zeros_(const TensorT<T>& t);
template <class T> void constant_(const TensorT<T>& t, double value);
// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) for a 2-D (out, in) weight
template <class T> void xavier_uniform_(const TensorT<T>& t, double gain = 1.0);

}  // namespace xg::nn::init

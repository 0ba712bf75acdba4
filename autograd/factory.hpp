/// \file
/// Factories and the random generator. Every random draw in xgrad (randn, dropout masks,
/// parameter initialisation, shuffling) comes from the calling thread's generator, so
/// manual_seed makes a whole run reproducible. The generator is per thread, as the tape and
/// grad mode are: two threads that each seed and train a model of their own get what each
/// would get alone (seed in the thread that draws; a new thread starts from seed 5489).
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <type_traits>

#include "autograd/tensor.hpp"

namespace xg {

void manual_seed(std::uint64_t seed);
std::mt19937_64& generator();
/// The generator's full state as text, and back (checkpoints resume the same random stream).
std::string generator_state();
void set_generator_state(const std::string& state);

template <class T = float>
TensorT<T> zeros(const ShapeArg& shape, bool requires_grad = false);
template <class T = float>
TensorT<T> ones(const ShapeArg& shape, bool requires_grad = false);
template <class T = float>
TensorT<T> full(const ShapeArg& shape, std::type_identity_t<T> value, bool requires_grad = false);
/// [0, end) and [start, end) by step, as torch.arange.
template <class T = float>
TensorT<T> arange(std::type_identity_t<T> end);
template <class T = float>
TensorT<T> arange(std::type_identity_t<T> start, std::type_identity_t<T> end, std::type_identity_t<T> step = T(1));
/// Standard normal, uniform on [0, 1), uniform on [low, high).
template <class T = float>
TensorT<T> randn(const ShapeArg& shape, bool requires_grad = false);
template <class T = float>
TensorT<T> rand(const ShapeArg& shape, bool requires_grad = false);
template <class T = float>
TensorT<T> uniform(const ShapeArg& shape, std::type_identity_t<T> low, std::type_identity_t<T> high,
                   bool requires_grad = false);

template <class T>
TensorT<T> from_array(xt::xarray<T> values, bool requires_grad = false) {
    return TensorT<T>(std::move(values), requires_grad);
}
/// Any other xtensor expression (a view, an adaptor such as xt::load_npy's, a lazy
/// expression) is evaluated into a new array: xg::from_array(xt::load_npy<float>(path)).
template <class E>
    requires xt::is_xexpression<std::decay_t<E>>::value
TensorT<typename std::decay_t<E>::value_type> from_array(E&& e, bool requires_grad = false) {
    using T = typename std::decay_t<E>::value_type;
    return TensorT<T>(xt::xarray<T>(std::forward<E>(e)), requires_grad);
}

/// torch.tensor(values): these values as a 1-D tensor, or of `shape` (whose element count
/// must match), float unless asked:  xg::tensor({1, 2, 3, 4}, {2, 2}),  xg::tensor(std::vector<double>{...})
template <class T>
TensorT<T> tensor(std::vector<T> values, const ShapeArg& shape = Shape{}, bool requires_grad = false) {
    const Shape& s = shape;
    const Shape dims = s.empty() ? Shape{values.size()} : s;
    xt::xarray<T> a = xt::xarray<T>::from_shape(dims);
    XG_CHECK(a.size() == values.size(), "tensor: " << values.size() << " values do not fill shape " << shape_str(dims));
    std::copy(values.begin(), values.end(), a.data());
    return TensorT<T>(std::move(a), requires_grad);
}
template <class T = float>
TensorT<T> tensor(std::initializer_list<std::type_identity_t<T>> values, const ShapeArg& shape = Shape{}, bool requires_grad = false) {
    return tensor<T>(std::vector<T>(values), shape, requires_grad);
}

template <class T>
TensorT<T> zeros_like(const TensorT<T>& t, bool requires_grad = false) {
    return zeros<T>(t.shape(), requires_grad);
}
template <class T>
TensorT<T> ones_like(const TensorT<T>& t, bool requires_grad = false) {
    return ones<T>(t.shape(), requires_grad);
}

}  // namespace xg

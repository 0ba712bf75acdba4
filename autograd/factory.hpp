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

#include "core/instantiate.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// Reseeds this thread's generator, as torch.manual_seed (but per thread).
void manual_seed(std::uint64_t seed);
/// This thread's random generator (a std::mt19937_64, seeded 5489 on each new thread).
std::mt19937_64& generator();
/// The generator's full state as text, and back (checkpoints resume the same random stream).
std::string generator_state();
/// Restores a state from generator_state(); throws xg::Error if the text is not one.
void set_generator_state(const std::string& state);

/// A tensor of zeros of the shape, as torch.zeros.
template <class T = float>
TensorT<T> zeros(const ShapeArg& shape, bool requires_grad = false);
/// A tensor of ones of the shape, as torch.ones.
template <class T = float>
TensorT<T> ones(const ShapeArg& shape, bool requires_grad = false);
/// A tensor of the shape filled with value, as torch.full.
template <class T = float>
TensorT<T> full(const ShapeArg& shape, std::type_identity_t<T> value, bool requires_grad = false);
/// 0, 1, ... up to but excluding end, as torch.arange(end).
template <class T = float>
TensorT<T> arange(std::type_identity_t<T> end);
/// start, start + step, ... up to but excluding end, as torch.arange(start, end, step);
/// step may be negative but not 0.
template <class T = float>
TensorT<T> arange(std::type_identity_t<T> start, std::type_identity_t<T> end, std::type_identity_t<T> step = T(1));
/// Standard normal from this thread's generator, as torch.randn.
template <class T = float>
TensorT<T> randn(const ShapeArg& shape, bool requires_grad = false);
/// Uniform on [0, 1) from this thread's generator, as torch.rand.
template <class T = float>
TensorT<T> rand(const ShapeArg& shape, bool requires_grad = false);
/// Uniform on [low, high) from this thread's generator (low <= high), as Tensor.uniform_.
template <class T = float>
TensorT<T> uniform(const ShapeArg& shape, std::type_identity_t<T> low, std::type_identity_t<T> high,
                   bool requires_grad = false);

/// Wraps an xtensor array as a tensor (taking it by value: move it in to avoid a copy).
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
/// xg::tensor({1, 2, 3}): a braced list as a 1-D tensor, or one of `shape`; float unless T is given.
template <class T = float>
TensorT<T> tensor(std::initializer_list<std::type_identity_t<T>> values, const ShapeArg& shape = Shape{}, bool requires_grad = false) {
    return tensor<T>(std::vector<T>(values), shape, requires_grad);
}

/// Zeros of t's shape and type, as torch.zeros_like.
template <class T>
TensorT<T> zeros_like(const TensorT<T>& t, bool requires_grad = false) {
    return zeros<T>(t.shape(), requires_grad);
}
/// Ones of t's shape and type, as torch.ones_like.
template <class T>
TensorT<T> ones_like(const TensorT<T>& t, bool requires_grad = false) {
    return ones<T>(t.shape(), requires_grad);
}

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_FACTORY_OPS(T, OP, OVERLOAD) \
    OP(T, zeros) OP(T, ones) OP(T, full) OP(T, randn) OP(T, rand) OP(T, uniform)              \
    OVERLOAD(T, arange, TensorT<T>(std::type_identity_t<T>))                                   \
    OVERLOAD(T, arange, TensorT<T>(std::type_identity_t<T>, std::type_identity_t<T>, std::type_identity_t<T>))
XG_DECLARE_OPS(XG_FACTORY_OPS)

}  // namespace xg

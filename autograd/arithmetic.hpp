/// \file
/// + - * / and pow, broadcasting as PyTorch does; scalars on either side.
#pragma once

#include "core/instantiate.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// a + b elementwise, broadcasting, as torch.add; differentiable in both.
template <class T> TensorT<T> add(const TensorT<T>& a, const TensorT<T>& b);
/// a - b elementwise, broadcasting, as torch.sub; differentiable in both.
template <class T> TensorT<T> sub(const TensorT<T>& a, const TensorT<T>& b);
/// a * b elementwise, broadcasting, as torch.mul; differentiable in both.
template <class T> TensorT<T> mul(const TensorT<T>& a, const TensorT<T>& b);
/// a / b elementwise, broadcasting, as torch.div; differentiable in both.
template <class T> TensorT<T> div(const TensorT<T>& a, const TensorT<T>& b);
/// -a elementwise, as torch.neg; differentiable.
template <class T> TensorT<T> neg(const TensorT<T>& a);
/// a + s for a scalar s; differentiable in a. Here s takes part in deducing T, so it must be
/// a T; the operators below (a + s, a * s, s - a, s / a) do not deduce it, so a float
/// tensor takes 2.0 too.
template <class T> TensorT<T> add_scalar(const TensorT<T>& a, T s);
/// a * s for a scalar s; differentiable in a.
template <class T> TensorT<T> mul_scalar(const TensorT<T>& a, T s);
template <class T> TensorT<T> rsub_scalar(const TensorT<T>& a, T s);  ///< s - a
template <class T> TensorT<T> rdiv_scalar(const TensorT<T>& a, T s);  ///< s / a
/// a to a scalar power, elementwise, as torch.pow; differentiable in a.
template <class T> TensorT<T> pow(const TensorT<T>& a, std::type_identity_t<T> exponent);
/// a ** exponent elementwise, broadcasting, as torch.pow; differentiable in both (the
/// exponent's gradient uses log(a), so a should be positive).
template <class T> TensorT<T> pow(const TensorT<T>& a, const TensorT<T>& exponent);

/// a + b: add(a, b), broadcasting.
template <class T> TensorT<T> operator+(const TensorT<T>& a, const TensorT<T>& b) { return add(a, b); }
/// a - b: sub(a, b), broadcasting.
template <class T> TensorT<T> operator-(const TensorT<T>& a, const TensorT<T>& b) { return sub(a, b); }
/// a * b: mul(a, b), broadcasting (elementwise; matmul is the matrix product).
template <class T> TensorT<T> operator*(const TensorT<T>& a, const TensorT<T>& b) { return mul(a, b); }
/// a / b: div(a, b), broadcasting.
template <class T> TensorT<T> operator/(const TensorT<T>& a, const TensorT<T>& b) { return div(a, b); }
/// -a: neg(a).
template <class T> TensorT<T> operator-(const TensorT<T>& a) { return neg(a); }

/// a + s for a scalar s; the scalar is not deduced, so a float tensor takes 2.0 too.
template <class T> TensorT<T> operator+(const TensorT<T>& a, std::type_identity_t<T> s) { return add_scalar(a, s); }
/// s + a for a scalar s; the scalar is not deduced.
template <class T> TensorT<T> operator+(std::type_identity_t<T> s, const TensorT<T>& a) { return add_scalar(a, s); }
/// a - s for a scalar s; the scalar is not deduced.
template <class T> TensorT<T> operator-(const TensorT<T>& a, std::type_identity_t<T> s) { return add_scalar(a, T(-s)); }
/// s - a for a scalar s; the scalar is not deduced.
template <class T> TensorT<T> operator-(std::type_identity_t<T> s, const TensorT<T>& a) { return rsub_scalar(a, s); }
/// a * s for a scalar s; the scalar is not deduced.
template <class T> TensorT<T> operator*(const TensorT<T>& a, std::type_identity_t<T> s) { return mul_scalar(a, s); }
/// s * a for a scalar s; the scalar is not deduced.
template <class T> TensorT<T> operator*(std::type_identity_t<T> s, const TensorT<T>& a) { return mul_scalar(a, s); }
/// a / s for a scalar s, computed as a * (1 / s); the scalar is not deduced.
template <class T> TensorT<T> operator/(const TensorT<T>& a, std::type_identity_t<T> s) { return mul_scalar(a, T(1) / s); }
/// s / a for a scalar s, elementwise; the scalar is not deduced.
template <class T> TensorT<T> operator/(std::type_identity_t<T> s, const TensorT<T>& a) { return rdiv_scalar(a, s); }

/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_ARITHMETIC_OPS(T, OP, OVERLOAD) \
    OP(T, add) OP(T, sub) OP(T, mul) OP(T, div) OP(T, neg)                                \
    OP(T, add_scalar) OP(T, mul_scalar) OP(T, rsub_scalar) OP(T, rdiv_scalar)          \
    OVERLOAD(T, pow, TensorT<T>(const TensorT<T>&, std::type_identity_t<T>))           \
    OVERLOAD(T, pow, TensorT<T>(const TensorT<T>&, const TensorT<T>&))
XG_DECLARE_OPS(XG_ARITHMETIC_OPS)

}  // namespace xg

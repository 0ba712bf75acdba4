/// \file
/// + - * / and pow, broadcasting as PyTorch does; scalars on either side.
#pragma once

#include "autograd/tensor.hpp"

namespace xg {

template <class T> TensorT<T> add(const TensorT<T>& a, const TensorT<T>& b);
template <class T> TensorT<T> sub(const TensorT<T>& a, const TensorT<T>& b);
template <class T> TensorT<T> mul(const TensorT<T>& a, const TensorT<T>& b);
template <class T> TensorT<T> div(const TensorT<T>& a, const TensorT<T>& b);
template <class T> TensorT<T> neg(const TensorT<T>& a);
/// a + s, a * s, s - a, s / a: the scalar is not deduced, so a float tensor takes 2.0 too.
template <class T> TensorT<T> add_scalar(const TensorT<T>& a, T s);
template <class T> TensorT<T> mul_scalar(const TensorT<T>& a, T s);
template <class T> TensorT<T> rsub_scalar(const TensorT<T>& a, T s);  ///< s - a
template <class T> TensorT<T> rdiv_scalar(const TensorT<T>& a, T s);  ///< s / a
template <class T> TensorT<T> pow(const TensorT<T>& a, std::type_identity_t<T> exponent);
template <class T> TensorT<T> pow(const TensorT<T>& a, const TensorT<T>& exponent);

template <class T> TensorT<T> operator+(const TensorT<T>& a, const TensorT<T>& b) { return add(a, b); }
template <class T> TensorT<T> operator-(const TensorT<T>& a, const TensorT<T>& b) { return sub(a, b); }
template <class T> TensorT<T> operator*(const TensorT<T>& a, const TensorT<T>& b) { return mul(a, b); }
template <class T> TensorT<T> operator/(const TensorT<T>& a, const TensorT<T>& b) { return div(a, b); }
template <class T> TensorT<T> operator-(const TensorT<T>& a) { return neg(a); }

template <class T> TensorT<T> operator+(const TensorT<T>& a, std::type_identity_t<T> s) { return add_scalar(a, s); }
template <class T> TensorT<T> operator+(std::type_identity_t<T> s, const TensorT<T>& a) { return add_scalar(a, s); }
template <class T> TensorT<T> operator-(const TensorT<T>& a, std::type_identity_t<T> s) { return add_scalar(a, T(-s)); }
template <class T> TensorT<T> operator-(std::type_identity_t<T> s, const TensorT<T>& a) { return rsub_scalar(a, s); }
template <class T> TensorT<T> operator*(const TensorT<T>& a, std::type_identity_t<T> s) { return mul_scalar(a, s); }
template <class T> TensorT<T> operator*(std::type_identity_t<T> s, const TensorT<T>& a) { return mul_scalar(a, s); }
template <class T> TensorT<T> operator/(const TensorT<T>& a, std::type_identity_t<T> s) { return mul_scalar(a, T(1) / s); }
template <class T> TensorT<T> operator/(std::type_identity_t<T> s, const TensorT<T>& a) { return rdiv_scalar(a, s); }

}  // namespace xg

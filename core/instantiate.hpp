/// \file
/// An op is declared once, in its family's header, and defined once, in the family's .cpp.
/// The header also names it in the family's list, an X-macro beside the declarations:
///
/// \code
///   #define XG_POINTWISE_OPS(T, OP, OVERLOAD) OP(T, exp) OP(T, log) ...
///   XG_DECLARE_OPS(XG_POINTWISE_OPS)   // in pointwise.hpp: extern template, float and double
///   XG_DEFINE_OPS(XG_POINTWISE_OPS)    // at the end of pointwise.cpp: the instantiations
/// \endcode
///
/// OP(T, name) needs only the name; an overloaded name gives each form's function type,
/// OVERLOAD(T, name, R(Args...)). Nothing is written a third time, and both slips are compile
/// errors: a listed op that the .cpp does not define fails there (GCC and clang), and a
/// declared op left out of the list fails wherever it is called in a clang build, which turns
/// -Wundefined-func-template into an error (meson.build; CI's sanitizer leg is clang).
/// XG_EXTERN_CLASS and XG_DEFINE_CLASS do the same for a class template (TensorT, the modules).
#pragma once

namespace xg::detail {
/// A function type written as a template argument: OVERLOAD's R(Args...) as a declarator.
template <class F>
using Signature = F;
}  // namespace xg::detail

/// One name: its instance for T is declared extern (defined in the family's .cpp).
#define XG_EXTERN_OP(T, op) extern template decltype(op<T>) op<T>;
/// One form of an overloaded name, by its function type.
#define XG_EXTERN_OVERLOAD(T, op, ...) extern template ::xg::detail::Signature<__VA_ARGS__> op<T>;
/// One name: its instance for T is defined here.
#define XG_DEFINE_OP(T, op) template decltype(op<T>) op<T>;
/// One form of an overloaded name, defined here.
#define XG_DEFINE_OVERLOAD(T, op, ...) template ::xg::detail::Signature<__VA_ARGS__> op<T>;

/// In a class template's header: its float and double instances are defined in its .cpp.
#define XG_EXTERN_CLASS(C) extern template class C<float>; extern template class C<double>;
/// In the class template's .cpp: defines the instances XG_EXTERN_CLASS declared.
#define XG_DEFINE_CLASS(C) template class C<float>; template class C<double>;

/// In a family's header: explicit instantiation declarations for float and double.
#define XG_DECLARE_OPS(LIST) LIST(float, XG_EXTERN_OP, XG_EXTERN_OVERLOAD) LIST(double, XG_EXTERN_OP, XG_EXTERN_OVERLOAD)
/// At the end of the family's .cpp: the explicit instantiations themselves.
#define XG_DEFINE_OPS(LIST) LIST(float, XG_DEFINE_OP, XG_DEFINE_OVERLOAD) LIST(double, XG_DEFINE_OP, XG_DEFINE_OVERLOAD)

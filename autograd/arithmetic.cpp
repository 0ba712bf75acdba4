#include "autograd/arithmetic.hpp"

#include <cmath>

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autograd/detail.hpp"

namespace xg {

using detail::add_grad_bcast;

template <class T>
TensorT<T> add(const TensorT<T>& a, const TensorT<T>& b) {
    detail::broadcast_shapes("add", a.shape(), b.shape());
    return make_op<T>(a.value() + b.value(), {a, b}, [a = GradSlot(a), b = GradSlot(b)](const xt::xarray<T>& g) {
        // y = a + b: da = g, db = g (summed over broadcast dims)
        if (a.requires_grad()) add_grad_bcast(a, g);
        if (b.requires_grad()) add_grad_bcast(b, g);
    });
}

template <class T>
TensorT<T> sub(const TensorT<T>& a, const TensorT<T>& b) {
    detail::broadcast_shapes("sub", a.shape(), b.shape());
    return make_op<T>(a.value() - b.value(), {a, b}, [a = GradSlot(a), b = GradSlot(b)](const xt::xarray<T>& g) {
        // y = a - b: da = g, db = -g
        if (a.requires_grad()) add_grad_bcast(a, g);
        if (b.requires_grad()) add_grad_bcast(b, -g);
    });
}

template <class T>
TensorT<T> mul(const TensorT<T>& a, const TensorT<T>& b) {
    detail::broadcast_shapes("mul", a.shape(), b.shape());
    return make_op<T>(a.value() * b.value(), {a, b}, [a, b](const xt::xarray<T>& g) {
        // y = a * b: da = g * b, db = g * a
        if (a.requires_grad()) add_grad_bcast(a, g * b.value());
        if (b.requires_grad()) add_grad_bcast(b, g * a.value());
    });
}

template <class T>
TensorT<T> div(const TensorT<T>& a, const TensorT<T>& b) {
    detail::broadcast_shapes("div", a.shape(), b.shape());
    return make_op<T>(a.value() / b.value(), {a, b}, [a = GradSlot(a), b](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        // y = a / b: da = g / b, db = -g * a / b^2 = -g * y / b
        if (a.requires_grad()) add_grad_bcast(a, g / b.value());
        if (b.requires_grad()) add_grad_bcast(b, -g * y / b.value());
    });
}

template <class T>
TensorT<T> neg(const TensorT<T>& a) {
    return make_op<T>(-a.value(), {a}, [a = GradSlot(a)](const xt::xarray<T>& g) { a.add_grad(-g); });
}

template <class T>
TensorT<T> add_scalar(const TensorT<T>& a, T s) {
    return make_op<T>(a.value() + s, {a}, [a = GradSlot(a)](const xt::xarray<T>& g) { a.add_grad(g); });
}

template <class T>
TensorT<T> mul_scalar(const TensorT<T>& a, T s) {
    return make_op<T>(a.value() * s, {a}, [a = GradSlot(a), s](const xt::xarray<T>& g) { a.add_grad(g * s); });
}

template <class T>
TensorT<T> rsub_scalar(const TensorT<T>& a, T s) {
    return make_op<T>(s - a.value(), {a}, [a = GradSlot(a)](const xt::xarray<T>& g) { a.add_grad(-g); });
}

template <class T>
TensorT<T> rdiv_scalar(const TensorT<T>& a, T s) {
    return make_op<T>(s / a.value(), {a}, [a](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        // y = s / a: da = -g * s / a^2 = -g * y / a
        a.add_grad(-g * y / a.value());
    });
}

template <class T>
TensorT<T> pow(const TensorT<T>& a, std::type_identity_t<T> p) {
    return make_op<T>(xt::pow(a.value(), p), {a}, [a, p](const xt::xarray<T>& g) {
        // y = a^p: da = g * p * a^(p-1)
        a.add_grad(g * p * xt::pow(a.value(), p - T(1)));
    });
}

template <class T>
TensorT<T> pow(const TensorT<T>& a, const TensorT<T>& p) {
    detail::broadcast_shapes("pow", a.shape(), p.shape());
    return make_op<T>(xt::pow(a.value(), p.value()), {a, p}, [a, p](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        // y = a^p: da = g * p * a^(p-1), dp = g * y * log(a)
        if (a.requires_grad()) add_grad_bcast(a, g * p.value() * xt::pow(a.value(), p.value() - T(1)));
        if (p.requires_grad()) add_grad_bcast(p, g * y * xt::log(a.value()));
    });
}

XG_DEFINE_OPS(XG_ARITHMETIC_OPS)

}  // namespace xg

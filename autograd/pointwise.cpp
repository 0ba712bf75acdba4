#include "autograd/pointwise.hpp"

#include <cmath>
#include <random>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autograd/arithmetic.hpp"
#include "autograd/detail.hpp"
#include "autograd/factory.hpp"

namespace xg {

template <class T>
TensorT<T> exp(const TensorT<T>& x) {
    return make_op<T>(xt::exp(x.value()), {x}, [x = GradSlot(x)](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        x.add_grad(g * y);  // y = e^x: dx = g * y
    });
}

template <class T>
TensorT<T> log(const TensorT<T>& x) {
    return make_op<T>(xt::log(x.value()), {x}, [x](const xt::xarray<T>& g) {
        x.add_grad(g / x.value());  // y = log x: dx = g / x
    });
}

template <class T>
TensorT<T> sqrt(const TensorT<T>& x) {
    return make_op<T>(xt::sqrt(x.value()), {x}, [x = GradSlot(x)](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        x.add_grad(g / (T(2) * y));  // y = sqrt x: dx = g / (2 y)
    });
}

template <class T>
TensorT<T> abs(const TensorT<T>& x) {
    return make_op<T>(xt::abs(x.value()), {x}, [x](const xt::xarray<T>& g) {
        x.add_grad(g * xt::sign(x.value()));  // y = |x|: dx = g * sign(x), 0 at x = 0
    });
}

template <class T>
TensorT<T> sigmoid(const TensorT<T>& x) {
    return make_op<T>(T(1) / (T(1) + xt::exp(-x.value())), {x}, [x = GradSlot(x)](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        x.add_grad(g * y * (T(1) - y));  // y = 1 / (1 + e^-x): dx = g * y * (1 - y)
    });
}

template <class T>
TensorT<T> tanh(const TensorT<T>& x) {
    return make_op<T>(xt::tanh(x.value()), {x}, [x = GradSlot(x)](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        x.add_grad(g * (T(1) - y * y));  // y = tanh x: dx = g * (1 - y^2)
    });
}

template <class T>
TensorT<T> relu(const TensorT<T>& x) {
    return make_op<T>(xt::maximum(x.value(), T(0)), {x}, [x = GradSlot(x)](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        x.add_grad(xt::where(y > T(0), g, T(0)));  // y = max(x, 0): dx = g where x > 0
    });
}

template <class T>
TensorT<T> clamp(const TensorT<T>& x, std::type_identity_t<T> lo, std::type_identity_t<T> hi) {
    XG_CHECK(!(lo > hi), "clamp: min " << lo << " is greater than max " << hi);
    return make_op<T>(xt::clip(x.value(), lo, hi), {x}, [x, lo, hi](const xt::xarray<T>& g) {
        // dx = g where min <= x <= max (PyTorch passes the gradient at the bounds too)
        const auto& v = x.value();
        x.add_grad(xt::where(v >= lo && v <= hi, g, T(0)));
    });
}

namespace {

// out[i] = cond[i] ? a[i] : b[i], all three broadcast to `shape`: contiguous copies and one
// plain loop. xtensor's SIMD xt::where mis-reads a broadcast bool mask on some targets
// (SSE2, two doubles per register: masked_fill(x (2, 3), mask (3)) filled the wrong
// elements in the -Dnative=false build), so a bool mask never goes through it.
template <class T, class A, class B>
xt::xarray<T> select_where(const Mask& cond, const A& a, const B& b, const Shape& shape) {
    const Mask c = xt::broadcast(cond, shape);  // bool: a scalar copy, no SIMD
    const xt::xarray<T> x = xt::broadcast(a, shape), y = xt::broadcast(b, shape);
    xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
    const bool* cp = c.data();
    const T *xp = x.data(), *yp = y.data();
    T* op = out.data();
    for (std::size_t i = 0; i < out.size(); ++i) op[i] = cp[i] ? xp[i] : yp[i];
    return out;
}

}  // namespace

template <class T>
TensorT<T> where(const Mask& cond, const TensorT<T>& a, const TensorT<T>& b) {
    const Shape cs(cond.shape().begin(), cond.shape().end());
    const Shape ab = detail::broadcast_shapes("where", a.shape(), b.shape());
    const Shape out = detail::broadcast_shapes("where", cs, ab);
    return make_op<T>(select_where<T>(cond, a.value(), b.value(), out), {a, b},
                      [cond, a = GradSlot(a), b = GradSlot(b), out](const xt::xarray<T>& g) {
                          // y = cond ? a : b: da = g where cond, db = g where !cond
                          if (a.requires_grad()) detail::add_grad_bcast(a, select_where<T>(cond, g, T(0), out));
                          if (b.requires_grad()) detail::add_grad_bcast(b, select_where<T>(cond, T(0), g, out));
                      });
}

template <class T>
TensorT<T> masked_fill(const TensorT<T>& x, const Mask& mask, std::type_identity_t<T> value) {
    const Shape ms(mask.shape().begin(), mask.shape().end());
    const Shape xs = x.shape();
    XG_CHECK(detail::broadcasts_to(ms, xs),
             "masked_fill: mask of shape " << shape_str(ms) << " does not broadcast to the tensor's shape " << shape_str(xs));
    return make_op<T>(select_where<T>(mask, T(value), x.value(), xs), {x}, [x = GradSlot(x), mask, xs](const xt::xarray<T>& g) {
        x.add_grad(select_where<T>(mask, T(0), g, xs));
    });
}

template <class T>
TensorT<T> dropout(const TensorT<T>& x, double p, bool training) {
    XG_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability has to be between 0 and 1, but got " << p);
    if (!training || p == 0.0) return x;
    // y = x * mask / (1 - p): the mask is a constant, so mul's backward is dropout's backward
    xt::xarray<T> mask = xt::xarray<T>::from_shape(x.value().shape());
    const T keep_scale = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
    std::bernoulli_distribution keep(1.0 - p);
    auto& gen = generator();
    for (auto& m : mask) m = keep(gen) ? keep_scale : T(0);
    return x * TensorT<T>(std::move(mask));
}

XG_DEFINE_OPS(XG_POINTWISE_OPS)

}  // namespace xg

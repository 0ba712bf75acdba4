#include "autograd/activation.hpp"

#include <cmath>

#include "autograd/arithmetic.hpp"
#include "autograd/detail.hpp"
#include "autograd/factory.hpp"

namespace xg {

namespace {

// x seen as (outer, n, inner) around dim: calls f(pointer to the first element, n, stride).
template <class T, class F>
void for_each_line(const Shape& s, std::size_t d, T* p, F&& f) {
    const std::size_t outer = detail::prod(s, 0, d), n = s[d], inner = detail::prod(s, d + 1, s.size());
    if (n == 0) return;  // no elements, and no max to start a line from
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i) f(p + o * n * inner + i, n, inner);
}

}  // namespace

template <class T>
TensorT<T> softmax(const TensorT<T>& x, long dim) {
    const Shape s = x.shape();
    const std::size_t d = detail::norm_dim("softmax", dim, s.size());
    xt::xarray<T> y = x.value();
    // y = exp(x - max) / sum exp(x - max) (not exp(x - logsumexp): the log's rounding would
    // show in y when x is large)
    for_each_line(s, d, y.data(), [](T* p, std::size_t n, std::size_t st) {
        const auto [m, z] = detail::max_and_exp_sum(p, n, st);
        for (std::size_t j = 0; j < n; ++j) p[j * st] = std::exp(p[j * st] - m) / z;
    });
    return make_op<T>(std::move(y), {x}, [x, s, d](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        // dx = y * (g - sum(g * y))
        xt::xarray<T> gx = g;
        const T* yp = y.data();
        const std::ptrdiff_t off = yp - gx.data();
        for_each_line(s, d, gx.data(), [off](T* p, std::size_t n, std::size_t st) {
            const T* q = p + off;
            T dot = 0;
            for (std::size_t j = 0; j < n; ++j) dot += p[j * st] * q[j * st];
            for (std::size_t j = 0; j < n; ++j) p[j * st] = q[j * st] * (p[j * st] - dot);
        });
        x.add_grad(std::move(gx));
    });
}

template <class T>
TensorT<T> log_softmax(const TensorT<T>& x, long dim) {
    const Shape s = x.shape();
    const std::size_t d = detail::norm_dim("log_softmax", dim, s.size());
    xt::xarray<T> y = x.value();
    // y = x - logsumexp(x)
    for_each_line(s, d, y.data(), [](T* p, std::size_t n, std::size_t st) {
        const T lz = detail::logsumexp(p, n, st);
        for (std::size_t j = 0; j < n; ++j) p[j * st] -= lz;
    });
    return make_op<T>(std::move(y), {x}, [x, s, d](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        // dx = g - exp(y) * sum(g)
        xt::xarray<T> gx = g;
        const std::ptrdiff_t off = y.data() - gx.data();
        for_each_line(s, d, gx.data(), [off](T* p, std::size_t n, std::size_t st) {
            const T* q = p + off;
            T total = 0;
            for (std::size_t j = 0; j < n; ++j) total += p[j * st];
            for (std::size_t j = 0; j < n; ++j) p[j * st] -= std::exp(q[j * st]) * total;
        });
        x.add_grad(std::move(gx));
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

#define XG_ACTIVATION(T)                                       \
    template TensorT<T> softmax(const TensorT<T>&, long);      \
    template TensorT<T> log_softmax(const TensorT<T>&, long);  \
    template TensorT<T> dropout(const TensorT<T>&, double, bool);
XG_INSTANTIATE(XG_ACTIVATION)

}  // namespace xg

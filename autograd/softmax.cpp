#include "autograd/softmax.hpp"

#include <cmath>

#include "autograd/detail.hpp"

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

// An op that maps each line along dim on its own: forward(p, n, stride) turns a line of x
// into y in place; backward(p, q, n, stride) turns a line of g into dx in place, q being the
// same line of y.
template <class T, class Forward, class Backward>
TensorT<T> line_op(const char* name, const TensorT<T>& x, long dim, Forward forward, Backward backward,
                   detail::SourceLocation where) {
    const Shape s = x.shape();
    const std::size_t d = detail::norm_dim(name, dim, s.size());
    xt::xarray<T> y = x.value();
    for_each_line(s, d, y.data(), forward);
    auto dx = [x = GradSlot(x), s, d, backward](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        xt::xarray<T> gx = g;
        const std::ptrdiff_t off = y.data() - gx.data();
        for_each_line(s, d, gx.data(), [off, &backward](T* p, std::size_t n, std::size_t st) { backward(p, p + off, n, st); });
        x.add_grad(std::move(gx));
    };
    return make_op<T>(std::move(y), {x}, std::move(dx), where);
}

}  // namespace

template <class T>
TensorT<T> softmax(const TensorT<T>& x, long dim) {
    return line_op(
        "softmax", x, dim,
        [](T* p, std::size_t n, std::size_t st) {
            // y = exp(x - max) / sum exp(x - max) (not exp(x - logsumexp): the log's rounding
            // would show in y when x is large)
            const auto [m, z] = detail::max_and_exp_sum(p, n, st);
            for (std::size_t j = 0; j < n; ++j) p[j * st] = std::exp(p[j * st] - m) / z;
        },
        [](T* p, const T* y, std::size_t n, std::size_t st) {
            // dx = y * (g - sum(g * y))
            T dot = 0;
            for (std::size_t j = 0; j < n; ++j) dot += p[j * st] * y[j * st];
            for (std::size_t j = 0; j < n; ++j) p[j * st] = y[j * st] * (p[j * st] - dot);
        },
        detail::SourceLocation::current());
}

template <class T>
TensorT<T> log_softmax(const TensorT<T>& x, long dim) {
    return line_op(
        "log_softmax", x, dim,
        [](T* p, std::size_t n, std::size_t st) {
            const T lz = detail::logsumexp(p, n, st);  // y = x - logsumexp(x)
            for (std::size_t j = 0; j < n; ++j) p[j * st] -= lz;
        },
        [](T* p, const T* y, std::size_t n, std::size_t st) {
            // dx = g - exp(y) * sum(g)
            T total = 0;
            for (std::size_t j = 0; j < n; ++j) total += p[j * st];
            for (std::size_t j = 0; j < n; ++j) p[j * st] -= std::exp(y[j * st]) * total;
        },
        detail::SourceLocation::current());
}

XG_DEFINE_OPS(XG_SOFTMAX_OPS)

}  // namespace xg

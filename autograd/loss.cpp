#include "autograd/loss.hpp"

#include <cmath>
#include <limits>

#include <xtensor/xmath.hpp>

#include "autograd/arithmetic.hpp"
#include "autograd/detail.hpp"
#include "autograd/reduce.hpp"

namespace xg {

namespace {

// Logits (N, C, inner...) against targets (N, inner...): checks shapes and ids.
struct ClassLayout {
    std::size_t N, C, inner;
    Shape none_shape;  // the shape of an unreduced loss
};

ClassLayout class_layout(const char* op, const Shape& xs, const IndexArray& target, long ignore_index) {
    XG_CHECK(xs.size() >= 1, op << ": input must have a class dimension, got a 0-d tensor");
    Shape expected;
    ClassLayout l{};
    if (xs.size() == 1) {  // unbatched (C) with a 0-d or one-element target
        l = {1, xs[0], 1, {}};
        XG_CHECK(target.size() == 1 && target.dimension() <= 1,
                 op << ": target of shape " << shape_str(target.shape()) << " for unbatched input of shape " << shape_str(xs)
                    << " (expected a single class id)");
    } else {
        expected.push_back(xs[0]);
        expected.insert(expected.end(), xs.begin() + 2, xs.end());
        l = {xs[0], xs[1], detail::prod(xs, 2, xs.size()), expected};
        XG_CHECK(detail::shapes_equal(target.shape(), expected),
                 op << ": target of shape " << shape_str(target.shape()) << " does not fit input of shape " << shape_str(xs)
                    << " (expected " << shape_str(expected) << ")");
    }
    for (std::size_t k = 0; k < target.size(); ++k) {
        const auto t = target.data()[k];
        XG_CHECK(t == ignore_index || (t >= 0 && static_cast<std::size_t>(t) < l.C),
                 op << ": target " << t << " is out of range for " << l.C << " classes (at position " << k << ")");
    }
    return l;
}

// The value of a per-element loss under a reduction, and the weight each element's
// gradient gets from the output gradient g.
template <class T>
xt::xarray<T> reduce_loss(const std::vector<T>& per, std::size_t count, const Shape& none_shape, Reduction r) {
    if (r == Reduction::None) {
        xt::xarray<T> v = xt::xarray<T>::from_shape(none_shape);
        std::copy(per.begin(), per.end(), v.begin());
        return v;
    }
    T total = 0;
    for (T p : per) total += p;
    xt::xarray<T> v = xt::xarray<T>::from_shape({});
    v() = r == Reduction::Sum ? total : (count ? total / static_cast<T>(count) : std::numeric_limits<T>::quiet_NaN());
    return v;
}

template <class T>
T element_weight(const xt::xarray<T>& g, std::size_t j, std::size_t count, Reduction r) {
    if (r == Reduction::None) return g.data()[j];
    return r == Reduction::Sum ? g() : g() / static_cast<T>(count);
}

}  // namespace

template <class T>
TensorT<T> cross_entropy(const TensorT<T>& logits, const IndexArray& target, long ignore_index, Reduction reduction) {
    const Shape xs = logits.shape();
    const ClassLayout l = class_layout("cross_entropy", xs, target, ignore_index);
    const std::size_t C = l.C, inner = l.inner, M = l.N * inner;
    // loss_j = logsumexp(x_j) - x_j[t_j] for every position j = (n, i)
    std::vector<T> per(M, T(0)), lse(M, T(0));
    std::size_t count = 0;
    const T* x = logits.value().data();
    for (std::size_t n = 0; n < l.N; ++n)
        for (std::size_t i = 0; i < inner; ++i) {
            const std::size_t j = n * inner + i;
            const T* p = x + n * C * inner + i;
            T m = p[0];
            for (std::size_t c = 1; c < C; ++c) m = std::max(m, p[c * inner]);
            T z = 0;
            for (std::size_t c = 0; c < C; ++c) z += std::exp(p[c * inner] - m);
            lse[j] = m + std::log(z);
            const auto t = target.data()[j];
            if (t == ignore_index) continue;
            per[j] = lse[j] - p[static_cast<std::size_t>(t) * inner];
            ++count;
        }
    return make_op<T>(reduce_loss(per, count, l.none_shape, reduction), {logits},
                      [logits, target, ignore_index, reduction, l, lse = std::move(lse), count](const xt::xarray<T>& g, const xt::xarray<T>&) {
        // dx_j = w_j * (softmax(x_j) - onehot(t_j)); ignored positions get nothing
        T* gx = logits.grad_buffer().data();
        const T* x = logits.value().data();
        const std::size_t C = l.C, inner = l.inner;
        for (std::size_t n = 0; n < l.N; ++n)
            for (std::size_t i = 0; i < inner; ++i) {
                const std::size_t j = n * inner + i;
                const auto t = target.data()[j];
                if (t == ignore_index) continue;
                const T w = element_weight(g, j, count, reduction);
                const std::size_t base = n * C * inner + i;
                for (std::size_t c = 0; c < C; ++c) gx[base + c * inner] += w * std::exp(x[base + c * inner] - lse[j]);
                gx[base + static_cast<std::size_t>(t) * inner] -= w;
            }
    });
}

template <class T>
TensorT<T> nll_loss(const TensorT<T>& log_probs, const IndexArray& target, long ignore_index, Reduction reduction) {
    const Shape xs = log_probs.shape();
    const ClassLayout l = class_layout("nll_loss", xs, target, ignore_index);
    const std::size_t C = l.C, inner = l.inner, M = l.N * inner;
    std::vector<T> per(M, T(0));
    std::size_t count = 0;
    const T* x = log_probs.value().data();
    for (std::size_t j = 0; j < M; ++j) {
        const auto t = target.data()[j];
        if (t == ignore_index) continue;
        per[j] = -x[(j / inner) * C * inner + static_cast<std::size_t>(t) * inner + j % inner];
        ++count;
    }
    return make_op<T>(reduce_loss(per, count, l.none_shape, reduction), {log_probs},
                      [log_probs, target, ignore_index, reduction, l, count](const xt::xarray<T>& g, const xt::xarray<T>&) {
        // loss_j = -x_j[t_j]: dx_j[t_j] = -w_j
        T* gx = log_probs.grad_buffer().data();
        for (std::size_t j = 0; j < l.N * l.inner; ++j) {
            const auto t = target.data()[j];
            if (t == ignore_index) continue;
            gx[(j / l.inner) * l.C * l.inner + static_cast<std::size_t>(t) * l.inner + j % l.inner] -=
                element_weight(g, j, count, reduction);
        }
    });
}

template <class T>
TensorT<T> mse_loss(const TensorT<T>& input, const TensorT<T>& target, Reduction reduction) {
    XG_CHECK(input.shape() == target.shape(), "mse_loss: input of shape " << shape_str(input.shape())
                                                                          << " and target of shape "
                                                                          << shape_str(target.shape()) << " differ");
    TensorT<T> d = input - target;
    TensorT<T> sq = d * d;
    if (reduction == Reduction::None) return sq;
    return reduction == Reduction::Sum ? sum(sq) : mean(sq);
}

template <class T>
TensorT<T> binary_cross_entropy_with_logits(const TensorT<T>& logits, const TensorT<T>& target, Reduction reduction) {
    XG_CHECK(logits.shape() == target.shape(), "binary_cross_entropy_with_logits: logits of shape "
                                                   << shape_str(logits.shape()) << " and target of shape "
                                                   << shape_str(target.shape()) << " differ");
    const auto& x = logits.value();
    const auto& y = target.value();
    // loss = max(x, 0) - x y + log(1 + exp(-|x|)): the stable form of -[y log s(x) + (1-y) log(1-s(x))]
    xt::xarray<T> per = xt::maximum(x, T(0)) - x * y + xt::log1p(xt::exp(-xt::abs(x)));
    const std::size_t n = per.size();
    xt::xarray<T> v;
    if (reduction == Reduction::None) {
        v = per;
    } else {
        v = xt::xarray<T>::from_shape({});
        double total = 0;
        for (T e : per) total += e;
        v() = static_cast<T>(total / (reduction == Reduction::Mean ? static_cast<double>(n) : 1.0));
    }
    return make_op<T>(std::move(v), {logits, target}, [logits, target, reduction, n](const xt::xarray<T>& g, const xt::xarray<T>&) {
        // dloss/dx = sigmoid(x) - y, dloss/dy = -x
        const auto& x = logits.value();
        if (reduction == Reduction::None) {
            if (logits.requires_grad()) logits.add_grad(g * (T(1) / (T(1) + xt::exp(-x)) - target.value()));
            if (target.requires_grad()) target.add_grad(-g * x);
        } else {
            const T w = reduction == Reduction::Mean ? g() / static_cast<T>(n) : g();
            if (logits.requires_grad()) logits.add_grad(w * (T(1) / (T(1) + xt::exp(-x)) - target.value()));
            if (target.requires_grad()) target.add_grad(-w * x);
        }
    });
}

#define XG_LOSS(T)                                                                                     \
    template TensorT<T> cross_entropy(const TensorT<T>&, const IndexArray&, long, Reduction);          \
    template TensorT<T> nll_loss(const TensorT<T>&, const IndexArray&, long, Reduction);               \
    template TensorT<T> mse_loss(const TensorT<T>&, const TensorT<T>&, Reduction);                     \
    template TensorT<T> binary_cross_entropy_with_logits(const TensorT<T>&, const TensorT<T>&, Reduction);
XG_INSTANTIATE(XG_LOSS)

}  // namespace xg

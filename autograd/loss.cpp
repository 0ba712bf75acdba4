#include "autograd/loss.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>

#include "autograd/arithmetic.hpp"
#include "autograd/detail.hpp"
#include "autograd/reduce.hpp"
#include "core/parallel.hpp"

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

// The value of a per-element loss under a reduction; Mean divides by `denom` (the count of
// targets, or the sum of their weights: 0 / 0 gives NaN, as in PyTorch).
template <class T>
xt::xarray<T> reduce_loss(const std::vector<T>& per, T denom, const Shape& none_shape, Reduction r) {
    if (r == Reduction::None) {
        xt::xarray<T> v = xt::xarray<T>::from_shape(none_shape);
        std::copy(per.begin(), per.end(), v.begin());
        return v;
    }
    T total = 0;
    for (T p : per) total += p;
    xt::xarray<T> v = xt::xarray<T>::from_shape({});
    v() = r == Reduction::Sum ? total : total / denom;
    return v;
}

// f(n) for every sample n < N, each `size` values, in blocks over the threads: samples are
// computed alone, so any thread count gives the same bits.
template <class F>
void for_sample_blocks(std::size_t N, std::size_t size, const F& f) {
    const std::size_t per_block = std::max<std::size_t>(1, (std::size_t(1) << 14) / std::max<std::size_t>(size, 1));
    parallel_blocks(N, per_block, [&](std::size_t first, std::size_t last) {
        for (std::size_t n = first; n < last; ++n) f(n);
    });
}

// The weight each element's gradient gets from the output gradient g.
template <class T>
T element_weight(const xt::xarray<T>& g, std::size_t j, T denom, Reduction r) {
    if (r == Reduction::None) return g.data()[j];
    return r == Reduction::Sum ? g() : g() / denom;
}

}  // namespace

template <class T>
TensorT<T> cross_entropy(const TensorT<T>& logits, const IndexArray& target, long ignore_index, Reduction reduction) {
    return cross_entropy(logits, target, CrossEntropyFuncOptions<T>().ignore_index(ignore_index).reduction(reduction));
}

template <class T>
TensorT<T> cross_entropy(const TensorT<T>& logits, const IndexArray& target, const CrossEntropyFuncOptions<T>& opt) {
    // logits (N, C, inner...), target (N, inner...); j = (n, i) runs over the N * inner positions
    const Shape xs = logits.shape();
    const long ignore_index = opt.ignore_index();
    const Reduction reduction = opt.reduction();
    const ClassLayout l = class_layout("cross_entropy", xs, target, ignore_index);
    const std::size_t C = l.C, inner = l.inner, M = l.N * inner;
    const double eps = opt.label_smoothing();
    XG_CHECK(eps >= 0.0 && eps <= 1.0, "cross_entropy: label_smoothing must be between 0 and 1, got " << eps);
    std::vector<T> w(C, T(1));
    if (opt.weight().defined()) {
        const Shape ws = opt.weight().shape();
        XG_CHECK(ws.size() == 1 && ws[0] == C, "cross_entropy: weight of shape " << shape_str(ws) << " does not fit input of shape "
                                                   << shape_str(xs) << " (expected (" << C << "), one weight per class)");
        std::copy(opt.weight().value().begin(), opt.weight().value().end(), w.begin());
    }
    const T sw = std::accumulate(w.begin(), w.end(), T(0));  // sum_c w[c]
    const T keep = T(1 - eps), spread = T(eps / double(C));
    // loss_j = keep * w[t] * (lse_j - x_j[t]) + spread * sum_c w[c] * (lse_j - x_j[c])
    std::vector<T> per(M, T(0)), lse(M, T(0));
    const T* x = logits.value().data();
    for_sample_blocks(l.N, C * inner, [&](std::size_t n) {
        for (std::size_t i = 0; i < inner; ++i) {
            const std::size_t j = n * inner + i;
            const T* p = x + n * C * inner + i;
            lse[j] = detail::logsumexp(p, C, inner);
            const auto t = target.data()[j];
            if (t == ignore_index) continue;
            const T wt = w[static_cast<std::size_t>(t)];
            per[j] = keep * wt * (lse[j] - p[static_cast<std::size_t>(t) * inner]);
            // NOTE: only with eps > 0, as torch: a -inf logit (a masked class) would give 0 * inf = NaN
            if (eps > 0) {
                T smooth = 0;
                for (std::size_t c = 0; c < C; ++c) smooth += w[c] * (lse[j] - p[c * inner]);
                per[j] += spread * smooth;
            }
        }
    });
    T denom = 0;  // sum of w[t_j] over the positions not ignored, in order
    for (std::size_t j = 0; j < M; ++j)
        if (const auto t = target.data()[j]; t != ignore_index) denom += w[static_cast<std::size_t>(t)];
    return make_op<T>(reduce_loss(per, denom, l.none_shape, reduction), {logits},
                      [logits, target, ignore_index, reduction, l, lse = std::move(lse), w = std::move(w), sw, keep, spread,
                       denom](const xt::xarray<T>& g) {
        // dx_j[c] = a_j * ((keep * w[t] + spread * sw) * softmax(x_j)[c] - keep * w[t] * [c == t] - spread * w[c])
        // with a_j the element's share of g; ignored positions get nothing
        T* gx = logits.grad_buffer().data();
        const T* x = logits.value().data();
        const std::size_t C = l.C, inner = l.inner;
        for_sample_blocks(l.N, C * inner, [&](std::size_t n) {
            for (std::size_t i = 0; i < inner; ++i) {
                const std::size_t j = n * inner + i;
                const auto t = target.data()[j];
                if (t == ignore_index) continue;
                const T a = element_weight(g, j, denom, reduction);
                const T wt = w[static_cast<std::size_t>(t)];
                const T ap = a * (keep * wt + spread * sw);
                const std::size_t base = n * C * inner + i;
                for (std::size_t c = 0; c < C; ++c) gx[base + c * inner] += ap * std::exp(x[base + c * inner] - lse[j]);
                if (spread != T(0))
                    for (std::size_t c = 0; c < C; ++c) gx[base + c * inner] -= a * spread * w[c];
                gx[base + static_cast<std::size_t>(t) * inner] -= a * keep * wt;
            }
        });
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
    return make_op<T>(reduce_loss(per, T(count), l.none_shape, reduction), {log_probs},
                      [log_probs = GradSlot(log_probs), target, ignore_index, reduction, l, count = T(count)](const xt::xarray<T>& g) {
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
    return binary_cross_entropy_with_logits(logits, target, BinaryCrossEntropyWithLogitsFuncOptions<T>().reduction(reduction));
}

namespace {

// An optional weight broadcast to the logits' shape; nullopt when undefined (weighs 1).
template <class T>
std::optional<xt::xarray<T>> expand_weight(const char* name, const TensorT<T>& w, const Shape& xs) {
    if (!w.defined()) return std::nullopt;
    const Shape ws = w.shape();
    bool fits = ws.size() <= xs.size();
    for (std::size_t k = 1; fits && k <= ws.size(); ++k) fits = ws[ws.size() - k] == 1 || ws[ws.size() - k] == xs[xs.size() - k];
    XG_CHECK(fits, "binary_cross_entropy_with_logits: " << name << " of shape " << shape_str(ws)
                                                         << " does not broadcast to logits of shape " << shape_str(xs));
    return xt::xarray<T>(xt::broadcast(w.value(), xs));
}

}  // namespace

template <class T>
TensorT<T> binary_cross_entropy_with_logits(const TensorT<T>& logits, const TensorT<T>& target,
                                            const BinaryCrossEntropyWithLogitsFuncOptions<T>& opt) {
    XG_CHECK(logits.shape() == target.shape(), "binary_cross_entropy_with_logits: logits of shape "
                                                   << shape_str(logits.shape()) << " and target of shape "
                                                   << shape_str(target.shape()) << " differ");
    const Shape xs = logits.shape();
    const Reduction reduction = opt.reduction();
    const auto w = expand_weight("weight", opt.weight(), xs);
    const auto pw = expand_weight("pos_weight", opt.pos_weight(), xs);
    const T* x = logits.value().data();
    const T* y = target.value().data();
    const std::size_t n = logits.numel();
    // loss = w * ((1 - y) x + lw * softplus(-x)), lw = 1 + (pw - 1) y, as torch writes it;
    // softplus(-x) = max(-x, 0) + log1p(exp(-|x|)) never overflows
    xt::xarray<T> per = xt::xarray<T>::from_shape(xs);
    for (std::size_t i = 0; i < n; ++i) {
        const T sp = std::max(-x[i], T(0)) + std::log1p(std::exp(-std::abs(x[i])));
        const T lw = pw ? T(1) + (pw->data()[i] - T(1)) * y[i] : T(1);
        per.data()[i] = (T(1) - y[i]) * x[i] + lw * sp;
        if (w) per.data()[i] *= w->data()[i];
    }
    xt::xarray<T> v;
    if (reduction == Reduction::None) {
        v = std::move(per);
    } else {
        v = xt::xarray<T>::from_shape({});
        double total = 0;
        for (T e : per) total += e;
        v() = static_cast<T>(total / (reduction == Reduction::Mean ? static_cast<double>(n) : 1.0));
    }
    return make_op<T>(std::move(v), {logits, target},
                      [logits, target, reduction, n, w, pw](const xt::xarray<T>& g) {
        // dloss/dx = w * (lw * sigmoid(x) - pw * y), dloss/dy = w * (-x + (pw - 1) * softplus(-x))
        const T* x = logits.value().data();
        const T* y = target.value().data();
        T* gx = logits.requires_grad() ? logits.grad_buffer().data() : nullptr;
        T* gy = target.requires_grad() ? target.grad_buffer().data() : nullptr;
        const T shared = reduction == Reduction::Mean ? g() / static_cast<T>(n) : reduction == Reduction::Sum ? g() : T(0);
        for (std::size_t i = 0; i < n; ++i) {
            T a = reduction == Reduction::None ? g.data()[i] : shared;
            if (w) a *= w->data()[i];
            const T p = pw ? pw->data()[i] : T(1);
            if (gx) gx[i] += a * ((T(1) + (p - T(1)) * y[i]) / (T(1) + std::exp(-x[i])) - p * y[i]);
            if (gy) gy[i] += a * (-x[i] + (p - T(1)) * (std::max(-x[i], T(0)) + std::log1p(std::exp(-std::abs(x[i])))));
        }
    });
}

XG_DEFINE_OPS(XG_LOSS_OPS)

}  // namespace xg

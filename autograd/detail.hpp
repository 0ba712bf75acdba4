// Helpers shared by the op implementations (not part of the public API).
#pragma once

#include "core/quiet_intrinsics.hpp"  // first: before anything includes <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

#include <xtensor/xarray.hpp>

#include "autograd/op.hpp"
#include "autograd/tensor.hpp"

namespace xg::detail {

// d in [-rank, rank) -> [0, rank), or an error naming the op.
std::size_t norm_dim(const char* op, long d, std::size_t rank);

// The broadcast of two shapes, as numpy/PyTorch: align right, sizes equal or 1.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

template <class S1, class S2>
bool shapes_equal(const S1& a, const S2& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Reduce x over `axes` (sorted) with keepdim, by op (sum or max), walking x once in
// memory order. Sums accumulate in double so float reductions of long rows stay exact.
template <class T, bool Max = false>
xt::xarray<T> reduce_axes(const xt::xarray<T>& x, const std::vector<std::size_t>& axes) {
    const std::size_t r = x.dimension();
    Shape xs(x.shape().begin(), x.shape().end()), ks = xs;
    for (auto a : axes) ks[a] = 1;
    std::vector<std::size_t> ostride(r, 0);
    for (std::size_t i = r, s = 1; i-- > 0;) {
        ostride[i] = ks[i] == 1 ? 0 : s;
        s *= ks[i];
    }
    std::size_t n_out = 1;
    for (auto k : ks) n_out *= k;
    using Acc = std::conditional_t<Max, T, double>;
    std::vector<Acc> acc(n_out, Max ? -std::numeric_limits<T>::infinity() : Acc(0));
    std::vector<std::size_t> idx(r, 0);
    std::size_t off = 0;
    const T* p = x.data();
    for (std::size_t n = 0, N = x.size(); n < N; ++n) {
        if constexpr (Max) {
            if (p[n] > acc[off] || std::isnan(p[n])) acc[off] = p[n];
        } else {
            acc[off] += p[n];
        }
        for (std::size_t i = r; i-- > 0;) {  // next multi-index, carrying the output offset
            off += ostride[i];
            if (++idx[i] < xs[i]) break;
            off -= ostride[i] * xs[i];
            idx[i] = 0;
        }
    }
    xt::xarray<T> out = xt::xarray<T>::from_shape(ks);
    std::copy(acc.begin(), acc.end(), out.data());
    return out;
}

// Whether `from` broadcasts to exactly `to`.
inline bool broadcasts_to(const Shape& from, const Shape& to) {
    if (from.size() > to.size()) return false;
    for (std::size_t i = 0; i < from.size(); ++i) {
        const std::size_t f = from[from.size() - 1 - i], t = to[to.size() - 1 - i];
        if (f != t && f != 1) return false;
    }
    return true;
}

// Sum a broadcast gradient back down to `shape` (the reverse of broadcasting).
template <class T>
xt::xarray<T> sum_to(const xt::xarray<T>& g, const Shape& shape) {
    const std::size_t r = g.dimension(), lead = r - shape.size();
    std::vector<std::size_t> axes;
    for (std::size_t i = 0; i < r; ++i)
        if (i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1)) axes.push_back(i);
    if (axes.empty()) return g;
    xt::xarray<T> s = reduce_axes(g, axes);
    s.reshape(shape);
    return s;
}

// Add a gradient expression (of the broadcast shape) into t's gradient, summing
// over the broadcast dimensions when t was broadcast.
template <class T, class E>
void add_grad_bcast(const GradSlot<T>& t, E&& e) {
    const Shape shape = t.shape();
    if (shapes_equal(e.shape(), shape))
        t.add_grad(std::forward<E>(e));
    else
        t.add_grad(sum_to<T>(xt::xarray<T>(std::forward<E>(e)), shape));
}
template <class T, class E>
void add_grad_bcast(const TensorT<T>& t, E&& e) {
    add_grad_bcast(GradSlot<T>(t), std::forward<E>(e));
}

// Over n values p[j * stride]: their max m and sum_j exp(p_j - m) (subtracting the max keeps
// exp from overflowing), and logsumexp = m + log(that sum). softmax, log_softmax and
// cross_entropy all start here.
template <class T>
std::pair<T, T> max_and_exp_sum(const T* p, std::size_t n, std::size_t stride) {
    T m = p[0];
    for (std::size_t j = 1; j < n; ++j) m = std::max(m, p[j * stride]);
    T z = 0;
    for (std::size_t j = 0; j < n; ++j) z += std::exp(p[j * stride] - m);
    return {m, z};
}
template <class T>
T logsumexp(const T* p, std::size_t n, std::size_t stride) {
    const auto [m, z] = max_and_exp_sum(p, n, stride);
    return m + std::log(z);
}

// Product of sizes in [begin, end).
inline std::size_t prod(const Shape& s, std::size_t begin, std::size_t end) {
    std::size_t p = 1;
    for (std::size_t i = begin; i < end; ++i) p *= s[i];
    return p;
}

}  // namespace xg::detail


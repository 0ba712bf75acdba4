#include "autograd/reduce.hpp"

#include <algorithm>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "autograd/detail.hpp"

namespace xg {

namespace {

// The reduced axes (sorted, unique) and the shape with them kept as 1.
struct Reduced {
    std::vector<std::size_t> axes;
    Shape keep_shape;  // x's shape with reduced dims set to 1
    Shape out_shape;   // what the op returns (keep_shape when keepdim)
    std::size_t count = 1;
};

Reduced reduced(const char* op, const Shape& s, const Dims& dims, bool keepdim) {
    Reduced r;
    for (long d : dims) r.axes.push_back(detail::norm_dim(op, d, s.size()));
    std::sort(r.axes.begin(), r.axes.end());
    XG_CHECK(std::adjacent_find(r.axes.begin(), r.axes.end()) == r.axes.end(), op << ": a dim appears twice");
    r.keep_shape = s;
    for (auto a : r.axes) {
        r.count *= s[a];
        r.keep_shape[a] = 1;
    }
    for (std::size_t i = 0; i < s.size(); ++i)
        if (keepdim || !std::binary_search(r.axes.begin(), r.axes.end(), i)) r.out_shape.push_back(r.keep_shape[i]);
    return r;
}

// g (out_shape) viewed with the reduced dims kept, broadcast back over x's shape.
template <class T>
auto spread(const xt::xarray<T>& g, const Reduced& r, const Shape& xs) {
    return xt::broadcast(xt::reshape_view(g, r.keep_shape), xs);  // an rvalue view: held by value
}

template <class T>
T sum_all(const xt::xarray<T>& x) {
    double s = 0;  // double accumulation: a float sum of a million terms keeps its digits
    for (T v : x) s += v;
    return static_cast<T>(s);
}

// An array of x's shape filled with one value: the gradient of a full reduction (a filled
// array rather than xt::broadcast, whose += trips a GCC 12 -Wnonnull false positive).
template <class T>
xt::xarray<T> filled(const Shape& shape, T value) {
    xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
    out.fill(value);
    return out;
}

}  // namespace

template <class T>
TensorT<T> sum(const TensorT<T>& x) {
    xt::xarray<T> v = xt::xarray<T>::from_shape({});
    v() = sum_all(x.value());
    return make_op<T>(std::move(v), {x}, [x = GradSlot(x)](const xt::xarray<T>& g) {
        // y = sum x: dx = g everywhere
        x.add_grad(filled(x.shape(), g()));
    });
}

template <class T>
TensorT<T> sum(const TensorT<T>& x, const Dims& dims, bool keepdim) {
    const Shape xs = x.shape();
    Reduced r = reduced("sum", xs, dims, keepdim);
    xt::xarray<T> v = detail::reduce_axes(x.value(), r.axes);
    v.reshape(r.out_shape);
    return make_op<T>(std::move(v), {x}, [x = GradSlot(x), r, xs](const xt::xarray<T>& g) {
        x.add_grad(spread(g, r, xs));
    });
}

template <class T>
TensorT<T> mean(const TensorT<T>& x) {
    // the mean of nothing is 0 * (1 / 0) = NaN, as in PyTorch
    const T scale = T(1) / static_cast<T>(x.numel());
    xt::xarray<T> v = xt::xarray<T>::from_shape({});
    v() = sum_all(x.value()) * scale;
    return make_op<T>(std::move(v), {x}, [x = GradSlot(x), scale](const xt::xarray<T>& g) {
        x.add_grad(filled(x.shape(), T(g() * scale)));  // y = sum x / n: dx = g / n
    });
}

template <class T>
TensorT<T> mean(const TensorT<T>& x, const Dims& dims, bool keepdim) {
    const Shape xs = x.shape();
    Reduced r = reduced("mean", xs, dims, keepdim);
    const T scale = T(1) / static_cast<T>(r.count);
    xt::xarray<T> v = detail::reduce_axes(x.value(), r.axes);
    v *= scale;
    v.reshape(r.out_shape);
    return make_op<T>(std::move(v), {x}, [x = GradSlot(x), r, xs, scale](const xt::xarray<T>& g) {
        x.add_grad(spread(g, r, xs) * scale);  // y = sum x / n: dx = g / n
    });
}

template <class T>
TensorT<T> max(const TensorT<T>& x) {
    Dims all(x.dim());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<long>(i);
    XG_CHECK(x.numel() > 0, "max: the tensor is empty");
    return max(x, all, false);
}

template <class T>
TensorT<T> max(const TensorT<T>& x, const Dims& dims, bool keepdim) {
    const Shape xs = x.shape();
    Reduced r = reduced("max", xs, dims, keepdim);
    XG_CHECK(r.count > 0, "max: reducing over an empty dimension (shape " << shape_str(xs) << ")");
    xt::xarray<T> v = detail::reduce_axes<T, true>(x.value(), r.axes);
    v.reshape(r.out_shape);
    return make_op<T>(std::move(v), {x}, [x, r, xs](const xt::xarray<T>& g, const xt::xarray<T>& y) {
        // The maxima share the gradient evenly (torch.amax): dx = g * [x == max] / count
        xt::xarray<T> hit = xt::cast<T>(xt::equal(x.value(), spread(y, r, xs)));
        xt::xarray<T> n = detail::reduce_axes(hit, r.axes);
        x.add_grad(hit * spread(g, r, xs) / xt::broadcast(n, xs));
    });
}

template <class T>
IndexArray argmax(const TensorT<T>& x, long dim, bool keepdim) {
    const Shape xs = x.shape();
    const std::size_t d = detail::norm_dim("argmax", dim, xs.size());
    XG_CHECK(xs[d] > 0, "argmax: dimension " << dim << " is empty");
    const std::size_t outer = detail::prod(xs, 0, d), n = xs[d], inner = detail::prod(xs, d + 1, xs.size());
    Shape os = xs;
    os[d] = 1;
    IndexArray out = IndexArray::from_shape(os);
    const T* p = x.value().data();
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i) {
            const T* q = p + o * n * inner + i;
            std::size_t best = 0;  // the first maximum; the first NaN, as in PyTorch
            for (std::size_t k = 1; k < n && !std::isnan(q[best * inner]); ++k)
                if (q[k * inner] > q[best * inner] || std::isnan(q[k * inner])) best = k;
            out.data()[o * inner + i] = static_cast<std::int64_t>(best);
        }
    if (!keepdim) {
        os.erase(os.begin() + static_cast<long>(d));
        out.reshape(os);
    }
    return out;
}

XG_DEFINE_OPS(XG_REDUCE_OPS)

}  // namespace xg

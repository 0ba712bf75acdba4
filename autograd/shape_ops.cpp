#include "autograd/shape_ops.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>

#include <xtensor/xadapt.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xstrided_view.hpp>

#include "autograd/detail.hpp"
#include "core/parallel.hpp"
#include "core/sizes.hpp"

namespace xg {

using detail::norm_dim;
using detail::prod;

constexpr std::size_t kCopyBlock = std::size_t(1) << 16;  // values a block of a copy over the threads

template <class T>
TensorT<T> reshape(const TensorT<T>& x, const Shape& shape) {
    const Shape xs = x.shape();
    XG_CHECK(checked_numel(shape, sizeof(T), "reshape") == x.numel(), "reshape: cannot reshape a tensor of shape "
                                                            << shape_str(xs) << " (" << x.numel() << " elements) into "
                                                            << shape_str(shape));
    xt::xarray<T> v = xt::xarray<T>::from_shape(shape);
    const T* src = x.value().data();
    T* dst = v.data();
    parallel_blocks(v.size(), kCopyBlock, [&](std::size_t first, std::size_t last) { std::copy(src + first, src + last, dst + first); });
    return make_op<T>(std::move(v), {x}, [x = GradSlot(x)](const xt::xarray<T>& g) {
        // g's contiguous values are x's gradient's, copied or added in blocks over the threads
        const auto [gx, add] = x.grad_to_write();
        parallel_blocks(g.size(), kCopyBlock, [&, gx = gx, add = add](std::size_t first, std::size_t last) {
            if (add)
                for (std::size_t j = first; j < last; ++j) gx[j] += g.data()[j];
            else
                std::copy(g.data() + first, g.data() + last, gx + first);
        });
    });
}

template <class T>
TensorT<T> reshape(const TensorT<T>& x, const std::vector<long>& shape) {
    Shape s(shape.size());
    long infer = -1;
    std::size_t known = 1;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            XG_CHECK(infer < 0, "reshape: only one dimension can be -1");
            infer = static_cast<long>(i);
        } else {
            XG_CHECK(shape[i] >= 0, "reshape: invalid size " << shape[i]);
            s[i] = static_cast<std::size_t>(shape[i]);
            known = checked_mul(known, s[i], "reshape");
        }
    }
    if (infer >= 0) {
        XG_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot infer the -1 dimension when reshaping a tensor of shape "
                                                          << shape_str(x.shape()) << " (" << x.numel() << " elements)");
        s[static_cast<std::size_t>(infer)] = x.numel() / known;
    }
    return reshape(x, s);
}

template <class T>
TensorT<T> flatten(const TensorT<T>& x, long start_dim, long end_dim) {
    Shape xs = x.shape();
    if (xs.empty()) return reshape(x, Shape{1});
    const std::size_t a = norm_dim("flatten", start_dim, xs.size()), b = norm_dim("flatten", end_dim, xs.size());
    XG_CHECK(a <= b, "flatten: start_dim " << start_dim << " comes after end_dim " << end_dim);
    Shape s(xs.begin(), xs.begin() + static_cast<long>(a));
    s.push_back(prod(xs, a, b + 1));
    s.insert(s.end(), xs.begin() + static_cast<long>(b) + 1, xs.end());
    return reshape(x, s);
}

template <class T>
TensorT<T> unsqueeze(const TensorT<T>& x, long dim) {
    Shape s = x.shape();
    const std::size_t d = norm_dim("unsqueeze", dim, s.size() + 1);
    s.insert(s.begin() + static_cast<long>(d), 1);
    return reshape(x, s);
}

template <class T>
TensorT<T> squeeze(const TensorT<T>& x, long dim) {
    Shape s = x.shape();
    const std::size_t d = norm_dim("squeeze", dim, s.size());
    if (s[d] != 1) return reshape(x, s);  // as PyTorch: the same values, in a new tensor
    s.erase(s.begin() + static_cast<long>(d));
    return reshape(x, s);
}

template <class T>
TensorT<T> permute(const TensorT<T>& x, const std::vector<long>& dims) {
    const std::size_t r = x.dim();
    XG_CHECK(dims.size() == r, "permute: " << dims.size() << " dims given for a tensor of shape " << shape_str(x.shape()));
    std::vector<std::size_t> perm(r), inverse(r);
    std::vector<bool> seen(r, false);
    for (std::size_t i = 0; i < r; ++i) {
        perm[i] = norm_dim("permute", dims[i], r);
        XG_CHECK(!seen[perm[i]], "permute: dim " << dims[i] << " appears twice");
        seen[perm[i]] = true;
        inverse[perm[i]] = i;
    }
    xt::xarray<T> v = xt::transpose(x.value(), perm);
    return make_op<T>(std::move(v), {x}, [x = GradSlot(x), inverse](const xt::xarray<T>& g) {
        x.add_grad(xt::transpose(g, inverse));
    });
}

template <class T>
TensorT<T> transpose(const TensorT<T>& x, long dim0, long dim1) {
    const std::size_t r = x.dim();
    std::vector<long> dims(r);
    std::iota(dims.begin(), dims.end(), 0L);
    std::swap(dims[norm_dim("transpose", dim0, r)], dims[norm_dim("transpose", dim1, r)]);
    return permute(x, dims);
}

template <class T>
TensorT<T> cat(const std::vector<TensorT<T>>& xs, long dim) {
    XG_CHECK(!xs.empty(), "cat: expected a non-empty list of tensors");
    const Shape s0 = xs[0].shape();
    XG_CHECK(!s0.empty(), "cat: zero-dimensional tensor (index 0) cannot be concatenated");
    const std::size_t d = norm_dim("cat", dim, s0.size());
    Shape out = s0;
    out[d] = 0;
    std::vector<std::size_t> sizes;
    for (std::size_t j = 0; j < xs.size(); ++j) {
        Shape sj = xs[j].shape();
        bool fits = sj.size() == s0.size();
        for (std::size_t i = 0; fits && i < sj.size(); ++i) fits = i == d || sj[i] == s0[i];
        XG_CHECK(fits, "cat: tensor " << j << " has shape " << shape_str(sj) << " but tensor 0 has shape " << shape_str(s0)
                                      << "; sizes must match except in dim " << d);
        sizes.push_back(sj[d]);
        out[d] += sj[d];
    }
    const std::size_t outer = prod(s0, 0, d), inner = prod(s0, d + 1, s0.size());
    xt::xarray<T> v = xt::xarray<T>::from_shape(out);
    T* dst = v.data();
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t j = 0; j < xs.size(); ++j) {
            const std::size_t n = sizes[j] * inner;
            std::copy_n(xs[j].value().data() + o * n, n, dst);
            dst += n;
        }
    return make_op<T>(std::move(v), xs, [xs = std::vector<GradSlot<T>>(xs.begin(), xs.end()), sizes, outer, inner](const xt::xarray<T>& g) {
        // each input gets back its own chunks of the gradient
        const T* src = g.data();
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t j = 0; j < xs.size(); ++j) {
                const std::size_t n = sizes[j] * inner;
                if (xs[j].requires_grad()) {
                    T* p = xs[j].grad_buffer().data() + o * n;
                    for (std::size_t i = 0; i < n; ++i) p[i] += src[i];
                }
                src += n;
            }
    });
}

template <class T>
TensorT<T> stack(const std::vector<TensorT<T>>& xs, long dim) {
    XG_CHECK(!xs.empty(), "stack: expected a non-empty list of tensors");
    const Shape s0 = xs[0].shape();
    const std::size_t d = norm_dim("stack", dim, s0.size() + 1);
    std::vector<TensorT<T>> parts;
    for (std::size_t j = 0; j < xs.size(); ++j) {
        XG_CHECK(xs[j].shape() == s0, "stack: tensor " << j << " has shape " << shape_str(xs[j].shape())
                                                       << " but tensor 0 has shape " << shape_str(s0)
                                                       << "; stack needs equal shapes");
        parts.push_back(unsqueeze(xs[j], static_cast<long>(d)));
    }
    return cat(parts, static_cast<long>(d));
}

namespace {

// x seen as (outer, n, inner) around dim d: the rows row(0), ..., row(count - 1) of its n,
// each `inner` contiguous values. The forward of slice and index_select.
template <class T, class Row>
xt::xarray<T> take_rows(const xt::xarray<T>& x, std::size_t d, std::size_t count, Row row) {
    const Shape xs(x.shape().begin(), x.shape().end());
    const std::size_t outer = prod(xs, 0, d), n = xs[d], inner = prod(xs, d + 1, xs.size());
    Shape os = xs;
    os[d] = count;
    xt::xarray<T> v = xt::xarray<T>::from_shape(os);
    T* dst = v.data();
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t k = 0; k < count; ++k, dst += inner) std::copy_n(x.data() + (o * n + row(k)) * inner, inner, dst);
    return v;
}

// Their backward: adds each row of g into the row of grad it was taken from.
template <class T, class Row>
void add_rows(xt::xarray<T>& grad, const xt::xarray<T>& g, std::size_t d, std::size_t count, Row row) {
    const Shape xs(grad.shape().begin(), grad.shape().end());
    const std::size_t outer = prod(xs, 0, d), n = xs[d], inner = prod(xs, d + 1, xs.size());
    const T* gy = g.data();
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t k = 0; k < count; ++k, gy += inner) {
            T* p = grad.data() + (o * n + row(k)) * inner;
            for (std::size_t i = 0; i < inner; ++i) p[i] += gy[i];
        }
}

}  // namespace

template <class T>
TensorT<T> slice(const TensorT<T>& x, long dim, long start, long end, long step) {
    const Shape xs = x.shape();
    const std::size_t d = norm_dim("slice", dim, xs.size());
    XG_CHECK(step > 0, "slice: step must be positive, got " << step);
    const long n = static_cast<long>(xs[d]);
    if (start < 0) start = start < -n ? 0 : start + n;  // no start + n that could wrap
    if (end < 0) end = end < -n ? 0 : end + n;
    start = std::clamp(start, 0L, n);
    end = std::clamp(end, start, n);
    // ceil((end - start) / step) without end - start + step, which wraps for a huge step
    const std::size_t count = end == start ? 0 : static_cast<std::size_t>((end - start - 1) / step + 1);
    const std::size_t first = static_cast<std::size_t>(start), stride = static_cast<std::size_t>(step);
    const auto row = [first, stride](std::size_t k) { return first + k * stride; };
    return make_op<T>(take_rows(x.value(), d, count, row), {x}, [x = GradSlot(x), d, count, row](const xt::xarray<T>& g) {
        add_rows(x.grad_buffer(), g, d, count, row);  // scatter the slice's gradient back into its positions
    });
}

template <class T>
TensorT<T> narrow(const TensorT<T>& x, long dim, long start, long length) {
    const Shape xs = x.shape();
    const std::size_t d = norm_dim("narrow", dim, xs.size());
    const long n = static_cast<long>(xs[d]);
    if (start < 0 && start >= -n) start += n;
    XG_CHECK(start >= 0 && start <= n && length >= 0 && length <= n - start,  // no start + length: it may wrap
             "narrow: start " << start << " and length " << length << " exceed dimension " << d << " of size " << n
                              << " (shape " << shape_str(xs) << ")");
    return slice(x, static_cast<long>(d), start, start + length);
}

template <class T>
TensorT<T> select(const TensorT<T>& x, long dim, long index) {
    const Shape xs = x.shape();
    const std::size_t d = norm_dim("select", dim, xs.size());
    const long n = static_cast<long>(xs[d]);
    XG_CHECK(index >= -n && index < n, "select: index " << index << " is out of range for dimension " << d
                                                         << " with size " << n << " (shape " << shape_str(xs) << ")");
    if (index < 0) index += n;
    Shape os = xs;
    os.erase(os.begin() + static_cast<long>(d));
    return reshape(slice(x, static_cast<long>(d), index, index + 1), os);
}

template <class T>
TensorT<T> index_select(const TensorT<T>& x, long dim, const IndexArray& index) {
    const Shape xs = x.shape();
    const std::size_t d = norm_dim("index_select", dim, xs.size());
    XG_CHECK(index.dimension() <= 1, "index_select: the index must be 1-D, got shape " << shape_str(index.shape()));
    const std::size_t count = index.size(), n = xs[d];
    for (std::size_t k = 0; k < count; ++k) {
        const auto i = index.data()[k];
        XG_CHECK(i >= 0 && static_cast<std::size_t>(i) < n, "index_select: index " << i << " is out of range for dimension "
                                                                                   << d << " with size " << n);
    }
    const auto row = [index](std::size_t k) { return static_cast<std::size_t>(index.data()[k]); };
    return make_op<T>(take_rows(x.value(), d, count, row), {x}, [x = GradSlot(x), d, count, row](const xt::xarray<T>& g) {
        add_rows(x.grad_buffer(), g, d, count, row);  // index_add: repeated indices accumulate
    });
}

namespace {

// For each element of index (row-major), the offset in x (shape xs, row-major) that gather
// reads: index's own coordinates, except along d, where its value.
std::vector<std::size_t> gather_offsets(const Shape& xs, std::size_t d, const IndexArray& index) {
    const std::size_t r = xs.size();
    std::vector<std::size_t> stride(r, 1), at(r, 0), out(index.size());
    for (std::size_t k = r; k-- > 1;) stride[k - 1] = stride[k] * xs[k];
    const auto& is = index.shape();
    for (std::size_t p = 0; p < out.size(); ++p) {
        const auto i = index.data()[p];
        XG_CHECK(i >= 0 && static_cast<std::size_t>(i) < xs[d],
                 "gather: index " << i << " is out of range for dimension " << d << " with size " << xs[d]);
        std::size_t off = 0;
        for (std::size_t k = 0; k < r; ++k) off += (k == d ? static_cast<std::size_t>(i) : at[k]) * stride[k];
        out[p] = off;
        for (std::size_t k = r; k-- > 0;) {  // the next coordinates of index, row-major
            if (++at[k] < is[k]) break;
            at[k] = 0;
        }
    }
    return out;
}

}  // namespace

template <class T>
TensorT<T> gather(const TensorT<T>& x, long dim, const IndexArray& index) {
    const Shape xs = x.shape(), is(index.shape().begin(), index.shape().end());
    const std::size_t d = norm_dim("gather", dim, xs.size());
    // an empty index gathers nothing, whatever its shape (as PyTorch, which skips these checks)
    XG_CHECK(index.size() == 0 || is.size() == xs.size(),
             "gather: the index must have " << xs.size() << " dimensions like the input, got shape " << shape_str(is));
    for (std::size_t k = 0; k < xs.size() && index.size() > 0; ++k)
        XG_CHECK(k == d || is[k] <= xs[k], "gather: the index's size " << is[k] << " in dimension " << k
                                                                       << " exceeds the input's " << xs[k] << " (index shape "
                                                                       << shape_str(is) << ", input " << shape_str(xs) << ")");
    auto offsets = std::make_shared<const std::vector<std::size_t>>(gather_offsets(xs, d, index));
    xt::xarray<T> v = xt::xarray<T>::from_shape(is);
    const T* src = x.value().data();
    for (std::size_t p = 0; p < offsets->size(); ++p) v.data()[p] = src[(*offsets)[p]];
    return make_op<T>(std::move(v), {x}, [x = GradSlot(x), offsets](const xt::xarray<T>& g) {
        T* grad = x.grad_buffer().data();
        for (std::size_t p = 0; p < offsets->size(); ++p) grad[(*offsets)[p]] += g.data()[p];  // scatter_add
    });
}

template <class T>
TensorT<T> flip(const TensorT<T>& x, const std::vector<long>& dims) {
    std::vector<std::size_t> axes;
    for (long d : dims) {
        axes.push_back(norm_dim("flip", d, x.dim()));
        XG_CHECK(std::count(axes.begin(), axes.end(), axes.back()) == 1, "flip: dim " << d << " appears twice in the list");
    }
    auto flip_all = [axes](const xt::xarray<T>& a) {
        xt::xarray<T> r = a;
        if (r.size() == 0) return r;  // xt::flip offsets an empty array's null data pointer (UB)
        for (auto ax : axes) r = xt::flip(r, ax);
        return r;
    };
    return make_op<T>(flip_all(x.value()), {x}, [x = GradSlot(x), flip_all](const xt::xarray<T>& g) {
        x.add_grad(flip_all(g));
    });
}

template <class T>
TensorT<T> expand(const TensorT<T>& x, const Shape& shape) {
    const Shape xs = x.shape();
    checked_numel(shape, sizeof(T), "expand");
    XG_CHECK(detail::broadcasts_to(xs, shape),
             "expand: a tensor of shape " << shape_str(xs) << " cannot be expanded to " << shape_str(shape));
    return make_op<T>(xt::xarray<T>(xt::broadcast(x.value(), shape)), {x}, [x = GradSlot(x)](const xt::xarray<T>& g) {
        detail::add_grad_bcast(x, g);
    });
}

XG_DEFINE_OPS(XG_SHAPE_OPS)

}  // namespace xg

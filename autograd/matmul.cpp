#include "autograd/matmul.hpp"

#include "autograd/detail.hpp"
#include "autograd/shape_ops.hpp"
#include "core/gemm.hpp"

namespace xg {

namespace {

template <class T>
xt::xarray<T> empty_or_zeros(const Shape& s, std::size_t k) {
    // GEMM with an empty inner dimension writes nothing: start from zeros then.
    return k == 0 ? xt::xarray<T>(xt::zeros<T>(s)) : xt::xarray<T>::from_shape(s);
}


// Several batch dims, e.g. attention's (B, heads, T, d): they broadcast as in torch, then
// fold into one so that the 3-D path runs (a matrix operand stays one GEMM over all of
// them). expand's backward sums the gradient back over the dims it broadcast.
template <class T>
TensorT<T> matmul_nd(const TensorT<T>& a, const TensorT<T>& b) {
    const Shape as = a.shape(), bs = b.shape();
    const Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
    const std::size_t r = std::max(ab.size(), bb.size());
    Shape batch(r);
    for (std::size_t i = 0; i < r; ++i) {
        const std::size_t da = i < r - ab.size() ? 1 : ab[i - (r - ab.size())];
        const std::size_t db = i < r - bb.size() ? 1 : bb[i - (r - bb.size())];
        XG_CHECK(da == db || da == 1 || db == 1, "matmul: " << shape_str(as) << " x " << shape_str(bs)
                                                            << ": batch dimensions cannot be broadcast (" << da
                                                            << " vs " << db << ")");
        batch[i] = da == 1 ? db : da;
    }
    std::size_t p = 1;
    for (auto d : batch) p *= d;
    auto fold = [&](const TensorT<T>& x, const Shape& xs) {
        if (xs.size() == 2) return x;
        const std::size_t rows = xs[xs.size() - 2], cols = xs.back();
        std::size_t own = 1;
        for (std::size_t i = 0; i + 2 < xs.size(); ++i) own *= xs[i];
        if (own == 1) return reshape(x, Shape{rows, cols});  // batch dims all 1: a matrix, not p copies
        Shape full = batch;
        full.push_back(rows);
        full.push_back(cols);
        return reshape(xs == full ? x : expand(x, full), Shape{p, rows, cols});
    };
    Shape os = batch;
    os.push_back(as[as.size() - 2]);
    os.push_back(bs.back());
    return reshape(matmul(fold(a, as), fold(b, bs)), os);
}

}  // namespace

template <class T>
TensorT<T> matmul(const TensorT<T>& a, const TensorT<T>& b) {
    const Shape as = a.shape(), bs = b.shape();
    XG_CHECK(!as.empty() && !bs.empty(), "matmul: " << shape_str(as) << " x " << shape_str(bs) << ": 0-d operands");
    // A vector operand is a one-row (left) or one-column (right) matrix, dropped afterwards.
    if (bs.size() == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
    if (as.size() == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);

    const std::size_t n = as[as.size() - 2], k = as.back(), kb = bs[bs.size() - 2], m = bs.back();
    XG_CHECK(k == kb, "matmul: " << shape_str(as) << " x " << shape_str(bs) << ": inner dimensions differ (" << k
                                 << " != " << kb << ")");
    if (as.size() > 3 || bs.size() > 3) return matmul_nd(a, b);
    const std::size_t ba = as.size() == 3 ? as[0] : 1, bb = bs.size() == 3 ? bs[0] : 1;
    XG_CHECK(ba == bb || ba == 1 || bb == 1,
             "matmul: " << shape_str(as) << " x " << shape_str(bs) << ": batch sizes differ (" << ba << " != " << bb << ")");
    const std::size_t batch = ba == 1 ? bb : ba;  // a batch of 0 broadcasts with 1 to 0, as in PyTorch
    Shape os = (as.size() == 3 || bs.size() == 3) ? Shape{batch, n, m} : Shape{n, m};

    // (B, n, k) x (k, m) is one GEMM of (B*n, k) x (k, m).
    const bool fold = bs.size() == 2;
    const std::size_t rows = fold ? ba * n : n, steps = fold ? 1 : batch;
    const std::size_t sa = ba == 1 ? 0 : n * k, sb = bb == 1 ? 0 : k * m;

    xt::xarray<T> y = empty_or_zeros<T>(os, k);
    for (std::size_t i = 0; i < steps; ++i)
        gemm::gemm(false, false, rows, m, k, a.value().data() + i * sa, k, b.value().data() + i * sb, m, false, y.data() + i * rows * m, m);

    return make_op<T>(std::move(y), {a, b}, [a, b, rows, k, m, steps, sa, sb](const xt::xarray<T>& g) {
        // C = A B: dA += G B^T, dB += A^T G (per batch; a broadcast side accumulates over the batch)
        if (a.requires_grad()) {
            T* ga = a.grad_buffer().data();
            for (std::size_t i = 0; i < steps; ++i)
                gemm::gemm(false, true, rows, k, m, g.data() + i * rows * m, m, b.value().data() + i * sb, m, true, ga + i * sa, k);
        }
        if (b.requires_grad()) {
            T* gb = b.grad_buffer().data();
            for (std::size_t i = 0; i < steps; ++i)
                gemm::gemm(true, false, k, m, rows, a.value().data() + i * sa, k, g.data() + i * rows * m, m, true, gb + i * sb, m);
        }
    });
}

template <class T>
TensorT<T> linear(const TensorT<T>& x, const TensorT<T>& w, const TensorT<T>& bias) {
    const Shape xs = x.shape(), ws = w.shape();
    XG_CHECK(ws.size() == 2, "linear: weight must be 2-D (out_features, in_features), got " << shape_str(ws));
    XG_CHECK(!xs.empty() && xs.back() == ws[1], "linear: input of shape " << shape_str(xs) << " does not fit weight of shape "
                                                                          << shape_str(ws) << " (expected last dim "
                                                                          << ws[1] << ")");
    const bool has_bias = bias.defined();
    if (has_bias)
        XG_CHECK(bias.shape() == Shape{ws[0]}, "linear: bias of shape " << shape_str(bias.shape()) << " for weight of shape "
                                                                        << shape_str(ws) << " (expected (" << ws[0] << "))");
    // x (R, I) with R = all leading dims, W (O, I), y (R, O); with I = 0, y is the bias
    const std::size_t I = ws[1], O = ws[0], R = detail::prod(xs, 0, xs.size() - 1);
    Shape ys = xs;
    ys.back() = O;
    xt::xarray<T> y = xt::xarray<T>::from_shape(ys);
    T* yp = y.data();
    // gemm adds the bias to each row as it writes it
    gemm::gemm(false, true, R, O, I, x.value().data(), I, w.value().data(), I, false, yp, O,
               has_bias ? bias.value().data() : static_cast<const T*>(nullptr));

    std::initializer_list<TensorT<T>> inputs = {x, w, bias};
    return make_op<T>(std::move(y), inputs, [x, w, bias = GradSlot(bias), R, I, O](const xt::xarray<T>& g) {
        // y = x W^T + b: dx += g W, dW += g^T x, db += sum of g over rows
        // a first gradient is written, not added to zeros (the same bits, one pass less)
        if (x.requires_grad()) {
            const auto [gx, add] = GradSlot<T>(x).grad_to_write();
            gemm::gemm(false, false, R, I, O, g.data(), O, w.value().data(), I, add, gx, I);
        }
        if (w.requires_grad()) {
            const auto [gw, add] = GradSlot<T>(w).grad_to_write();
            gemm::gemm(true, false, O, I, R, g.data(), O, x.value().data(), I, add, gw, I);
        }
        if (bias.defined() && bias.requires_grad()) {
            T* gb = bias.grad_buffer().data();
            for (std::size_t r = 0; r < R; ++r)
                for (std::size_t o = 0; o < O; ++o) gb[o] += g.data()[r * O + o];
        }
    });
}

XG_DEFINE_OPS(XG_MATMUL_OPS)

}  // namespace xg

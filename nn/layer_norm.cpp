#include "nn/layer_norm.hpp"

#include <vector>

#include "autograd/op.hpp"
#include "nn/layer_norm_rows.hpp"

namespace xg::nn {

namespace {

template <class T>
void check_norm_parameter(const TensorT<T>& p, std::size_t n, const char* what) {
    XG_CHECK(!p.defined() || p.shape() == Shape{n},
             "layer_norm: " << what << " of shape " << shape_str(p.shape()) << " for rows of " << n << " features");
}

// normalise_row over each of `rows` rows of n
template <class T>
void normalise_rows(const T* x, T* x_hat, T* rstd, std::size_t rows, std::size_t n, double eps) {
    for (std::size_t r = 0; r < rows; ++r) rstd[r] = detail::normalise_row(x + r * n, x_hat + r * n, n, eps);
}

// f(row[j], p[j]) for every row of n.
template <class T, class F>
void for_each_row(T* rows_data, const T* p, std::size_t rows, std::size_t n, F f) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < n; ++j) f(rows_data[r * n + j], p[j]);
}

}  // namespace

template <class T>
TensorT<T> layer_norm(const TensorT<T>& x, const TensorT<T>& weight, const TensorT<T>& bias, double eps) {
    XG_CHECK(x.defined() && x.dim() >= 1, "layer_norm: expected a tensor of at least one dim");
    XG_CHECK(eps >= 0, "layer_norm: eps " << eps << " is negative");
    const std::size_t n = x.shape().back(), rows = n ? x.numel() / n : 0;
    check_norm_parameter(weight, n, "weight");
    check_norm_parameter(bias, n, "bias");
    xt::xarray<T> x_hat = xt::xarray<T>::from_shape(x.value().shape());
    std::vector<T> rstd(rows);
    normalise_rows(x.value().data(), x_hat.data(), rstd.data(), rows, n, eps);
    // y = x_hat * w + b
    xt::xarray<T> y = x_hat;
    if (weight.defined()) for_each_row(y.data(), weight.value().data(), rows, n, [](T& v, T wj) { v *= wj; });
    if (bias.defined()) for_each_row(y.data(), bias.value().data(), rows, n, [](T& v, T bj) { v += bj; });
    return make_op<T>(std::move(y), {x, weight, bias},
                      [x = GradSlot(x), weight, bias = GradSlot(bias), x_hat = std::move(x_hat), rstd = std::move(rstd), n,
                       rows](const xt::xarray<T>& g) {
        // dw = sum over rows of g * x_hat, db = sum of g; with d = g * w per row,
        // dx = rstd * (d - mean(d) - x_hat * mean(d * x_hat))
        const T* w = weight.defined() ? weight.value().data() : nullptr;
        const T *gp = g.data(), *hp = x_hat.data();
        if (weight.defined() && weight.requires_grad()) {
            T* gw = weight.grad_buffer().data();
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t j = 0; j < n; ++j) gw[j] += gp[r * n + j] * hp[r * n + j];
        }
        if (bias.defined() && bias.requires_grad()) {
            T* gb = bias.grad_buffer().data();
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t j = 0; j < n; ++j) gb[j] += gp[r * n + j];
        }
        if (!x.requires_grad()) return;
        T* gx = x.grad_buffer().data();
        std::vector<T> d(n);
        for (std::size_t r = 0; r < rows; ++r)
            detail::normalise_row_backward(gp + r * n, w, hp + r * n, rstd[r], n, d.data(), gx + r * n, true);
    });
}

XG_DEFINE_OPS(XG_LAYER_NORM_FUNCTIONS)

}  // namespace xg::nn

#include "optim/clip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace xg::optim {

namespace {

// Reductions in 8 independent lanes: one running sum is a serial chain that the compiler
// may not reorder (no -ffast-math), 8 lanes vectorise. Sums in double: the squares of
// millions of floats lose digits in a float sum.
constexpr std::size_t lanes = 8;

template <class F>
double sum_of(const float* g, std::size_t n, F&& f) {
    double acc[lanes] = {};
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        for (std::size_t j = 0; j < lanes; ++j) acc[j] += f(double(g[i + j]));
    double s = 0;
    for (; i < n; ++i) s += f(double(g[i]));
    for (double a : acc) s += a;
    return s;
}

// max |g|, or nan if any g is nan (as torch's max does)
float max_abs(const float* g, std::size_t n) {
    float acc[lanes] = {}, nan[lanes] = {};
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        for (std::size_t j = 0; j < lanes; ++j) {
            const float a = std::abs(g[i + j]);
            acc[j] = a > acc[j] ? a : acc[j];
            nan[j] += a - a;  // 0, or nan once a was nan
        }
    float m = 0, poison = 0;
    for (; i < n; ++i) {
        const float a = std::abs(g[i]);
        m = a > m ? a : m;
        poison += a - a;
    }
    for (std::size_t j = 0; j < lanes; ++j) {
        m = acc[j] > m ? acc[j] : m;
        poison += nan[j];
    }
    return m + poison;
}

}  // namespace

float clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
    XG_CHECK(norm_type > 0, "clip_grad_norm: norm_type must be positive or inf, got " << norm_type);
    // total = (sum over all gradients of sum |g|^p)^(1/p), or max |g| for p = inf
    const bool is_inf = std::isinf(norm_type);
    double total = 0;
    for (const Tensor& t : params) {
        if (!t.defined() || !t.has_grad()) continue;
        const auto& grad = t.grad();
        const float* g = grad.data();
        const std::size_t n = grad.size();
        if (is_inf) {
            const double m = max_abs(g, n);
            total = std::isnan(m) || std::isnan(total) ? std::numeric_limits<double>::quiet_NaN() : std::max(total, m);
        } else if (norm_type == 2) {
            total += sum_of(g, n, [](double x) { return x * x; });
        } else if (norm_type == 1) {
            total += sum_of(g, n, [](double x) { return std::abs(x); });
        } else {
            total += sum_of(g, n, [norm_type](double x) { return std::pow(std::abs(x), norm_type); });
        }
    }
    if (!is_inf && norm_type != 1) total = norm_type == 2 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);

    const float total_f = static_cast<float>(total);
    XG_CHECK(!error_if_nonfinite || std::isfinite(total_f),
             "clip_grad_norm: the total norm of order " << norm_type << " for gradients from the parameters is "
                                                        << total_f << ", so it cannot be clipped");
    const float scale = static_cast<float>(max_norm) / (total_f + 1e-6f);
    if (scale < 1) {
        for (const Tensor& t : params) {
            if (!t.defined() || !t.has_grad()) continue;
            auto& grad = t.grad();
            float* g = grad.data();
            const std::size_t n = grad.size();
            for (std::size_t i = 0; i < n; ++i) g[i] *= scale;
        }
    }
    return total_f;
}

void clip_grad_value(const std::vector<Tensor>& params, double clip_value) {
    const float hi = static_cast<float>(clip_value), lo = -hi;
    for (const Tensor& t : params) {
        if (!t.defined() || !t.has_grad()) continue;
        auto& grad = t.grad();
        float* g = grad.data();
        const std::size_t n = grad.size();
        for (std::size_t i = 0; i < n; ++i) g[i] = std::min(std::max(g[i], lo), hi);
    }
}

}  // namespace xg::optim

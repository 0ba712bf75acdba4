#include "nn/init.hpp"

#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "autograd/factory.hpp"

namespace xg::nn::init {

namespace {

// (fan_in, fan_out) of a weight (out, in, k...), as torch's _calculate_fan_in_and_fan_out.
std::pair<double, double> fans(const char* op, const Shape& s) {
    XG_CHECK(s.size() >= 2, op << ": fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape "
                               << shape_str(s));
    double receptive = 1;
    for (std::size_t k = 2; k < s.size(); ++k) receptive *= double(s[k]);
    return {double(s[1]) * receptive, double(s[0]) * receptive};
}

double fan(const char* op, const Shape& s, FanMode mode) {
    const auto [in, out] = fans(op, s);
    return mode == FanMode::FanIn ? in : out;
}

// Q (m, n), m >= n, of the QR of a (m, n) row-major, with R's diagonal made positive (the
// unique such Q). Householder reflections in double: Q stays orthogonal to rounding even
// where a is ill-conditioned, which Gram-Schmidt does not promise.
std::vector<double> orthonormal_q(std::vector<double> a, std::size_t m, std::size_t n) {
    std::vector<std::vector<double>> vs(n);  // v_k, of length m - k: H_k = I - 2 v_k v_k^T
    std::vector<double> r_diag(n);
    for (std::size_t k = 0; k < n; ++k) {
        std::vector<double> v(m - k);
        double norm = 0;
        for (std::size_t i = k; i < m; ++i) norm += a[i * n + k] * a[i * n + k];
        norm = std::sqrt(norm);
        // reflect column k onto alpha e_k, alpha = -sign(a_kk) ||a_k:||, so v = x - alpha e_k does not cancel
        const double alpha = a[k * n + k] > 0 ? -norm : norm;
        r_diag[k] = alpha;
        for (std::size_t i = k; i < m; ++i) v[i - k] = a[i * n + k];
        v[0] -= alpha;
        double vn = 0;
        for (double e : v) vn += e * e;
        vn = std::sqrt(vn);
        if (vn > 0)
            for (double& e : v) e /= vn;
        // a[k:, k:] -= 2 v (v^T a[k:, k:])
        for (std::size_t c = k; c < n; ++c) {
            double dot = 0;
            for (std::size_t i = k; i < m; ++i) dot += v[i - k] * a[i * n + c];
            for (std::size_t i = k; i < m; ++i) a[i * n + c] -= 2 * dot * v[i - k];
        }
        vs[k] = std::move(v);
    }
    // Q = H_0 H_1 ... H_{n-1} I[:, :n], applied from the right end
    std::vector<double> q(m * n, 0.0);
    for (std::size_t k = 0; k < n; ++k) q[k * n + k] = 1;
    for (std::size_t k = n; k-- > 0;) {
        const auto& v = vs[k];
        for (std::size_t c = 0; c < n; ++c) {
            double dot = 0;
            for (std::size_t i = k; i < m; ++i) dot += v[i - k] * q[i * n + c];
            for (std::size_t i = k; i < m; ++i) q[i * n + c] -= 2 * dot * v[i - k];
        }
    }
    // Q diag(sign(R_kk)): torch's sign correction, which makes R's diagonal positive
    for (std::size_t c = 0; c < n; ++c)
        if (r_diag[c] < 0)
            for (std::size_t i = 0; i < m; ++i) q[i * n + c] = -q[i * n + c];
    return q;
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
    switch (nonlinearity) {
        case Nonlinearity::Tanh: return 5.0 / 3.0;
        case Nonlinearity::ReLU: return std::sqrt(2.0);
        case Nonlinearity::LeakyReLU: return std::sqrt(2.0 / (1.0 + param * param));
        case Nonlinearity::SELU: return 3.0 / 4.0;
        default: return 1.0;  // Linear, Conv*, ConvTranspose*, Sigmoid
    }
}

template <class T>
void uniform_(const TensorT<T>& t, double low, double high) {
    XG_CHECK(low <= high, "uniform_: low " << low << " is greater than high " << high);
    std::uniform_real_distribution<double> dist(low, high);
    for (auto& v : t.value()) v = static_cast<T>(dist(generator()));
}

template <class T>
void normal_(const TensorT<T>& t, double mean, double std) {
    XG_CHECK(std >= 0, "normal_: std " << std << " is negative");
    std::normal_distribution<double> dist(mean, std);
    for (auto& v : t.value()) v = static_cast<T>(dist(generator()));
}

template <class T>
void zeros_(const TensorT<T>& t) {
    t.value().fill(T(0));
}

template <class T>
void constant_(const TensorT<T>& t, double value) {
    t.value().fill(static_cast<T>(value));
}

template <class T>
void xavier_uniform_(const TensorT<T>& t, double gain) {
    const auto [in, out] = fans("xavier_uniform_", t.shape());
    const double a = gain * std::sqrt(6.0 / (in + out));
    uniform_(t, -a, a);
}

template <class T>
void xavier_normal_(const TensorT<T>& t, double gain) {
    const auto [in, out] = fans("xavier_normal_", t.shape());
    normal_(t, 0.0, gain * std::sqrt(2.0 / (in + out)));
}

template <class T>
void kaiming_uniform_(const TensorT<T>& t, double a, FanMode mode, Nonlinearity nonlinearity) {
    if (t.numel() == 0 && t.dim() > 0) return;  // torch: a no-op, before the fans are asked for
    const double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / fan("kaiming_uniform_", t.shape(), mode));
    uniform_(t, -bound, bound);
}

template <class T>
void kaiming_normal_(const TensorT<T>& t, double a, FanMode mode, Nonlinearity nonlinearity) {
    if (t.numel() == 0 && t.dim() > 0) return;
    normal_(t, 0.0, calculate_gain(nonlinearity, a) / std::sqrt(fan("kaiming_normal_", t.shape(), mode)));
}

template <class T>
void orthogonal_(const TensorT<T>& t, double gain) {
    XG_CHECK(t.dim() >= 2, "orthogonal_: only tensors with 2 or more dimensions are supported, got shape " << shape_str(t.shape()));
    if (t.numel() == 0) return;
    const std::size_t rows = t.shape()[0], cols = t.numel() / rows;
    // a (rows, cols) ~ N(0, 1), drawn in the order normal_ draws a tensor of t's shape
    std::vector<double> a(rows * cols);
    std::normal_distribution<double> dist(0.0, 1.0);
    for (double& e : a) e = dist(generator());
    T* out = t.value().data();
    if (rows >= cols) {
        const auto q = orthonormal_q(std::move(a), rows, cols);  // W = Q (rows, cols)
        for (std::size_t i = 0; i < rows * cols; ++i) out[i] = static_cast<T>(gain * q[i]);
    } else {
        std::vector<double> at(cols * rows);  // a^T (cols, rows) = QR, W = Q^T
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < cols; ++j) at[j * rows + i] = a[i * cols + j];
        const auto q = orthonormal_q(std::move(at), cols, rows);
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < cols; ++j) out[i * cols + j] = static_cast<T>(gain * q[j * rows + i]);
    }
}

XG_DEFINE_OPS(XG_INIT_FUNCTIONS)

}  // namespace xg::nn::init

#include "nn/init.hpp"

#include <cmath>
#include <random>

#include "autograd/factory.hpp"

namespace xg::nn::init {

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
    XG_CHECK(t.dim() == 2, "xavier_uniform_: expected a 2-D weight, got shape " << shape_str(t.shape()));
    const double a = gain * std::sqrt(6.0 / double(t.shape()[0] + t.shape()[1]));
    uniform_(t, -a, a);
}

#define XG_INIT(T)                                             \
    template void uniform_(const TensorT<T>&, double, double); \
    template void normal_(const TensorT<T>&, double, double);  \
    template void zeros_(const TensorT<T>&);                   \
    template void constant_(const TensorT<T>&, double);        \
    template void xavier_uniform_(const TensorT<T>&, double);
XG_INIT(float)
XG_INIT(double)

}  // namespace xg::nn::init

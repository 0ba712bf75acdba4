#include "autograd/factory.hpp"

#include <cmath>
#include <sstream>

#include "autograd/detail.hpp"
#include "core/sizes.hpp"

namespace xg {

std::mt19937_64& generator() {
    thread_local std::mt19937_64 gen(5489u);
    return gen;
}

void manual_seed(std::uint64_t seed) { generator().seed(seed); }

std::string generator_state() {
    std::ostringstream os;
    os << generator();
    return os.str();
}

void set_generator_state(const std::string& state) {
    std::istringstream is(state);
    std::mt19937_64 g;
    is >> g;
    XG_CHECK(!is.fail(), "set_generator_state: not a generator state (" << state.substr(0, 40) << "...)");
    generator() = g;
}

namespace {

// The shape, once its element count is known to fit ("zeros: too large: ..." otherwise).
template <class T>
const Shape& checked_shape(const ShapeArg& sizes, const char* op) {
    const Shape& shape = sizes;
    checked_numel(shape, sizeof(T), op);
    return shape;
}

}  // namespace

template <class T>
TensorT<T> zeros(const ShapeArg& sizes, bool requires_grad) {
    const Shape& shape = checked_shape<T>(sizes, "zeros");
    return TensorT<T>(xt::zeros<T>(shape), requires_grad);
}

template <class T>
TensorT<T> ones(const ShapeArg& sizes, bool requires_grad) {
    const Shape& shape = checked_shape<T>(sizes, "ones");
    return TensorT<T>(xt::ones<T>(shape), requires_grad);
}

template <class T>
TensorT<T> full(const ShapeArg& sizes, std::type_identity_t<T> value, bool requires_grad) {
    const Shape& shape = checked_shape<T>(sizes, "full");
    xt::xarray<T> v = xt::xarray<T>::from_shape(shape);
    v.fill(value);
    return TensorT<T>(std::move(v), requires_grad);
}

template <class T>
TensorT<T> arange(std::type_identity_t<T> end) {
    return arange<T>(T(0), end, T(1));
}

template <class T>
TensorT<T> arange(std::type_identity_t<T> start, std::type_identity_t<T> end, std::type_identity_t<T> step) {
    XG_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step),
             "arange: start, end and step must be finite, got " << start << ", " << end << " and " << step);
    XG_CHECK(step != T(0), "arange: step must be nonzero");
    // the count in double: a float range such as [-3e38, 3e38) would overflow to inf in T.
    // The sign is tested before rounding: ceil(-0.5) is -0.0, which passes count >= 0.
    const double steps = (double(end) - double(start)) / double(step), count = std::ceil(steps);
    XG_CHECK(steps >= 0, "arange: the range [" << start << ", " << end << ") is empty for step " << step
                                               << " of the wrong sign");
    XG_CHECK(count <= double(kMaxArrayBytes / sizeof(T)),
             "arange: too large: [" << start << ", " << end << ") by " << step << " has " << count << " elements");
    const auto n = static_cast<std::size_t>(count);
    xt::xarray<T> v = xt::xarray<T>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) v(i) = start + static_cast<T>(i) * step;
    return TensorT<T>(std::move(v));
}

template <class T>
TensorT<T> randn(const ShapeArg& sizes, bool requires_grad) {
    const Shape& shape = checked_shape<T>(sizes, "randn");
    xt::xarray<T> v = xt::xarray<T>::from_shape(shape);
    std::normal_distribution<T> dist(T(0), T(1));
    auto& gen = generator();
    for (auto& x : v) x = dist(gen);
    return TensorT<T>(std::move(v), requires_grad);
}

template <class T>
TensorT<T> uniform(const ShapeArg& sizes, std::type_identity_t<T> low, std::type_identity_t<T> high, bool requires_grad) {
    const Shape& shape = checked_shape<T>(sizes, "uniform");
    XG_CHECK(low <= high, "uniform: low " << low << " is greater than high " << high);
    xt::xarray<T> v = xt::xarray<T>::from_shape(shape);
    std::uniform_real_distribution<T> dist(low, high);
    auto& gen = generator();
    for (auto& x : v) x = dist(gen);
    return TensorT<T>(std::move(v), requires_grad);
}

template <class T>
TensorT<T> rand(const ShapeArg& sizes, bool requires_grad) {
    const Shape& shape = sizes;
    return uniform<T>(shape, T(0), T(1), requires_grad);
}

XG_DEFINE_OPS(XG_FACTORY_OPS)

}  // namespace xg

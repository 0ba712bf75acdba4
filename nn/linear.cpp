#include "nn/linear.hpp"

#include <cmath>
#include <sstream>

#include "autograd/factory.hpp"
#include "autograd/matmul.hpp"
#include "nn/init.hpp"

namespace xg::nn {

template <class T>
LinearT<T>::LinearT(const LinearOptions& o) : options_(o) {
    XG_CHECK(o.in_features() > 0 && o.out_features() > 0,
             "Linear: in_features and out_features must be positive, got " << o.in_features() << " and " << o.out_features());
    const auto in = static_cast<std::size_t>(o.in_features()), out = static_cast<std::size_t>(o.out_features());
    const double bound = 1.0 / std::sqrt(double(in));
    weight = this->register_parameter("weight", zeros<T>({out, in}));
    init::uniform_(weight, -bound, bound);
    if (o.bias()) {
        bias = this->register_parameter("bias", zeros<T>({out}));
        init::uniform_(bias, -bound, bound);
    }
}

template <class T>
TensorT<T> LinearT<T>::forward(const TensorT<T>& x) const {
    XG_CHECK(x.dim() >= 1 && x.shape().back() == static_cast<std::size_t>(options_.in_features()),
             "Linear: expected input with last dimension " << options_.in_features() << ", got shape " << shape_str(x.shape()));
    return linear(x, weight, bias);
}

template <class T>
std::string LinearT<T>::extra_repr() const {
    std::ostringstream os;
    os << "in_features=" << options_.in_features() << ", out_features=" << options_.out_features()
       << ", bias=" << (options_.bias() ? "True" : "False");
    return os.str();
}

XG_DEFINE_CLASS(LinearT)

}  // namespace xg::nn

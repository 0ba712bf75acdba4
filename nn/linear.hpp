/// \file
/// Linear: y = x W^T + b, as torch.nn.Linear.
#pragma once

#include <cstdint>

#include "nn/module.hpp"
#include "core/options.hpp"

namespace xg::nn {

struct LinearOptions {
    LinearOptions(std::int64_t in_features, std::int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
    XG_ARG(std::int64_t, in_features);
    XG_ARG(std::int64_t, out_features);
    XG_ARG(bool, bias) = true;
};

/// weight (out, in) and bias (out) start U(-1/sqrt(in), 1/sqrt(in)), as PyTorch's.
/// Input (..., in) -> output (..., out).
template <class T>
class LinearT : public ModuleT<T> {
public:
    explicit LinearT(const LinearOptions& options);
    TensorT<T> forward(const TensorT<T>& x) const;
    TensorT<T> operator()(const TensorT<T>& x) const { return forward(x); }

    const LinearOptions& options() const { return options_; }
    std::string type_name() const override { return "Linear"; }
    std::string extra_repr() const override;

    TensorT<T> weight, bias;  ///< bias is empty when options.bias(false)

private:
    LinearOptions options_;
};

using Linear = LinearT<float>;

}  // namespace xg::nn

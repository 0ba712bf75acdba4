/// \file
/// Linear: y = x W^T + b, as torch.nn.Linear.
#pragma once

#include <cstdint>

#include "nn/module.hpp"
#include "core/options.hpp"

namespace xg::nn {

/// in_features, out_features and bias as torch.nn.Linear's arguments.
struct LinearOptions {
    /// The two sizes, both of which must be positive; bias defaults to true.
    LinearOptions(std::int64_t in_features, std::int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
    XG_ARG(std::int64_t, in_features);   ///< size of each input's last dim
    XG_ARG(std::int64_t, out_features);  ///< size of each output's last dim
    XG_ARG(bool, bias) = true;           ///< add a bias, as torch.nn.Linear's bias
};

/// weight (out, in) and bias (out) start U(-1/sqrt(in), 1/sqrt(in)), as PyTorch's.
/// Input (..., in) -> output (..., out).
template <class T>
class LinearT : public ModuleT<T> {
public:
    /// Registers weight (and bias) and initialises them; a size that is not positive throws xg::Error.
    explicit LinearT(const LinearOptions& options);
    /// x W^T + b; x's last dim must be in_features, else xg::Error.
    TensorT<T> forward(const TensorT<T>& x) const;
    /// As forward(): linear(x).
    TensorT<T> operator()(const TensorT<T>& x) const { return forward(x); }

    /// The options it was made with.
    const LinearOptions& options() const { return options_; }
    std::string type_name() const override { return "Linear"; }
    std::string extra_repr() const override;

    /// weight (out, in), as torch.nn.Linear.weight.
    TensorT<T> weight, bias;  ///< bias (out); empty when options.bias(false)

private:
    LinearOptions options_;
};

using Linear = LinearT<float>;  ///< LinearT in float: the type most programs use.

XG_EXTERN_CLASS(LinearT)

}  // namespace xg::nn

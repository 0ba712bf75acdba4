/// \file
/// Sequential: tensor-to-tensor modules applied in order, children named "0", "1", ...
///   auto mlp = xg::nn::Sequential(std::make_shared<xg::nn::Linear>(xg::nn::LinearOptions(4, 8)),
///                                 std::make_shared<xg::nn::ReLU>(),
///                                 std::make_shared<xg::nn::Linear>(xg::nn::LinearOptions(8, 2)));
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/activation.hpp"
#include "nn/linear.hpp"

namespace xg::nn {

/// Modules applied one after another, each fed the previous one's output, as torch.nn.Sequential.
template <class T>
class SequentialT : public UnaryModuleT<T> {
public:
    /// An empty sequence, whose forward returns its input; add steps with push_back().
    SequentialT() = default;
    /// The given modules in order, as push_back() of each.
    template <class... M>
    explicit SequentialT(std::shared_ptr<M>... modules) {
        (push_back(std::move(modules)), ...);
    }

    /// Appends m, any module with forward(Tensor), as a child named by its position ("0", "1",
    /// ...), as torch.nn.Sequential.append.
    template <class M>
    void push_back(std::shared_ptr<M> m) {
        const std::string name = std::to_string(steps_.size());
        this->register_module(name, m);
        steps_.push_back([m](const TensorT<T>& x) { return m->forward(x); });  ///< any module with forward(Tensor)
    }

    /// x through every step in order; x itself when there are none.
    TensorT<T> forward(const TensorT<T>& x) override {
        TensorT<T> h = x;
        for (auto& step : steps_) h = step(h);
        return h;
    }
    /// How many modules it holds, as len() of a torch.nn.Sequential.
    std::size_t size() const { return steps_.size(); }
    std::string type_name() const override { return "Sequential"; }

private:
    std::vector<std::function<TensorT<T>(const TensorT<T>&)>> steps_;
};

using Sequential = SequentialT<float>;  ///< SequentialT in float: the type most programs use.

}  // namespace xg::nn

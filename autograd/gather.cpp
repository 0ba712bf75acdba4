#include "autograd/gather.hpp"

#include <algorithm>

#include "autograd/detail.hpp"
#include "core/sizes.hpp"

namespace xg {

template <class T>
TensorT<T> embedding(const TensorT<T>& weight, const IndexArray& ids, long padding_idx) {
    const Shape ws = weight.shape();
    XG_CHECK(ws.size() == 2, "embedding: weight must be 2-D (num_embeddings, embedding_dim), got " << shape_str(ws));
    const std::size_t V = ws[0], E = ws[1], N = ids.size();
    for (std::size_t k = 0; k < N; ++k) {
        const auto i = ids.data()[k];
        XG_CHECK(i >= 0 && static_cast<std::size_t>(i) < V,
                 "embedding: index " << i << " is out of range for " << V << " embeddings (at position " << k << ")");
    }
    // ids (S...) -> y (S..., E): row copies, not a one-hot matmul
    Shape ys(ids.shape().begin(), ids.shape().end());
    ys.push_back(E);
    xt::xarray<T> y = xt::xarray<T>::from_shape(ys);
    const T* w = weight.value().data();
    for (std::size_t k = 0; k < N; ++k) std::copy_n(w + static_cast<std::size_t>(ids.data()[k]) * E, E, y.data() + k * E);
    return make_op<T>(std::move(y), {weight}, [weight = GradSlot(weight), ids, padding_idx, E](const xt::xarray<T>& g) {
        // scatter-add each position's gradient into the row it read; padding rows get none
        T* gw = weight.grad_buffer().data();
        for (std::size_t k = 0; k < ids.size(); ++k) {
            const auto i = ids.data()[k];
            if (i == padding_idx) continue;
            T* row = gw + static_cast<std::size_t>(i) * E;
            const T* gk = g.data() + k * E;
            for (std::size_t e = 0; e < E; ++e) row[e] += gk[e];
        }
    });
}

template <class T>
TensorT<T> one_hot(const IndexArray& ids, std::size_t num_classes) {
    Shape ys(ids.shape().begin(), ids.shape().end());
    ys.push_back(num_classes);
    checked_numel(ys, sizeof(T), "one_hot");
    xt::xarray<T> y = xt::zeros<T>(ys);
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const auto i = ids.data()[k];
        XG_CHECK(i >= 0 && static_cast<std::size_t>(i) < num_classes,
                 "one_hot: class " << i << " is out of range for " << num_classes << " classes (at position " << k << ")");
        y.data()[k * num_classes + static_cast<std::size_t>(i)] = T(1);
    }
    return TensorT<T>(std::move(y));
}

XG_DEFINE_OPS(XG_GATHER_OPS)

}  // namespace xg

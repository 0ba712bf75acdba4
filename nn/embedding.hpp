/// \file
/// Embedding: a lookup table of vectors, as torch.nn.Embedding. The lookup is a row
/// gather (not a one-hot matmul); its backward scatters into the rows used.
#pragma once

#include <cstdint>
#include <optional>

#include "nn/module.hpp"
#include "core/options.hpp"

namespace xg::nn {

struct EmbeddingOptions {
    EmbeddingOptions(std::int64_t num_embeddings, std::int64_t embedding_dim)
        : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
    XG_ARG(std::int64_t, num_embeddings);
    XG_ARG(std::int64_t, embedding_dim);
    /// the row of this id starts at zero and never receives a gradient (negative counts from the end)
    XG_ARG(std::optional<std::int64_t>, padding_idx) = std::nullopt;
};

template <class T>
class EmbeddingT : public ModuleT<T> {
public:
    /// weight (num_embeddings, embedding_dim) starts N(0, 1), the padding row zero.
    explicit EmbeddingT(const EmbeddingOptions& options);
    /// A table initialised from `weights` (V, E); freeze keeps it out of training.
    static std::shared_ptr<EmbeddingT> from_pretrained(const xt::xarray<T>& weights, bool freeze = true,
                                                       std::optional<std::int64_t> padding_idx = std::nullopt);

    /// ids (...) -> (..., embedding_dim)
    TensorT<T> forward(const IndexArray& ids) const;
    TensorT<T> operator()(const IndexArray& ids) const { return forward(ids); }

    const EmbeddingOptions& options() const { return options_; }
    std::string type_name() const override { return "Embedding"; }
    std::string extra_repr() const override;

    TensorT<T> weight;

private:
    EmbeddingOptions options_;
    long padding_ = -1;  ///< normalised padding_idx, -1 for none
};

using Embedding = EmbeddingT<float>;

}  // namespace xg::nn

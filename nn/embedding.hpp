/// \file
/// Embedding: a lookup table of vectors, as torch.nn.Embedding. The lookup is a row
/// gather (not a one-hot matmul); its backward scatters into the rows used.
#pragma once

#include <cstdint>
#include <optional>

#include "nn/module.hpp"
#include "core/options.hpp"

namespace xg::nn {

/// Settings of Embedding, as torch.nn.Embedding's constructor arguments.
struct EmbeddingOptions {
    /// The two required settings, positional as in torch.nn.Embedding(num_embeddings, embedding_dim).
    EmbeddingOptions(std::int64_t num_embeddings, std::int64_t embedding_dim)
        : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
    XG_ARG(std::int64_t, num_embeddings);  ///< V: rows of the table, ids in [0, V)
    XG_ARG(std::int64_t, embedding_dim);   ///< E: length of each vector
    /// the row of this id starts at zero and never receives a gradient (negative counts from the end)
    XG_ARG(std::optional<std::int64_t>, padding_idx) = std::nullopt;
};

/// A learnt table of num_embeddings vectors, looked up by id, as torch.nn.Embedding.
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
    /// module(ids) is module.forward(ids), as in PyTorch.
    TensorT<T> operator()(const IndexArray& ids) const { return forward(ids); }

    /// The settings this table was built with.
    const EmbeddingOptions& options() const { return options_; }
    std::string type_name() const override { return "Embedding"; }
    std::string extra_repr() const override;

    TensorT<T> weight;  ///< the table (num_embeddings, embedding_dim), parameter "weight"

private:
    EmbeddingOptions options_;
    long padding_ = -1;  ///< normalised padding_idx, -1 for none
};

using Embedding = EmbeddingT<float>;  ///< EmbeddingT in float: the type most programs use.

XG_EXTERN_CLASS(EmbeddingT)

}  // namespace xg::nn

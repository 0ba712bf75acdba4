#include "nn/embedding.hpp"

#include <sstream>

#include "autograd/factory.hpp"
#include "autograd/gather.hpp"
#include "nn/init.hpp"

namespace xg::nn {

template <class T>
EmbeddingT<T>::EmbeddingT(const EmbeddingOptions& o) : options_(o) {
    const auto V = o.num_embeddings(), E = o.embedding_dim();
    XG_CHECK(V > 0 && E > 0, "Embedding: num_embeddings and embedding_dim must be positive, got " << V << " and " << E);
    if (o.padding_idx()) {
        const auto p = *o.padding_idx();
        XG_CHECK(p >= -V && p < V, "Embedding: padding_idx " << p << " must be within num_embeddings " << V);
        padding_ = static_cast<long>(p < 0 ? p + V : p);
    }
    weight = this->register_parameter("weight", zeros<T>({std::size_t(V), std::size_t(E)}));
    init::normal_(weight);
    if (padding_ >= 0)
        std::fill_n(weight.value().data() + padding_ * E, E, T(0));
}

template <class T>
std::shared_ptr<EmbeddingT<T>> EmbeddingT<T>::from_pretrained(const xt::xarray<T>& weights, bool freeze,
                                                              std::optional<std::int64_t> padding_idx) {
    XG_CHECK(weights.dimension() == 2, "Embedding::from_pretrained: weights must be 2-D, got " << shape_str(weights.shape()));
    auto e = std::make_shared<EmbeddingT>(
        EmbeddingOptions(std::int64_t(weights.shape()[0]), std::int64_t(weights.shape()[1])).padding_idx(padding_idx));
    e->weight.value() = weights;  // as PyTorch: the given rows, padding row included
    e->weight.requires_grad_(!freeze);
    return e;
}

template <class T>
TensorT<T> EmbeddingT<T>::forward(const IndexArray& ids) const {
    return embedding(weight, ids, padding_);
}

template <class T>
std::string EmbeddingT<T>::extra_repr() const {
    std::ostringstream os;
    os << options_.num_embeddings() << ", " << options_.embedding_dim();
    if (options_.padding_idx()) os << ", padding_idx=" << *options_.padding_idx();
    return os.str();
}

XG_DEFINE_CLASS(EmbeddingT)

}  // namespace xg::nn

#include "nn/rnn.hpp"
#include "nn/rnn_kernels.hpp"

#include <cmath>
#include <sstream>

#include "autograd/factory.hpp"
#include "autograd/pointwise.hpp"
#include "autograd/shape_ops.hpp"
#include "core/sizes.hpp"
#include "nn/init.hpp"

namespace xg::nn {

using detail::RNNMode;

namespace {

const char* mode_name(RNNMode m) {
    switch (m) {
        case RNNMode::LSTM: return "LSTM";
        case RNNMode::GRU: return "GRU";
        default: return "RNN";
    }
}

}  // namespace

template <class T>
RNNBaseT<T>::RNNBaseT(const Config& c) : config_(c) {
    const char* name = mode_name(c.mode);
    XG_CHECK(c.input_size > 0 && c.hidden_size > 0,
             name << ": input_size and hidden_size must be positive, got " << c.input_size << " and " << c.hidden_size);
    XG_CHECK(c.num_layers >= 1, name << ": num_layers must be at least 1, got " << c.num_layers);
    XG_CHECK(c.dropout >= 0.0 && c.dropout <= 1.0, name << ": dropout should be a number in range [0, 1], got " << c.dropout);
    XG_CHECK(c.proj_size >= 0, name << ": proj_size should be a positive integer or zero to disable projections");
    XG_CHECK(c.proj_size < c.hidden_size, name << ": proj_size " << c.proj_size << " has to be smaller than hidden_size "
                                               << c.hidden_size);
    const std::size_t H = std::size_t(c.hidden_size), P = std::size_t(c.proj_size);
    const std::size_t Hout = P > 0 ? P : H, D = c.bidirectional ? 2 : 1;
    const std::size_t GH = checked_mul(detail::gate_count(c.mode), H, std::string(name) + ": hidden_size");
    const std::size_t stacked_in = checked_mul(D, Hout, std::string(name) + ": hidden_size");
    for (std::int64_t l = 0; l < c.num_layers; ++l) {
        const std::size_t in = l == 0 ? std::size_t(c.input_size) : stacked_in;
        std::vector<detail::DirectionWeights<T>> dirs;
        for (std::size_t d = 0; d < D; ++d) {
            // PyTorch's names and order: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr per layer and direction
            const std::string sfx = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
            detail::DirectionWeights<T> w;
            w.w_ih = this->register_parameter("weight_ih" + sfx, zeros<T>({GH, in}));
            w.w_hh = this->register_parameter("weight_hh" + sfx, zeros<T>({GH, Hout}));
            if (c.bias) {
                w.b_ih = this->register_parameter("bias_ih" + sfx, zeros<T>({GH}));
                w.b_hh = this->register_parameter("bias_hh" + sfx, zeros<T>({GH}));
            }
            if (P > 0) w.w_hr = this->register_parameter("weight_hr" + sfx, zeros<T>({P, H}));
            dirs.push_back(w);
        }
        layers_.push_back(dirs);
    }
    reset_parameters();
}

template <class T>
void RNNBaseT<T>::reset_parameters() {
    const double stdv = 1.0 / std::sqrt(double(config_.hidden_size));
    for (auto& p : this->parameters(false)) init::uniform_(p, -stdv, stdv);
}

template <class T>
std::string RNNBaseT<T>::extra_repr() const {
    const Config& c = config_;
    std::ostringstream os;
    os << c.input_size << ", " << c.hidden_size;
    if (c.proj_size != 0) os << ", proj_size=" << c.proj_size;
    if (c.num_layers != 1) os << ", num_layers=" << c.num_layers;
    if (c.mode == RNNMode::RNN_RELU) os << ", nonlinearity='relu'";
    if (!c.bias) os << ", bias=False";
    if (c.batch_first) os << ", batch_first=True";
    if (c.dropout != 0) os << ", dropout=" << c.dropout;
    if (c.bidirectional) os << ", bidirectional=True";
    return os.str();
}

template <class T>
RecurrentResultT<T> RNNBaseT<T>::forward(const TensorT<T>& x_in, const RecurrentStateT<T>& state, const Lengths& lengths) {
    const Config& c = config_;
    const char* name = mode_name(c.mode);
    const bool lstm = c.mode == RNNMode::LSTM;
    if (lstm) XG_CHECK(state.h.defined() == state.c.defined(), "LSTM: pass both h0 and c0, or neither");
    else XG_CHECK(!state.c.defined(), name << ": has no cell state; pass state.c empty (only an LSTM takes c0)");
    const TensorT<T>& h0_in = state.h;
    const TensorT<T>& c0_in = state.c;
    const std::size_t D = c.bidirectional ? 2 : 1, L = std::size_t(c.num_layers), H = std::size_t(c.hidden_size);
    const std::size_t Hout = c.proj_size > 0 ? std::size_t(c.proj_size) : H;

    XG_CHECK(x_in.defined() && (x_in.dim() == 3 || x_in.dim() == 2),
             name << ": input must have 3 dimensions (" << (c.batch_first ? "batch, seq_len" : "seq_len, batch")
                  << ", input_size), or 2 for one unbatched sequence, got shape "
                  << (x_in.defined() ? shape_str(x_in.shape()) : "(empty)"));
    XG_CHECK(x_in.shape().back() == std::size_t(c.input_size),
             name << ": input.size(-1) must be equal to input_size. Expected " << c.input_size << ", got "
                  << x_in.shape().back() << " (input shape " << shape_str(x_in.shape()) << ")");
    // an unbatched (S, I) sequence runs as a batch of one
    const bool batched = x_in.dim() == 3;
    const long batch_dim = c.batch_first ? 0 : 1;
    TensorT<T> x = batched ? x_in : unsqueeze(x_in, batch_dim);
    const std::size_t S = x.shape()[c.batch_first ? 1 : 0], B = x.shape()[c.batch_first ? 0 : 1];
    XG_CHECK(S > 0, name << ": the input has no time steps (shape " << shape_str(x_in.shape()) << ")");

    auto check_state = [&](const TensorT<T>& s, std::size_t width, const char* what) -> TensorT<T> {
        if (!s.defined()) return s;
        const Shape want = batched ? Shape{D * L, B, width} : Shape{D * L, width};
        XG_CHECK(s.shape() == want, name << ": expected " << what << " of shape " << shape_str(want) << ", got "
                                         << shape_str(s.shape()));
        return batched ? s : unsqueeze(s, 1);
    };
    TensorT<T> h0 = check_state(h0_in, Hout, "hidden state h0");
    TensorT<T> c0 = lstm ? check_state(c0_in, H, "cell state c0") : TensorT<T>();
    XG_CHECK(lengths.empty() || lengths.size() == B,
             name << ": " << lengths.size() << " lengths given for a batch of " << B << " sequences");
    for (std::size_t b = 0; b < lengths.size(); ++b)
        XG_CHECK(lengths[b] >= 1 && lengths[b] <= S, name << ": length " << lengths[b] << " of sequence " << b
                                                          << " is outside [1, " << S << "] (the input has " << S
                                                          << " steps)");

    TensorT<T> layer_in = x;
    std::vector<TensorT<T>> hs, cs;
    for (std::size_t l = 0; l < L; ++l) {
        TensorT<T> h0_l = h0.defined() ? (L == 1 ? h0 : narrow(h0, 0, long(l * D), long(D))) : TensorT<T>();
        TensorT<T> c0_l = c0.defined() ? (L == 1 ? c0 : narrow(c0, 0, long(l * D), long(D))) : TensorT<T>();
        auto r = detail::rnn_layer(c.mode, layer_in, layers_[l], h0_l, c0_l, lengths, c.batch_first);
        hs.push_back(r.h_n);
        if (lstm) cs.push_back(r.c_n);
        layer_in = r.y;
        if (l + 1 < L && c.dropout > 0 && this->is_training()) layer_in = dropout(layer_in, c.dropout, true);
    }
    TensorT<T> out = layer_in;
    TensorT<T> h_n = L == 1 ? hs[0] : cat(hs, 0);
    TensorT<T> c_n = lstm ? (L == 1 ? cs[0] : cat(cs, 0)) : TensorT<T>();
    if (!batched) {
        out = squeeze(out, batch_dim);
        h_n = squeeze(h_n, 1);
        if (lstm) c_n = squeeze(c_n, 1);
    }
    return {out, {h_n, c_n}};
}

// ---- RNN, GRU, LSTM ----------------------------------------------------------------

template <class T>
RNNT<T>::RNNT(const RNNOptions& o)
    : RNNBaseT<T>({o.nonlinearity() == "relu" ? RNNMode::RNN_RELU : RNNMode::RNN_TANH, o.input_size(), o.hidden_size(),
                   o.num_layers(), 0, o.bias(), o.batch_first(), o.bidirectional(), o.dropout()}) {
    XG_CHECK(o.nonlinearity() == "tanh" || o.nonlinearity() == "relu",
             "RNN: unknown nonlinearity '" << o.nonlinearity() << "', expected 'tanh' or 'relu'");
}

template <class T>
RNNResultT<T> RNNT<T>::forward(const TensorT<T>& x, const TensorT<T>& h0, const Lengths& lengths) {
    auto r = RNNBaseT<T>::forward(x, {h0, {}}, lengths);
    return {r.output, r.state.h};
}

template <class T>
RNNOptions RNNT<T>::options() const {
    const auto& c = this->config();
    return RNNOptions(c.input_size, c.hidden_size)
        .num_layers(c.num_layers)
        .nonlinearity(c.mode == RNNMode::RNN_RELU ? "relu" : "tanh")
        .bias(c.bias)
        .batch_first(c.batch_first)
        .dropout(c.dropout)
        .bidirectional(c.bidirectional);
}

template <class T>
GRUT<T>::GRUT(const GRUOptions& o)
    : RNNBaseT<T>({RNNMode::GRU, o.input_size(), o.hidden_size(), o.num_layers(), 0, o.bias(), o.batch_first(),
                   o.bidirectional(), o.dropout()}) {}

template <class T>
RNNResultT<T> GRUT<T>::forward(const TensorT<T>& x, const TensorT<T>& h0, const Lengths& lengths) {
    auto r = RNNBaseT<T>::forward(x, {h0, {}}, lengths);
    return {r.output, r.state.h};
}

template <class T>
GRUOptions GRUT<T>::options() const {
    const auto& c = this->config();
    return GRUOptions(c.input_size, c.hidden_size)
        .num_layers(c.num_layers)
        .bias(c.bias)
        .batch_first(c.batch_first)
        .dropout(c.dropout)
        .bidirectional(c.bidirectional);
}

template <class T>
LSTMT<T>::LSTMT(const LSTMOptions& o)
    : RNNBaseT<T>({RNNMode::LSTM, o.input_size(), o.hidden_size(), o.num_layers(), o.proj_size(), o.bias(),
                   o.batch_first(), o.bidirectional(), o.dropout()}) {}

template <class T>
LSTMOptions LSTMT<T>::options() const {
    const auto& c = this->config();
    return LSTMOptions(c.input_size, c.hidden_size)
        .num_layers(c.num_layers)
        .bias(c.bias)
        .batch_first(c.batch_first)
        .dropout(c.dropout)
        .bidirectional(c.bidirectional)
        .proj_size(c.proj_size);
}

XG_DEFINE_CLASS(RNNBaseT) XG_DEFINE_CLASS(RNNT) XG_DEFINE_CLASS(GRUT) XG_DEFINE_CLASS(LSTMT)

}  // namespace xg::nn

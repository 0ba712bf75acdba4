#include "nn/lstm_variants.hpp"

#include <cmath>
#include <sstream>

#include "autograd/arithmetic.hpp"
#include "core/sizes.hpp"
#include "autograd/factory.hpp"
#include "autograd/matmul.hpp"
#include "autograd/pointwise.hpp"
#include "autograd/shape_ops.hpp"
#include "nn/cell_policies/layer_norm_lstm.hpp"
#include "nn/cell_policies/peephole_lstm.hpp"
#include "nn/init.hpp"
#include "nn/rnn_kernels.hpp"

namespace xg::nn {

namespace {

// gate k of a (B, G*H) block of stacked gates
template <class T>
TensorT<T> gate(const TensorT<T>& a, long k, long H) {
    return narrow(a, 1, k * H, H);
}

// The given state, or zeros of (B, H) where it is empty (the first step).
template <class T>
RecurrentStateT<T> state_or_zeros(const RecurrentStateT<T>& s, std::size_t B, std::size_t H) {
    return {s.h.defined() ? s.h : zeros<T>({B, H}), s.c.defined() ? s.c : zeros<T>({B, H})};
}

// The names of a policy's own parameters, in its order.
template <class Policy>
std::vector<std::string> own_names() {
    std::vector<std::string> out;
    for (const auto& p : Policy::parameters(1)) out.push_back(p.name);
    return out;
}

}  // namespace

// A policy's own parameters, named with `suffix`: names, lengths and initial values from the
// policy (nn/cell_policies/), so that the cell, the layer and the kernel agree.
template <class Policy, class T>
std::vector<std::pair<std::string, TensorT<T>>> own_parameters(std::size_t H, const std::string& suffix) {
    std::vector<std::pair<std::string, TensorT<T>>> out;
    for (const auto& p : Policy::parameters(H)) out.emplace_back(p.name + suffix, full<T>({p.length}, T(p.initial)));
    return out;
}

template <class T>
RecurrentStateT<T> layer_norm_lstm_cell(const TensorT<T>& x, const RecurrentStateT<T>& state, const LayerNormLSTMWeights<T>& w) {
    const long H = long(w.w_hh.size(1));
    TensorT<T> a = layer_norm(linear(x, w.w_ih), w.ln_ih_weight, w.ln_ih_bias) +
                   layer_norm(linear(state.h, w.w_hh), w.ln_hh_weight, w.ln_hh_bias);
    if (w.b_ih.defined()) a = a + w.b_ih;
    if (w.b_hh.defined()) a = a + w.b_hh;
    TensorT<T> i = sigmoid(gate(a, 0, H)), f = sigmoid(gate(a, 1, H)), g = tanh(gate(a, 2, H)), o = sigmoid(gate(a, 3, H));
    TensorT<T> c2 = f * state.c + i * g;
    return {o * tanh(layer_norm(c2, w.ln_c_weight, w.ln_c_bias)), c2};
}

template <class T>
RecurrentStateT<T> peephole_lstm_cell(const TensorT<T>& x, const RecurrentStateT<T>& state, const PeepholeLSTMWeights<T>& w) {
    const long H = long(w.w_hh.size(1));
    XG_CHECK(w.w_ch.defined() && w.w_ch.shape() == Shape{std::size_t(3 * H)},
             "peephole_lstm_cell: weight_ch must have shape (" << 3 * H << ")");
    TensorT<T> a = linear(x, w.w_ih, w.b_ih) + linear(state.h, w.w_hh, w.b_hh);
    const TensorT<T>& c = state.c;
    TensorT<T> i = sigmoid(gate(a, 0, H) + narrow(w.w_ch, 0, 0, H) * c);
    TensorT<T> f = sigmoid(gate(a, 1, H) + narrow(w.w_ch, 0, H, H) * c);
    TensorT<T> g = tanh(gate(a, 2, H));
    TensorT<T> c2 = f * c + i * g;
    TensorT<T> o = sigmoid(gate(a, 3, H) + narrow(w.w_ch, 0, 2 * H, H) * c2);  // o peeks at the new c
    return {o * tanh(c2), c2};
}

// ---- cells ------------------------------------------------------------------------------

template <class T>
LayerNormLSTMCellT<T>::LayerNormLSTMCellT(const LSTMCellOptions& o)
    : CellBaseT<T>("LayerNormLSTMCell", o.input_size(), o.hidden_size(), o.bias(), 4) {
    for (auto& [name, p] : own_parameters<cell_policies::LayerNormLSTM, T>(std::size_t(o.hidden_size()), "")) this->register_parameter(name, p);
    for (auto [field, name] : {std::pair{&ln_ih_weight, "ln_ih_weight"}, {&ln_ih_bias, "ln_ih_bias"}, {&ln_hh_weight, "ln_hh_weight"},
                               {&ln_hh_bias, "ln_hh_bias"}, {&ln_c_weight, "ln_c_weight"}, {&ln_c_bias, "ln_c_bias"}})
        *field = this->parameter(name);
}

template <class T>
RecurrentStateT<T> LayerNormLSTMCellT<T>::forward(const TensorT<T>& x, const RecurrentStateT<T>& state) {
    return this->forward_with_cell_state(x, state, [this](const TensorT<T>& xb, const RecurrentStateT<T>& s) {
        return layer_norm_lstm_cell(xb, s,
                                    {this->weight_ih, this->weight_hh, this->bias_ih, this->bias_hh, ln_ih_weight, ln_ih_bias,
                                     ln_hh_weight, ln_hh_bias, ln_c_weight, ln_c_bias});
    });
}

template <class T>
PeepholeLSTMCellT<T>::PeepholeLSTMCellT(const LSTMCellOptions& o)
    : CellBaseT<T>("PeepholeLSTMCell", o.input_size(), o.hidden_size(), o.bias(), 4) {
    for (auto& [name, p] : own_parameters<cell_policies::PeepholeLSTM, T>(std::size_t(o.hidden_size()), "")) this->register_parameter(name, p);
    weight_ch = this->parameter("weight_ch");
}

template <class T>
RecurrentStateT<T> PeepholeLSTMCellT<T>::forward(const TensorT<T>& x, const RecurrentStateT<T>& state) {
    return this->forward_with_cell_state(x, state, [this](const TensorT<T>& xb, const RecurrentStateT<T>& s) {
        return peephole_lstm_cell(xb, s, {this->weight_ih, this->weight_hh, this->bias_ih, this->bias_hh, weight_ch});
    });
}

// ---- layers -----------------------------------------------------------------------------

template <class T>
LSTMVariantBaseT<T>::LSTMVariantBaseT(const char* name, const LSTMVariantOptions& o, detail::RNNMode fused,
                                      std::vector<std::string> own)
    : LSTMVariantBaseT(name, o) {
    fused_ = fused;
    own_ = std::move(own);
}

template <class T>
LSTMVariantBaseT<T>::LSTMVariantBaseT(const char* name, const LSTMVariantOptions& o) : name_(name), options_(o) {
    XG_CHECK(o.input_size() > 0 && o.hidden_size() > 0 && o.num_layers() > 0,
             name << ": input_size, hidden_size and num_layers must be positive, got " << o.input_size() << ", "
                  << o.hidden_size() << " and " << o.num_layers());
    const std::initializer_list<std::pair<double, const char*>> probabilities = {
        {o.dropout(), "dropout"},         {o.weight_drop(), "weight_drop"},     {o.zoneout_h(), "zoneout_h"},
        {o.zoneout_c(), "zoneout_c"},     {o.input_dropout(), "input_dropout"}, {o.output_dropout(), "output_dropout"}};
    for (auto [p, what] : probabilities)
        XG_CHECK(p >= 0 && p <= 1, name << ": " << what << " should be a number in range [0, 1], got " << p);
    // the four gates' rows (and, bidirectional, the next layer's input) must not wrap around
    const std::size_t D = o.bidirectional() ? 2 : 1;
    checked_mul(4, std::size_t(o.hidden_size()), std::string(name) + ": hidden_size");
    checked_mul(D, std::size_t(o.hidden_size()), std::string(name) + ": hidden_size");
}

template <class T>
TensorT<T> LSTMVariantBaseT<T>::recurrent_weight(const std::string& name) const {
    const TensorT<T> w = this->parameter(name);
    if (options_.weight_drop() == 0 || !this->is_training()) return w;
    return dropout(w, options_.weight_drop(), true);  // scaled by 1 / (1 - p), as AWD-LSTM's
}

template <class T>
std::string LSTMVariantBaseT<T>::suffix(std::size_t l, std::size_t d) {
    return "_l" + std::to_string(l) + (d ? "_reverse" : "");
}

template <class T>
void LSTMVariantBaseT<T>::register_directions(const std::function<void(const std::string& suffix)>& register_own) {
    const std::size_t D = options_.bidirectional() ? 2 : 1, H = std::size_t(options_.hidden_size());
    const double stdv = 1.0 / std::sqrt(double(H));
    for (std::size_t l = 0; l < std::size_t(options_.num_layers()); ++l)
        for (std::size_t d = 0; d < D; ++d) {
            const std::string s = suffix(l, d);
            const std::size_t in = l == 0 ? std::size_t(options_.input_size()) : D * H;
            std::vector<std::pair<std::string, Shape>> lstm = {{"weight_ih", {4 * H, in}}, {"weight_hh", {4 * H, H}}};
            if (options_.bias()) lstm.insert(lstm.end(), {{"bias_ih", {4 * H}}, {"bias_hh", {4 * H}}});
            for (const auto& [name, shape] : lstm) init::uniform_(this->register_parameter(name + s, zeros<T>(shape)), -stdv, stdv);
            register_own(s);
        }
}

template <class T>
TensorT<T> LSTMVariantBaseT<T>::optional(const std::string& name) const {
    return options_.bias() ? this->parameter(name) : TensorT<T>();
}

template <class T>
void LSTMVariantBaseT<T>::check_input(const TensorT<T>& x, const RecurrentStateT<T>& state, const Lengths& lengths) const {
    const auto& o = options_;
    const std::size_t D = o.bidirectional() ? 2 : 1, L = std::size_t(o.num_layers()), H = std::size_t(o.hidden_size());
    XG_CHECK(x.defined() && (x.dim() == 2 || x.dim() == 3),
             name_ << ": input must have 3 dimensions (seq_len, batch, input_size) or 2 (unbatched), got "
                   << (x.defined() ? shape_str(x.shape()) : "(empty)"));
    XG_CHECK(x.shape().back() == std::size_t(o.input_size()),
             name_ << ": input.size(-1) must be equal to input_size. Expected " << o.input_size() << ", got " << x.shape().back());
    XG_CHECK(state.h.defined() == state.c.defined(), name_ << ": pass both h0 and c0, or neither");
    const bool batched = x.dim() == 3;
    const std::size_t S = x.size(batched && o.batch_first() ? 1 : 0), B = batched ? x.size(o.batch_first() ? 0 : 1) : 1;
    XG_CHECK(S > 0, name_ << ": the input has no time steps (shape " << shape_str(x.shape()) << ")");
    const Shape want = batched ? Shape{D * L, B, H} : Shape{D * L, H};
    for (const TensorT<T>* s : {&state.h, &state.c})
        XG_CHECK(!s->defined() || s->shape() == want,
                 name_ << ": expected " << (s == &state.h ? "h0" : "c0") << " of shape " << shape_str(want) << ", got "
                       << shape_str(s->shape()));
    XG_CHECK(lengths.empty() || lengths.size() == B, name_ << ": " << lengths.size() << " lengths given for a batch of " << B << " sequences");
    for (std::size_t b = 0; b < lengths.size(); ++b)
        XG_CHECK(lengths[b] >= 1 && lengths[b] <= S,
                 name_ << ": length " << lengths[b] << " of sequence " << b << " is outside [1, " << S << "] (the input has " << S << " steps)");
}

template <class T>
bool LSTMVariantBaseT<T>::runs_fused() const {
    return fused_.has_value();
}

template <class T>
RecurrentResultT<T> LSTMVariantBaseT<T>::forward(const TensorT<T>& x, const RecurrentStateT<T>& state, const Lengths& lengths) {
    if (!runs_fused()) return forward_unrolled(x, state, lengths);
    check_input(x, state, lengths);
    return forward_fused(x, state, lengths);
}

template <class T>
RecurrentResultT<T> LSTMVariantBaseT<T>::forward_unrolled(const TensorT<T>& x, const RecurrentStateT<T>& state, const Lengths& lengths) {
    const auto& o = options_;
    check_input(x, state, lengths);
    const std::size_t D = o.bidirectional() ? 2 : 1, L = std::size_t(o.num_layers());
    std::vector<std::vector<CellStep<T>>> cells(L);
    for (std::size_t l = 0; l < L; ++l)
        for (std::size_t d = 0; d < D; ++d) cells[l].push_back(step(l, d));
    const auto run = UnrollOptions()
                         .batch_first(o.batch_first())
                         .dropout(o.dropout())
                         .training(this->is_training())
                         .zoneout_h(o.zoneout_h())
                         .zoneout_c(o.zoneout_c())
                         .input_dropout(o.input_dropout())
                         .output_dropout(o.output_dropout());
    return unroll(cells, x, state, lengths, run);
}

// The layers through the fused driver, as RNNBaseT::forward runs LSTM's (nn/rnn.cpp), with
// every regulariser: DropConnect's W_hh, zoneout inside the layer, variational dropout around
// it and dropout between layers, masks drawn in unroll()'s order (so the two routes agree).
template <class T>
RecurrentResultT<T> LSTMVariantBaseT<T>::forward_fused(const TensorT<T>& x_in, const RecurrentStateT<T>& state, const Lengths& lengths) {
    const auto& o = options_;
    const std::size_t D = o.bidirectional() ? 2 : 1, L = std::size_t(o.num_layers());
    const bool batched = x_in.dim() == 3;
    const long batch_dim = o.batch_first() ? 0 : 1;
    TensorT<T> layer_in = batched ? x_in : unsqueeze(x_in, batch_dim);
    const TensorT<T> h0 = state.h.defined() && !batched ? unsqueeze(state.h, 1) : state.h;
    const TensorT<T> c0 = state.c.defined() && !batched ? unsqueeze(state.c, 1) : state.c;
    // every layer's weights first: DropConnect draws its masks where forward_unrolled's steps do
    std::vector<std::vector<detail::DirectionWeights<T>>> layers(L);
    for (std::size_t l = 0; l < L; ++l)
        for (std::size_t d = 0; d < D; ++d) {
            const std::string s = suffix(l, d);
            detail::DirectionWeights<T> w{this->parameter("weight_ih" + s), recurrent_weight("weight_hh" + s),
                                          optional("bias_ih" + s), optional("bias_hh" + s), TensorT<T>(), {}};
            for (const auto& name : own_) w.own.push_back(this->parameter(name + s));
            layers[l].push_back(std::move(w));
        }
    std::vector<TensorT<T>> hs, cs;
    for (std::size_t l = 0; l < L; ++l) {
        const auto& dirs = layers[l];
        auto part = [&](const TensorT<T>& t) { return !t.defined() || L == 1 ? t : narrow(t, 0, long(l * D), long(D)); };
        layer_in = locked_dropout(layer_in, o.input_dropout(), this->is_training(), o.batch_first());
        const detail::Zoneout zoneout{o.zoneout_h(), o.zoneout_c(), this->is_training()};
        auto r = detail::rnn_layer(*fused_, layer_in, dirs, part(h0), part(c0), lengths, o.batch_first(), zoneout);
        hs.push_back(r.h_n);
        cs.push_back(r.c_n);
        layer_in = locked_dropout(r.y, o.output_dropout(), this->is_training(), o.batch_first());
        if (l + 1 < L && o.dropout() > 0 && this->is_training()) layer_in = dropout(layer_in, o.dropout(), true);
    }
    TensorT<T> h_n = L == 1 ? hs[0] : cat(hs, 0), c_n = L == 1 ? cs[0] : cat(cs, 0);
    if (!batched) return {squeeze(layer_in, batch_dim), {squeeze(h_n, 1), squeeze(c_n, 1)}};
    return {layer_in, {h_n, c_n}};
}

template <class T>
std::string LSTMVariantBaseT<T>::extra_repr() const {
    const auto& o = options_;
    std::ostringstream os;
    os << o.input_size() << ", " << o.hidden_size();
    if (o.num_layers() != 1) os << ", num_layers=" << o.num_layers();
    if (!o.bias()) os << ", bias=False";
    if (o.batch_first()) os << ", batch_first=True";
    if (o.dropout() != 0) os << ", dropout=" << o.dropout();
    if (o.weight_drop() != 0) os << ", weight_drop=" << o.weight_drop();
    if (o.zoneout_h() != 0 || o.zoneout_c() != 0) os << ", zoneout=(" << o.zoneout_h() << ", " << o.zoneout_c() << ")";
    if (o.input_dropout() != 0 || o.output_dropout() != 0)
        os << ", variational_dropout=(" << o.input_dropout() << ", " << o.output_dropout() << ")";
    if (o.bidirectional()) os << ", bidirectional=True";
    return os.str();
}

template <class T>
LayerNormLSTMT<T>::LayerNormLSTMT(const LayerNormLSTMOptions& o)
    : LSTMVariantBaseT<T>("LayerNormLSTM", o, detail::RNNMode::LAYER_NORM_LSTM, own_names<cell_policies::LayerNormLSTM>()) {
    const std::size_t H = std::size_t(o.hidden_size());
    this->register_directions([&](const std::string& s) {
        for (auto& [name, p] : own_parameters<cell_policies::LayerNormLSTM, T>(H, s)) this->register_parameter(name, p);
    });
}

template <class T>
CellStep<T> LayerNormLSTMT<T>::step(std::size_t l, std::size_t d) const {
    const std::size_t H = std::size_t(this->options_.hidden_size());
    const std::string s = this->suffix(l, d);
    auto p = [&](const char* name) { return this->parameter(name + s); };
    const LayerNormLSTMWeights<T> w{p("weight_ih"),    this->recurrent_weight("weight_hh" + s),  this->optional("bias_ih" + s), this->optional("bias_hh" + s),
                                    p("ln_ih_weight"), p("ln_ih_bias"), p("ln_hh_weight"),             p("ln_hh_bias"),
                                    p("ln_c_weight"),  p("ln_c_bias")};
    return [w, H](const TensorT<T>& x, const RecurrentStateT<T>& st) {
        return layer_norm_lstm_cell(x, state_or_zeros(st, x.size(0), H), w);
    };
}

template <class T>
PeepholeLSTMT<T>::PeepholeLSTMT(const PeepholeLSTMOptions& o)
    : LSTMVariantBaseT<T>("PeepholeLSTM", o, detail::RNNMode::PEEPHOLE_LSTM, own_names<cell_policies::PeepholeLSTM>()) {
    const std::size_t H = std::size_t(o.hidden_size());
    this->register_directions([&](const std::string& s) {
        for (auto& [name, p] : own_parameters<cell_policies::PeepholeLSTM, T>(H, s)) this->register_parameter(name, p);
    });
}

template <class T>
CellStep<T> PeepholeLSTMT<T>::step(std::size_t l, std::size_t d) const {
    const std::size_t H = std::size_t(this->options_.hidden_size());
    const std::string s = this->suffix(l, d);
    const PeepholeLSTMWeights<T> w{this->parameter("weight_ih" + s), this->recurrent_weight("weight_hh" + s),
                                   this->optional("bias_ih" + s), this->optional("bias_hh" + s), this->parameter("weight_ch" + s)};
    return [w, H](const TensorT<T>& x, const RecurrentStateT<T>& st) {
        return peephole_lstm_cell(x, state_or_zeros(st, x.size(0), H), w);
    };
}

XG_DEFINE_OPS(XG_LSTM_VARIANT_FUNCTIONS)
XG_DEFINE_CLASS(LayerNormLSTMCellT) XG_DEFINE_CLASS(PeepholeLSTMCellT) XG_DEFINE_CLASS(LSTMVariantBaseT)
XG_DEFINE_CLASS(LayerNormLSTMT) XG_DEFINE_CLASS(PeepholeLSTMT)

}  // namespace xg::nn

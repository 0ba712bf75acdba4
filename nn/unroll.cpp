#include "nn/unroll.hpp"

#include <algorithm>
#include <random>

#include "autograd/factory.hpp"
#include "autograd/arithmetic.hpp"
#include "autograd/index.hpp"
#include "autograd/pointwise.hpp"
#include "autograd/shape_ops.hpp"

namespace xg::nn {

namespace {

// Row t*B + b of a (S*B, .) sequence goes to row (len_b - 1 - t)*B + b for t < len_b and stays
// for t >= len_b: each sequence reversed within its own length. The map is its own inverse.
IndexArray reversal_rows(std::size_t S, std::size_t B, const Lengths& lengths) {
    IndexArray rows = IndexArray::from_shape({S * B});
    for (std::size_t t = 0; t < S; ++t)
        for (std::size_t b = 0; b < B; ++b) {
            const std::size_t len = lengths.empty() ? S : lengths[b];
            rows(t * B + b) = std::int64_t((t < len ? len - 1 - t : t) * B + b);
        }
    return rows;
}

template <class T>
TensorT<T> reverse_within_lengths(const TensorT<T>& seq, const IndexArray& rows) {
    const Shape s = seq.shape();  // (S, B, F)
    TensorT<T> flat = reshape(seq, Shape{s[0] * s[1], s[2]});
    return reshape(index_select(flat, 0, rows), s);
}

// (B, 1): which sequences still run at step t; all of them when there are no lengths.
Mask running_at(std::size_t t, std::size_t B, const Lengths& lengths, bool& all) {
    Mask m = Mask::from_shape({B, 1});
    all = true;
    for (std::size_t b = 0; b < B; ++b) {
        m(b, 0) = lengths.empty() || t < lengths[b];
        all = all && m(b, 0);
    }
    return m;
}

template <class T>
struct DirectionResult {
    TensorT<T> out;          // (S, B, Hout)
    RecurrentStateT<T> last;  // each sequence's state after its own last step
};

// A (B, H) mask of units that keep their previous value, each with probability p.
Mask keep_mask(std::size_t B, std::size_t H, double p) {
    Mask m = Mask::from_shape({B, H});
    std::bernoulli_distribution keep(p);
    for (auto& v : m) v = keep(generator());
    return m;
}

// Zoneout of one half of the state: in training a random share p of units keeps its previous
// value; in evaluation the expectation, p * previous + (1 - p) * new.
template <class T>
TensorT<T> zoneout(const TensorT<T>& next, const TensorT<T>& previous, double p, bool training) {
    if (p == 0) return next;
    const TensorT<T> prev = previous.defined() ? previous : zeros<T>(next.shape());
    if (!training) return prev * T(p) + next * T(1 - p);
    return xg::where(keep_mask(next.size(0), next.size(1), p), prev, next);
}

// One cell over x (S, B, I), forward in time; a finished sequence keeps its state and outputs zeros.
template <class T>
DirectionResult<T> run_cell(const CellStep<T>& cell, const TensorT<T>& x, RecurrentStateT<T> state, const Lengths& lengths,
                            const UnrollOptions& o, const char* which) {
    const std::size_t S = x.size(0), B = x.size(1);
    const std::size_t steps = lengths.empty() ? S : *std::max_element(lengths.begin(), lengths.end());
    std::vector<TensorT<T>> outs(S);
    for (std::size_t t = 0; t < steps; ++t) {
        RecurrentStateT<T> next = cell(select(x, 0, long(t)), state);
        XG_CHECK(next.h.defined() && next.h.dim() == 2 && next.h.size(0) == B,
                 "unroll: " << which << " returned h of shape "
                            << (next.h.defined() ? shape_str(next.h.shape()) : std::string("(empty)")) << "; expected (" << B
                            << ", hidden)");
        next.h = zoneout(next.h, state.h, o.zoneout_h(), o.training());
        if (next.c.defined()) next.c = zoneout(next.c, state.c, o.zoneout_c(), o.training());
        bool all = true;
        const Mask running = running_at(t, B, lengths, all);
        if (all || !state.h.defined()) {  // the first step: every length is at least 1
            state = next;
            outs[t] = next.h;
            continue;
        }
        state.h = xg::where(running, next.h, state.h);
        if (next.c.defined()) state.c = xg::where(running, next.c, state.c);
        outs[t] = xg::masked_fill(next.h, Mask(!running), T(0));
    }
    for (std::size_t t = steps; t < S; ++t) outs[t] = zeros<T>(state.h.shape());
    return {stack(outs, 0), state};
}

template <class T>
void check_cells(const std::vector<std::vector<CellStep<T>>>& cells) {
    XG_CHECK(!cells.empty(), "unroll: no layers of cells given");
    const std::size_t D = cells[0].size();
    XG_CHECK(D == 1 || D == 2, "unroll: layer 0 has " << D << " cells; expected 1 (forward) or 2 (forward, reverse)");
    for (std::size_t l = 0; l < cells.size(); ++l) {
        XG_CHECK(cells[l].size() == D, "unroll: layer " << l << " has " << cells[l].size() << " cells, layer 0 has " << D);
        for (std::size_t d = 0; d < D; ++d) XG_CHECK(bool(cells[l][d]), "unroll: cell " << d << " of layer " << l << " is empty");
    }
}

// The initial state's slice k (layer * D + direction), or empty for zeros.
template <class T>
RecurrentStateT<T> initial_state(const RecurrentStateT<T>& state, std::size_t k) {
    return {state.h.defined() ? select(state.h, 0, long(k)) : TensorT<T>(),
            state.c.defined() ? select(state.c, 0, long(k)) : TensorT<T>()};
}

}  // namespace

template <class T>
TensorT<T> locked_dropout(const TensorT<T>& x, double p, bool training, bool batch_first) {
    XG_CHECK(x.defined() && x.dim() == 3, "locked_dropout: expected a sequence of 3 dims, got "
                                              << (x.defined() ? shape_str(x.shape()) : "(empty)"));
    XG_CHECK(p >= 0 && p <= 1, "locked_dropout: p should be a probability in [0, 1], got " << p);
    if (p == 0 || !training) return x;
    const std::size_t B = x.size(batch_first ? 0 : 1);
    xt::xarray<T> mask = xt::xarray<T>::from_shape(batch_first ? Shape{B, 1, x.size(2)} : Shape{1, B, x.size(2)});
    std::bernoulli_distribution keep(1 - p);
    const T scale = p < 1 ? T(1 / (1 - p)) : T(0);
    for (auto& m : mask) m = keep(generator()) ? scale : T(0);  // (b, f) order either way
    return x * TensorT<T>(std::move(mask));
}

template <class T>
RecurrentResultT<T> unroll(const std::vector<std::vector<CellStep<T>>>& cells, const TensorT<T>& x_in,
                           const RecurrentStateT<T>& state_in, const Lengths& lengths, const UnrollOptions& options) {
    check_cells(cells);
    const std::initializer_list<std::pair<double, const char*>> probabilities = {
        {options.dropout(), "dropout"},
        {options.zoneout_h(), "zoneout_h"},
        {options.zoneout_c(), "zoneout_c"},
        {options.input_dropout(), "input_dropout"},
        {options.output_dropout(), "output_dropout"}};
    for (auto [p, name] : probabilities)
        XG_CHECK(p >= 0 && p <= 1, "unroll: " << name << " should be a probability in [0, 1], got " << p);
    const std::size_t L = cells.size(), D = cells[0].size();
    XG_CHECK(x_in.defined() && (x_in.dim() == 2 || x_in.dim() == 3),
             "unroll: expected input of 2 or 3 dims, got " << (x_in.defined() ? shape_str(x_in.shape()) : "(empty)"));
    const bool batched = x_in.dim() == 3;
    const long batch_dim = options.batch_first() ? 0 : 1;
    TensorT<T> x = batched ? x_in : unsqueeze(x_in, batch_dim);
    if (options.batch_first()) x = transpose(x, 0, 1);  // (S, B, I)
    const std::size_t S = x.size(0), B = x.size(1);
    XG_CHECK(S > 0, "unroll: the input has no time steps (shape " << shape_str(x_in.shape()) << ")");
    XG_CHECK(lengths.empty() || lengths.size() == B, "unroll: " << lengths.size() << " lengths given for a batch of " << B << " sequences");
    for (std::size_t b = 0; b < lengths.size(); ++b)
        XG_CHECK(lengths[b] >= 1 && lengths[b] <= S,
                 "unroll: length " << lengths[b] << " of sequence " << b << " is outside [1, " << S << "]");
    RecurrentStateT<T> state = state_in;
    for (TensorT<T>* s : {&state.h, &state.c}) {
        if (!s->defined()) continue;
        const Shape want_lead = batched ? Shape{D * L, B} : Shape{D * L};
        XG_CHECK(s->dim() == want_lead.size() + 1 && std::equal(want_lead.begin(), want_lead.end(), s->shape().begin()),
                 "unroll: initial state of shape " << shape_str(s->shape()) << "; expected (" << D * L
                                                   << (batched ? ", " + std::to_string(B) : std::string()) << ", hidden)");
        if (!batched) *s = unsqueeze(*s, 1);
    }

    const IndexArray reversed = D == 2 ? reversal_rows(S, B, lengths) : IndexArray();
    TensorT<T> layer_in = x;
    std::vector<TensorT<T>> hs, cs;
    for (std::size_t l = 0; l < L; ++l) {
        layer_in = locked_dropout(layer_in, options.input_dropout(), options.training());
        std::vector<TensorT<T>> outs;
        for (std::size_t d = 0; d < D; ++d) {
            const std::size_t k = l * D + d;
            const char* which = d ? "a reverse cell" : "a forward cell";
            auto r = d ? run_cell(cells[l][d], reverse_within_lengths(layer_in, reversed), initial_state(state, k), lengths,
                                  options, which)
                       : run_cell(cells[l][d], layer_in, initial_state(state, k), lengths, options, which);
            outs.push_back(d ? reverse_within_lengths(r.out, reversed) : r.out);
            hs.push_back(r.last.h);
            if (r.last.c.defined()) cs.push_back(r.last.c);
        }
        layer_in = locked_dropout(D == 1 ? outs[0] : cat(outs, 2), options.output_dropout(), options.training());
        if (l + 1 < L && options.dropout() > 0 && options.training()) layer_in = dropout(layer_in, options.dropout(), true);
    }
    XG_CHECK(cs.empty() || cs.size() == hs.size(), "unroll: some cells returned a cell state c and others did not");
    TensorT<T> out = options.batch_first() ? transpose(layer_in, 0, 1) : layer_in;
    TensorT<T> h_n = stack(hs, 0), c_n = cs.empty() ? TensorT<T>() : stack(cs, 0);
    if (!batched) {
        out = squeeze(out, batch_dim);
        h_n = squeeze(h_n, 1);
        if (c_n.defined()) c_n = squeeze(c_n, 1);
    }
    return {out, {h_n, c_n}};
}

XG_DEFINE_OPS(XG_UNROLL_FUNCTIONS)

}  // namespace xg::nn

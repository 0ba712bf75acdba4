// Internal (not installed): the fused recurrent driver, for any cell policy
// (nn/cell_policies/step.hpp says what a policy is). nn/rnn_kernels.cpp runs it for the
// built-in cells; a test or a program of one's own can run it for a policy of its own
// (docs/nn.md, "Write your own cell"; tests/nn_own_cell.cpp):
//
//   auto r = xg::nn::detail::run_layer<float, MyCell>(x, directions, h0, c0, lengths, batch_first);
//
// See nn/rnn_kernels.hpp for the layout (packed sequences, GEMMs) and the size legend.
#pragma once

#include <algorithm>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "autograd/factory.hpp"
#include "autograd/op.hpp"
#include "core/kernels.hpp"
#include "nn/cell_policies/step.hpp"
#include "nn/rnn_kernels.hpp"

namespace xg::nn::detail {

// Scratch arrays come from the recycled workspace: the same sizes return every batch.
template <class T>
using Buffer = Workspace<T>;

template <class T>
Buffer<T> buffer(std::size_t n) {
    return workspace<T>(n);
}
template <class T>
Buffer<T> zeroed(std::size_t n) {
    return workspace_zeroed<T>(n);
}

// A one-off row-major product through xgrad's GEMM: C (m, n) = op(A) op(B) (+ C when
// accumulate, else + bias on every row when one is given).
template <class T>
void product(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t lda, const T* b,
             std::size_t ldb, bool accumulate, T* c, std::size_t ldc, const T* bias = nullptr) {
    xg::gemm::gemm(ta, tb, m, n, k, a, lda, b, ldb, accumulate, c, ldc, bias);
}

// The recurrent weights of one direction, packed once per layer call for the step GEMMs:
// the forward reads h W_hh^T and m W_hr^T, the backward da W_hh and dh W_hr.
template <class T>
struct PackedWeights {
    xg::gemm::PackedB<T> hh;
    xg::gemm::PackedB<T> hr;  // with a projection only
};

template <class T>
PackedWeights<T> pack_weights(const DirectionWeights<T>& w, bool for_backward) {
    const auto& hh = w.w_hh.value();  // (G*H, Hout)
    const std::size_t GH = hh.shape()[0], Hout = hh.shape()[1];
    PackedWeights<T> p;
    p.hh = for_backward ? xg::gemm::pack(hh.data(), Hout, false, GH, Hout) : xg::gemm::pack(hh.data(), Hout, true, Hout, GH);
    if (w.w_hr.defined()) {
        const auto& hr = w.w_hr.value();  // (P, H)
        const std::size_t P = hr.shape()[0], H = hr.shape()[1];
        p.hr = for_backward ? xg::gemm::pack(hr.data(), H, false, P, H) : xg::gemm::pack(hr.data(), H, true, H, P);
    }
    return p;
}

// column sums of an (n, w) block added into out (w)
template <class T>
void add_column_sums(const T* a, std::size_t n, std::size_t w, T* out) {
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < w; ++j) out[j] += a[r * w + j];
}

// into += v over n values
template <class T>
void add_into(std::size_t n, const T* v, T* into) {
    for (std::size_t j = 0; j < n; ++j) into[j] += v[j];
}

// PyTorch's PackedSequence layout for the rows of one work unit (a chunk of the batch).
struct Packing {
    std::size_t S = 0, B = 0, R = 0, N = 0;  // steps, whole batch, rows in this chunk, packed rows
    std::vector<std::size_t> perm;           // chunk row r -> batch index (longest first)
    std::vector<std::size_t> len;            // length of chunk row r
    std::vector<std::size_t> batch_sizes;    // rows still running at step t
    std::vector<std::size_t> offsets;        // first packed row of step t
    bool whole = false;                      // the whole batch in order, every sequence full length

    // The first packed row of step t. A whole batch keeps the padded order in either direction
    // (the reverse direction walks its steps from the last block), so a time-major padded
    // array serves as its packed form without a copy.
    std::size_t first_row(std::size_t t, bool reverse) const { return whole && reverse ? (S - 1 - t) * B : offsets[t]; }
    // True when packed row first_row(t) + r is padded row (t, r) itself: the whole batch, time-major.
    bool same_as_padded(bool batch_first) const { return whole && !batch_first; }
    std::size_t next_size(std::size_t t) const { return t + 1 < S ? batch_sizes[t + 1] : 0; }
    // the row of the padded (S, B, .) or (B, S, .) array that packed (t, r) reads and writes
    std::size_t padded_row(std::size_t t, std::size_t r, bool reverse, bool batch_first) const {
        const std::size_t b = perm[r], pos = reverse ? len[r] - 1 - t : t;
        return batch_first ? b * S + pos : pos * B + b;
    }
};

// The batch sorted by length (longest first) and dealt round-robin into `chunks` packings,
// so every chunk is sorted too and gets a fair share of long and short sequences.
inline std::vector<Packing> make_packings(std::size_t S, std::size_t B, const std::vector<std::size_t>& lengths, std::size_t chunks) {
    std::vector<std::size_t> order(B);
    std::iota(order.begin(), order.end(), 0);
    if (!lengths.empty())
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
    std::vector<Packing> out(chunks);
    for (std::size_t c = 0; c < chunks; ++c) {
        Packing& p = out[c];
        p.S = S;
        p.B = B;
        p.whole = chunks == 1 && lengths.empty();
        for (std::size_t r = c; r < B; r += chunks) {
            p.perm.push_back(order[r]);
            p.len.push_back(lengths.empty() ? S : lengths[order[r]]);
        }
        p.R = p.perm.size();
        p.batch_sizes.assign(S, 0);
        p.offsets.assign(S, 0);
        for (std::size_t t = 0; t < S; ++t) {
            std::size_t n = 0;
            while (n < p.R && p.len[n] > t) ++n;
            p.batch_sizes[t] = n;
            p.offsets[t] = p.N;
            p.N += n;
        }
    }
    return out;
}

// Packed rows from the padded (S, B, .) or (B, S, .) array whose rows are `stride` wide,
// columns [col, col + width): the gather behind the packed Y of a cell that reads_outputs.
template <class T>
void gather_rows(const Packing& pk, bool reverse, bool batch_first, const T* padded, std::size_t stride, std::size_t col,
                 std::size_t width, T* packed) {
    for (std::size_t t = 0; t < pk.S; ++t)
        for (std::size_t r = 0; r < pk.batch_sizes[t]; ++r)
            std::copy_n(padded + pk.padded_row(t, r, reverse, batch_first) * stride + col, width, packed + (pk.first_row(t, reverse) + r) * width);
}

// One pointer per packed row, in packed order: at(t, r) for step t's row r (the rows of a
// weight-gradient product's B, packed by xg::gemm::pack_rows from where they live).
template <class T, class At>
std::vector<const T*> row_pointers(const Packing& pk, bool reverse, const At& at) {
    std::vector<const T*> rows(pk.N);
    for (std::size_t t = 0; t < pk.S; ++t)
        for (std::size_t r = 0; r < pk.batch_sizes[t]; ++r) rows[pk.first_row(t, reverse) + r] = at(t, r);
    return rows;
}

// The packed rows of a padded array: the array itself where the packing is the same, else
// a gathered copy kept in `store`.
template <class T>
const T* packed_rows(const Packing& pk, bool reverse, bool batch_first, const T* padded, std::size_t stride, std::size_t col,
                     std::size_t width, Buffer<T>& store) {
    if (pk.same_as_padded(batch_first) && stride == width && col == 0) return padded;
    store = buffer<T>(pk.N * width);
    gather_rows(pk, reverse, batch_first, padded, stride, col, width, store.get());
    return store.get();
}

// dh rows [r0, r1) of packed step t = dy's (columns [col, col + width) of rows `stride` wide;
// none when dy is null) + dh_next's: one step's output gradient, gathered as it is summed
// (dh may be dh_next itself)
template <class T>
void add_step_gradient(const Packing& pk, std::size_t t, std::size_t r0, std::size_t r1, bool reverse, bool batch_first,
                       const T* dy, std::size_t stride, std::size_t col, std::size_t width, const T* dh_next, T* dh) {
    for (std::size_t r = r0; r < r1; ++r) {
        T* out = dh + r * width;
        const T* next = dh_next + r * width;
        if (!dy) {
            if (out != next) std::copy_n(next, width, out);
            continue;
        }
        const T* in = dy + pk.padded_row(t, r, reverse, batch_first) * stride + col;
        for (std::size_t j = 0; j < width; ++j) out[j] = in[j] + next[j];
    }
}

// padded rows += packed rows (the input gradient, `width` wide)
template <class T>
void unpack_add_rows(const Packing& pk, bool reverse, bool batch_first, const T* packed, std::size_t width, T* padded) {
    for (std::size_t t = 0; t < pk.S; ++t)
        for (std::size_t r = 0; r < pk.batch_sizes[t]; ++r) {
            T* dst = padded + pk.padded_row(t, r, reverse, batch_first) * width;
            const T* src = packed + (pk.first_row(t, reverse) + r) * width;
            for (std::size_t j = 0; j < width; ++j) dst[j] += src[j];
        }
}

// What one direction's forward keeps for its backward: only what the padded input and
// output (which the tape keeps anyway) cannot give back. The backward packs X and h_{t-1}
// straight from them, and recomputes tanh(c) and the projection's m = o tanh(c). A backward that
// frees the graph consumes it (the gates' gradients overwrite the gates, and it is released).
template <class T>
struct Saved {
    bool consumed = false;
    Buffer<T> A;   // (N, G*H) activated gates, when the cell saves_gates
    Buffer<T> C;   // (N, H) cells, when it has_cell
    Buffer<T> E;   // (N, saved_width(H)) the cell's own saved values
    Buffer<T> h0;  // (B, Hout) initial state, sorted rows
    Buffer<T> c0;  // (B, H)
    // with zoneout: the masks (or p in evaluation) of h and c, the mixed cells, and the cell's
    // own outputs before mixing (for a cell that reads_outputs)
    Buffer<T> ZH, ZC;  // (N, Hout), (N, H)
    Buffer<T> CZ;      // (N, H)
    Buffer<T> HT;      // (N, Hout)
};

struct Dims {
    std::size_t I, H, P, Hout, G, D;
    bool batch_first;
};

// Zoneout's masks of one direction, in the padded order unroll() draws them: step t, batch
// row b (steps up to the longest sequence); empty without zoneout or in evaluation.
template <class T>
struct ZoneoutMasks {
    std::vector<T> h, c;  // (steps, B, Hout), (steps, B, H)
};

// One work unit: a direction of the layer over one chunk of the batch (pk's rows).
template <class T>
struct Unit {
    const Dims& d;
    const Packing& pk;
    bool reverse;
    const DirectionWeights<T>& w;
    const PackedWeights<T>& pw;  // W_hh (and W_hr) packed for this pass's GEMMs
    const T* const* params;      // the cell's own parameters (w.own's values)
    const Zoneout& zoneout;
    const ZoneoutMasks<T>* masks;  // this direction's, forward only
    std::size_t team = 1;          // threads that run its steps together (run_steps)
};

// Runs a unit's steps, steps(rank, parts, barrier), on a team of u.team threads, or on this
// thread alone (one part) when that many cannot be had: the results are the same bits.
template <class T, class Steps>
void run_steps(const Unit<T>& u, const Steps& steps) {
    if (u.team > 1 && run_team(u.team, [&](std::size_t rank, TeamBarrier& sync) { steps(rank, u.team, sync); })) return;
    TeamBarrier alone(1);
    steps(0, 1, alone);
}

// y = z prev + (1 - z) y over n values: zoneout's mix of the previous state into the new one
template <class T>
void zone_out(std::size_t n, const T* z, const T* prev, T* y) {
    simd::zip<T, 3, 1>(n, {z, prev, y}, {y}, [](const auto& x, auto& out) { out[0] = x[2] + x[0] * (x[1] - x[2]); });
}

// The gradient of a mixed state, g (n values), split: direct = z g goes to the previous
// state, g becomes (1 - z) g, the cell's own output's
template <class T>
void split_zoned_gradient(std::size_t n, const T* z, T* g, T* direct) {
    simd::zip<T, 2, 2>(n, {z, g}, {direct, g}, [](const auto& x, auto& out) {
        out[0] = x[0] * x[1];
        out[1] = x[1] - out[0];
    });
}

// Each packed row's mask: drawn ones in training, p everywhere in evaluation.
template <class T>
Buffer<T> packed_mask(const Packing& pk, bool reverse, const std::vector<T>& drawn, double p, bool training, std::size_t width) {
    Buffer<T> out = buffer<T>(pk.N * width);
    if (!training || p == 0) {
        std::fill_n(out.get(), pk.N * width, training ? T(0) : T(p));
        return out;
    }
    for (std::size_t t = 0; t < pk.S; ++t)
        for (std::size_t r = 0; r < pk.batch_sizes[t]; ++r)
            std::copy_n(drawn.data() + (t * pk.B + pk.perm[r]) * width, width, out.get() + (pk.first_row(t, reverse) + r) * width);
    return out;
}

// Zoneout's masks for every direction, drawn before the units run (so any thread count draws
// the same), in unroll()'s order: direction, step, then h's (B, Hout) and c's (B, H).
template <class T, class Cell>
std::vector<ZoneoutMasks<T>> draw_zoneout_masks(const Zoneout& z, std::size_t D, std::size_t steps, std::size_t B,
                                                std::size_t Hout, std::size_t H) {
    std::vector<ZoneoutMasks<T>> out(D);
    if (!z.training) return out;
    for (auto& m : out) {
        if (z.h > 0) m.h.resize(steps * B * Hout);
        if (Cell::has_cell && z.c > 0) m.c.resize(steps * B * H);
        std::bernoulli_distribution keep_h(z.h), keep_c(z.c);
        for (std::size_t t = 0; t < steps; ++t) {
            for (std::size_t i = 0; i < (z.h > 0 ? B * Hout : 0); ++i) m.h[t * B * Hout + i] = keep_h(generator()) ? T(1) : T(0);
            for (std::size_t i = 0; i < (m.c.empty() ? 0 : B * H); ++i) m.c[t * B * H + i] = keep_c(generator()) ? T(1) : T(0);
        }
    }
    return out;
}

// What one unit's forward reads (the padded input, this direction's initial state or null)
// and writes: its columns [y_off, y_off + Hout) of the zeroed output y, and its final state.
template <class T>
struct ForwardIO {
    const T* x;
    const T* h0;
    const T* c0;
    T* y;
    std::size_t y_off;
    T* h_n;
    T* c_n;
};

// this chunk's rows of a (B, width) state, in the packing's sorted order; zeros when null
template <class T>
Buffer<T> gather_state(const Packing& pk, const T* state, std::size_t width) {
    Buffer<T> out = zeroed<T>(pk.R * width);
    if (state)
        for (std::size_t r = 0; r < pk.R; ++r) std::copy_n(state + pk.perm[r] * width, width, out.get() + r * width);
    return out;
}

// The bias of the input GEMM's rows: b_ih, plus b_hh unless the cell adds it to hw.
template <class T, class Cell>
std::vector<T> input_bias(const DirectionWeights<T>& w, std::size_t GH) {
    std::vector<T> bias(GH, T(0));
    if (w.b_ih.defined()) std::copy_n(w.b_ih.value().data(), GH, bias.data());
    if (w.b_hh.defined() && !Cell::bias_hh_in_hw)
        for (std::size_t j = 0; j < GH; ++j) bias[j] += w.b_hh.value().data()[j];
    return bias;
}

// The packed rows of steps [t0, t1): they lie together, [first, first + count), in either
// direction.
struct StepRows {
    std::size_t first, count;
};
inline StepRows step_rows(const Packing& pk, bool reverse, std::size_t t0, std::size_t t1) {
    std::size_t n = 0;
    for (std::size_t t = t0; t < t1; ++t) n += pk.batch_sizes[t];
    if (n == 0) return {0, 0};
    return {std::min(pk.first_row(t0, reverse), pk.first_row(t1 - 1, reverse)), n};
}

// Steps per block of the input-side products that run between the steps: about 32k gate
// values (128 KB of floats) a block, at least one step, so a block's gates are still in cache.
inline std::size_t steps_per_block(const Packing& pk, std::size_t GH) {
    const std::size_t row = std::max<std::size_t>(1, (pk.S ? pk.batch_sizes[0] : 0) * GH);
    return std::max<std::size_t>(1, (std::size_t(1) << 15) / row);
}

// Whether a unit runs its input-side products a block of steps at a time, between its steps:
// not when it has all the threads to itself (one product over all rows uses them), not on a
// team, not for a cell that normalises X W_ih^T (over all rows, before and after the steps).
template <class T, class Cell>
bool by_blocks_of_steps(const Unit<T>& u) {
    return !Cell::normalises_input && u.team == 1 && (in_parallel_region() || get_num_threads() == 1);
}

// A's rows = X W_ih^T (+ bias, unless the cell normalises X W_ih^T and adds it itself), X the
// unit's packed input: x itself where the packing is the identity, else x's rows read where
// they live. All rows at once, or a few steps' just before they run: then the steps find them
// in cache, where N rows of gates written up front would have gone out to memory and back.
template <class T, class Cell>
class InputProduct {
public:
    InputProduct(const Unit<T>& u, const T* x, T* A, const T* bias)
        : u_(u), x_(x), A_(A), add_(Cell::normalises_input ? nullptr : bias),
          w_ih_(xg::gemm::pack(u.w.w_ih.value().data(), u.d.I, true, u.d.I, u.d.G * u.d.H)) {}  // B = W_ih^T

    void all() const { steps(0, u_.pk.S); }

    // the rows of steps [t0, t1)
    void steps(std::size_t t0, std::size_t t1) const {
        const Packing& pk = u_.pk;
        const std::size_t I = u_.d.I, GH = u_.d.G * u_.d.H;
        const auto [lo, n] = step_rows(pk, u_.reverse, t0, t1);
        if (n == 0) return;
        if (pk.same_as_padded(u_.d.batch_first)) return xg::gemm::multiply(n, x_ + lo * I, I, false, w_ih_, false, A_ + lo * GH, GH, add_);
        std::vector<const T*> rows(n);
        for (std::size_t t = t0; t < t1; ++t)
            for (std::size_t r = 0; r < pk.batch_sizes[t]; ++r)
                rows[pk.first_row(t, u_.reverse) + r - lo] = x_ + pk.padded_row(t, r, u_.reverse, u_.d.batch_first) * I;
        xg::gemm::multiply_rows(n, rows.data(), w_ih_, false, A_ + lo * GH, GH, add_);
    }

private:
    const Unit<T>& u_;
    const T* x_;
    T* A_;
    const T* add_;
    xg::gemm::PackedB<T> w_ih_;
};

template <class T, class Cell>
void forward_direction(const Unit<T>& u, const ForwardIO<T>& io, Saved<T>& s) {
    const Dims& d = u.d;
    const Packing& pk = u.pk;
    const DirectionWeights<T>& w = u.w;
    const PackedWeights<T>& pw = u.pw;
    const std::size_t N = pk.N, B = pk.R, H = d.H, Hout = d.Hout, GH = d.G * d.H;  // B: this chunk's rows
    const std::size_t SW = Cell::saved_width(H);
    const bool proj = d.P > 0;

    s.h0 = gather_state(pk, io.h0, Hout);
    if (Cell::has_cell) s.c0 = gather_state(pk, io.c0, H);

    // A (N, G*H) = X W_ih^T + bias (a cell that normalises X W_ih^T adds the bias itself).
    // A cell that saves no gates keeps its pre-activations directly in Y (N, H).
    // Y (N, Hout): the packed outputs, copied into y step by step, or y itself
    const bool y_direct = pk.same_as_padded(d.batch_first) && d.D == 1;
    Buffer<T> Ybuf = y_direct ? Buffer<T>() : buffer<T>(N * Hout);
    T* const Y = y_direct ? io.y : Ybuf.get();
    T* A = Cell::saves_gates ? (s.A = buffer<T>(N * GH)).get() : Y;
    const std::vector<T> bias = input_bias<T, Cell>(w, GH);
    if (SW) s.E = buffer<T>(N * SW);
    const InputProduct<T, Cell> input(u, io.x, A, bias.data());
    const bool by_blocks = by_blocks_of_steps<T, Cell>(u);
    const std::size_t block = steps_per_block(pk, GH);
    if (!by_blocks) input.all();
    if constexpr (Cell::normalises_input)
        Cell::input_forward(cell_policies::InputRows<T>{N, H, A, bias.data(), s.E.get(), u.params, nullptr});

    const bool zone = u.zoneout.any();
    if (zone) {
        s.ZH = packed_mask(pk, u.reverse, u.masks->h, u.zoneout.h, u.zoneout.training, Hout);
        if (Cell::has_cell) {
            s.ZC = packed_mask(pk, u.reverse, u.masks->c, u.zoneout.c, u.zoneout.training, H);
            s.CZ = buffer<T>(N * H);
        }
        if (Cell::reads_outputs) s.HT = buffer<T>(N * Hout);
    }
    Buffer<T> M;  // with a projection: one step's m, before W_hr
    if (Cell::has_cell) s.C = buffer<T>(N * H);
    const T* const CS = zone ? s.CZ.get() : s.C.get();  // the state c: the cell's own, or mixed by zoneout
    if (proj) M = buffer<T>(B * H);
    Buffer<T> hw;  // a cell with separate_hh: one step's h_{t-1} W_hh^T (+ b_hh)
    if (Cell::separate_hh) hw = buffer<T>(B * GH);
    const T* b_hh = Cell::bias_hh_in_hw && w.b_hh.defined() ? w.b_hh.value().data() : nullptr;

    // The steps, by one thread or a team (u.team): each member computes its panels of the
    // step's products and its rows of the gate math, with a barrier between the two.
    auto steps = [&](std::size_t rank, std::size_t parts, TeamBarrier& sync) {
        for (std::size_t t = 0; t < pk.S; ++t) {
            const std::size_t bt = pk.batch_sizes[t], off = pk.first_row(t, u.reverse);
            if (bt == 0) break;
            if (by_blocks && t % block == 0) input.steps(t, std::min(pk.S, t + block));
            const T* hprev = t == 0 ? s.h0.get() : Y + pk.first_row(t - 1, u.reverse) * Hout;
            const T* cprev = Cell::has_cell ? (t == 0 ? s.c0.get() : CS + pk.first_row(t - 1, u.reverse) * H) : nullptr;
            T* a = A + off * GH;
            if (Cell::separate_hh)  // hw = h_{t-1} W_hh^T (+ b_hh)
                xg::gemm::multiply_part(rank, parts, bt, hprev, Hout, false, pw.hh, false, hw.get(), GH, b_hh);
            else  // a += h_{t-1} W_hh^T
                xg::gemm::multiply_part(rank, parts, bt, hprev, Hout, false, pw.hh, true, a, GH);
            sync.wait();
            const std::size_t r0 = bt * rank / parts, r1 = bt * (rank + 1) / parts;  // this member's rows
            T* m = proj ? M.get() : Y + off * Hout;
            if (r0 < r1)
                Cell::forward(cell_policies::StepForward<T>{
                    .bt = r1 - r0,
                    .H = H,
                    .a = a + r0 * GH,
                    .hw = Cell::separate_hh ? hw.get() + r0 * GH : nullptr,
                    .h_prev = hprev + r0 * Hout,
                    .c_prev = Cell::has_cell ? cprev + r0 * H : nullptr,
                    .c = Cell::has_cell ? s.C.get() + (off + r0) * H : nullptr,
                    .saved = SW ? s.E.get() + (off + r0) * SW : nullptr,
                    .h = m + r0 * H,
                    .params = u.params});
            if (proj) {  // h = m W_hr^T
                sync.wait();
                xg::gemm::multiply_part(rank, parts, bt, M.get(), H, false, pw.hr, false, Y + off * Hout, Hout);
                sync.wait();
            }
            const std::size_t rows = r1 - r0, first = off + r0;
            if (zone && rows) {  // the state keeps a share of its previous values
                T* y = Y + first * Hout;
                if (Cell::reads_outputs) std::copy_n(y, rows * Hout, s.HT.get() + first * Hout);
                zone_out(rows * Hout, s.ZH.get() + first * Hout, hprev + r0 * Hout, y);
                if (Cell::has_cell) {
                    std::copy_n(s.C.get() + first * H, rows * H, s.CZ.get() + first * H);
                    zone_out(rows * H, s.ZC.get() + first * H, cprev + r0 * H, s.CZ.get() + first * H);
                }
            }
            if (!y_direct)  // this step's outputs into y while they are in cache
                for (std::size_t r = r0; r < r1; ++r)
                    std::copy_n(Y + (off + r) * Hout, Hout, io.y + pk.padded_row(t, r, u.reverse, d.batch_first) * d.D * Hout + io.y_off);
            // sequences that end at this step hand over their final state
            for (std::size_t r = std::max(pk.next_size(t), r0); r < r1; ++r) {
                std::copy_n(Y + (off + r) * Hout, Hout, io.h_n + pk.perm[r] * Hout);
                if (Cell::has_cell) std::copy_n(CS + (off + r) * H, H, io.c_n + pk.perm[r] * H);
            }
            sync.wait();
        }
    };
    run_steps(u, steps);
}

// A weight gradient C (GH, W) (+)= dA^T B over all N packed rows, B's rows packed by
// pack(first, count) a block at a time: the packing stays a few MB and in cache, not N rows
// of W. Blocks of whole gemm::k_block rows keep the bits of one product.
template <class T, class Pack>
void weight_gradient(std::size_t GH, const T* da, std::size_t N, bool accumulate, T* c, std::size_t W, const Pack& pack) {
    constexpr std::size_t rows = 8 * xg::gemm::k_block;
    if (N == 0 && !accumulate) std::fill_n(c, GH * W, T(0));  // an empty batch: a zero product
    for (std::size_t k0 = 0; k0 < N; k0 += rows)
        xg::gemm::multiply(GH, da + k0 * GH, GH, true, pack(k0, std::min(rows, N - k0)), accumulate || k0 > 0, c, W);
}

// Gradient pointers for one direction; null where nobody needs the gradient, except the
// cell's own parameters' (own), which the steps always write. The standard ones each get one
// finished value added, so they may be the parameters' own gradients.
template <class T>
struct DirectionGrads {
    T *w_ih = nullptr, *w_hh = nullptr, *b_ih = nullptr, *b_hh = nullptr, *w_hr = nullptr;
    T* const* own = nullptr;
};

// The layer's padded input x and output y (both kept by the tape), and the output's gradient
// dy (null when none reached it); this direction's outputs are y's columns [y_off, y_off + Hout).
template <class T>
struct PaddedSequences {
    const T* x;
    const T* y;
    const T* dy;
    std::size_t y_off;
};

// The final state's gradients that reach this direction (null where none did), and its
// initial state's gradients to add into (null where nobody wants them).
template <class T>
struct StateGrads {
    const T* dh_n;
    const T* dc_n;
    T* dh0;
    T* dc0;
};

// Weight gradients are added into g (the parameters' gradients, or this unit's buffers that
// the caller adds up), the input's to dX (N, I) packed (scattered by the caller); dh0 and dc0
// rows belong to this unit alone.
template <class T, class Cell>
void backward_direction(const Unit<T>& u, Saved<T>& s, const PaddedSequences<T>& io, const StateGrads<T>& st,
                        const DirectionGrads<T>& g, Buffer<T>* dX, bool consume) {
    XG_CHECK(!s.consumed, Cell::name << " layer: backward through it a second time, but the first backward freed what it saved; "
                                        "call backward(/*retain_graph=*/true) the first time");
    s.consumed = consume;  // from here on (a failure too) it may be spent
    const Dims& d = u.d;
    const Packing& pk = u.pk;
    const bool reverse = u.reverse;
    const PackedWeights<T>& pw = u.pw;
    const T *dh_n = st.dh_n, *dc_n = st.dc_n;
    T *dh0 = st.dh0, *dc0 = st.dc0;
    const std::size_t N = pk.N, B = pk.R, I = d.I, H = d.H, Hout = d.Hout, GH = d.G * d.H;  // B: this chunk's rows
    const std::size_t SW = Cell::saved_width(H);
    const bool proj = d.P > 0;
    const std::size_t ys = d.D * Hout;

    // dh: the gradient reaching one step's outputs, from above (dy) and from the right (dh_next).
    // A projection keeps every step's (dH, N x Hout) for dW_hr. Otherwise dh is summed into
    // dh_next itself, which the step's product overwrites once the cell has read it, unless the
    // cell writes a direct dh_prev there (then one step's rows of its own).
    const bool dh_in_next = !proj && !Cell::direct_dh_prev;
    Buffer<T> dH = dh_in_next ? Buffer<T>() : buffer<T>((proj ? N : B) * Hout);
    // Y (N, Hout) packed outputs, for the steps of a cell that reads_outputs
    Buffer<T> Ybuf;
    const T* Y = Cell::reads_outputs ? packed_rows(pk, reverse, d.batch_first, io.y, ys, io.y_off, Hout, Ybuf) : nullptr;
    // dA: gradient of the pre-activations a (the X W_ih^T side), written over the gates A
    // where the cell allows it and nothing needs them afterwards (the projection's m does)
    const T* const A = s.A.get();
    const bool da_over_a = consume && cell_policies::da_over_a<Cell>() && Cell::saves_gates && !proj;
    Buffer<T> dA = da_over_a ? std::move(s.A) : buffer<T>(N * GH);
    Buffer<T> dHW = Cell::separate_hh ? buffer<T>(N * GH) : Buffer<T>();
    Buffer<T> dh_next = zeroed<T>(B * Hout), dc_next = Cell::has_cell ? zeroed<T>(B * H) : Buffer<T>();
    Buffer<T> dm = proj ? buffer<T>(B * H) : Buffer<T>();
    // dX = dA W_ih: a block of steps at a time as soon as their dA is final (while it is in
    // cache), or all rows after the steps (see by_blocks_of_steps)
    const bool dx_by_blocks = dX && by_blocks_of_steps<T, Cell>(u);
    const std::size_t dx_block = steps_per_block(pk, GH);
    xg::gemm::PackedB<T> w_ih;  // B = W_ih, for dX by blocks
    if (dx_by_blocks) {
        *dX = buffer<T>(N * I);
        w_ih = xg::gemm::pack(u.w.w_ih.value().data(), I, false, GH, I);
    }
    const auto input_gradient = [&](std::size_t t0, std::size_t t1) {
        const auto [lo, n] = step_rows(pk, reverse, t0, t1);
        if (n) xg::gemm::multiply(n, dA.get() + lo * GH, GH, false, w_ih, false, dX->get() + lo * I, I);
    };
    const bool zone = bool(s.ZH);
    const T* const CS = zone && Cell::has_cell ? s.CZ.get() : s.C.get();  // the state c (mixed by zoneout)
    Buffer<T> zdh = zone ? buffer<T>(B * Hout) : Buffer<T>(), zdc = zone && Cell::has_cell ? buffer<T>(B * H) : Buffer<T>();

    // The steps, by one thread or a team (u.team), as in forward_direction: each member its rows
    // of the gate math, a barrier, its panels of dh_{t-1}'s product, a barrier.
    XG_CHECK(u.team == 1 || Cell::parameters(H).empty(), Cell::name << " layer: a team runs only cells without parameters of their own");
    auto steps = [&](std::size_t rank, std::size_t parts, TeamBarrier& sync) {
        for (std::size_t t = pk.S; t-- > 0;) {
            const std::size_t bt = pk.batch_sizes[t], off = pk.first_row(t, u.reverse);
            if (bt == 0) continue;
            const std::size_t r0 = bt * rank / parts, r1 = bt * (rank + 1) / parts, rows = r1 - r0;  // this member's rows
            for (std::size_t r = std::max(pk.next_size(t), r0); r < r1; ++r) {  // the final state's gradient enters at the last step
                T* dhr = dh_next.get() + r * Hout;
                if (dh_n) std::copy_n(dh_n + pk.perm[r] * Hout, Hout, dhr);
                else std::fill_n(dhr, Hout, T(0));
                if (Cell::has_cell) {
                    T* dcr = dc_next.get() + r * H;
                    if (dc_n) std::copy_n(dc_n + pk.perm[r] * H, H, dcr);
                    else std::fill_n(dcr, H, T(0));
                }
            }
            T* dh = dh_in_next ? dh_next.get() : dH.get() + (proj ? off * Hout : 0);
            add_step_gradient(pk, t, r0, r1, reverse, d.batch_first, io.dy, ys, io.y_off, Hout, dh_next.get(), dh);
            if (zone && rows) {  // zoneout: z of each state's gradient goes straight to the previous state
                split_zoned_gradient(rows * Hout, s.ZH.get() + (off + r0) * Hout, dh + r0 * Hout, zdh.get() + r0 * Hout);
                if (Cell::has_cell)
                    split_zoned_gradient(rows * H, s.ZC.get() + (off + r0) * H, dc_next.get() + r0 * H, zdc.get() + r0 * H);
            }
            const T* dmp = dh;
            if (proj) {  // h = m W_hr^T: dm = dh W_hr
                sync.wait();
                xg::gemm::multiply_part(rank, parts, bt, dh, d.P, false, pw.hr, false, dm.get(), H);
                sync.wait();
                dmp = dm.get();
            }
            T* da = dA.get() + off * GH;
            T* dhw = Cell::separate_hh ? dHW.get() + off * GH : nullptr;
            if (rows)
                Cell::backward(cell_policies::StepBackward<T>{
                    .bt = rows,
                    .H = H,
                    .a = Cell::saves_gates ? A + (off + r0) * GH : nullptr,
                    .c_prev = Cell::has_cell ? (t == 0 ? s.c0.get() : CS + pk.first_row(t - 1, u.reverse) * H) + r0 * H : nullptr,
                    .c = Cell::has_cell ? s.C.get() + (off + r0) * H : nullptr,
                    .saved = SW ? s.E.get() + (off + r0) * SW : nullptr,
                    .h_prev = Cell::reads_outputs ? (t == 0 ? s.h0.get() : Y + pk.first_row(t - 1, u.reverse) * Hout) + r0 * Hout : nullptr,
                    .h = Cell::reads_outputs ? (zone ? s.HT.get() : Y) + (off + r0) * Hout : nullptr,
                    .dh = dmp + r0 * H,
                    .da = da + r0 * GH,
                    .dhw = Cell::separate_hh ? dhw + r0 * GH : nullptr,
                    .dc = Cell::has_cell ? dc_next.get() + r0 * H : nullptr,
                    .dh_prev = dh_next.get() + r0 * Hout,
                    .params = u.params,
                    .dparams = g.own});
            if (zone && Cell::has_cell)
                for (std::size_t k = r0 * H; k < r1 * H; ++k) dc_next[k] += zdc[k];
            sync.wait();
            // dh_{t-1} (+)= d(hw or a) W_hh
            xg::gemm::multiply_part(rank, parts, bt, Cell::separate_hh ? dhw : da, GH, false, pw.hh, Cell::direct_dh_prev,
                                    dh_next.get(), Hout);
            if (zone) {
                sync.wait();
                for (std::size_t k = r0 * Hout; k < r1 * Hout; ++k) dh_next[k] += zdh[k];
            }
            sync.wait();
            if (dx_by_blocks && t % dx_block == 0) input_gradient(t, std::min(pk.S, t + dx_block));
        }
    };
    run_steps(u, steps);

    if (dh0)
        for (std::size_t r = 0; r < B; ++r)
            for (std::size_t j = 0; j < Hout; ++j) dh0[pk.perm[r] * Hout + j] += dh_next[r * Hout + j];
    if (dc0 && Cell::has_cell)
        for (std::size_t r = 0; r < B; ++r)
            for (std::size_t j = 0; j < H; ++j) dc0[pk.perm[r] * H + j] += dc_next[r * H + j];

    // weight gradients: one GEMM each over all steps, each operand packed (where it must be) just before it
    if constexpr (Cell::projects)
        if (g.w_hr) {  // dW_hr += dH^T M, M = o tanh(c) recomputed
            Buffer<T> M = buffer<T>(N * H), dW = buffer<T>(d.P * H);
            Cell::output_before_projection(N, H, s.A.get(), s.C.get(), M.get());
            product<T>(true, false, d.P, H, N, dH.get(), d.P, M.get(), H, false, dW.get(), H);
            add_into(d.P * H, dW.get(), g.w_hr);
        }
    dH.reset();
    // the rows of Hprev (from h0 and y) and of X (from x), where they live
    const auto hprev_rows = [&] {
        return row_pointers<T>(pk, reverse, [&](std::size_t t, std::size_t r) {
            return t == 0 ? s.h0.get() + r * Hout : io.y + pk.padded_row(t - 1, r, reverse, d.batch_first) * ys + io.y_off;
        });
    };
    const auto x_rows = [&] {
        return row_pointers<T>(pk, reverse, [&](std::size_t t, std::size_t r) { return io.x + pk.padded_row(t, r, reverse, d.batch_first) * I; });
    };
    // dW_hh and dW_ih both read dA^T. Where dA is final for both (no separate hh product, no
    // input normalisation between them), one product over [Hprev | X] packs dA^T once: it is
    // N x 4H, read from memory (packing it twice: 8 % of an IMDB-sized layer's time).
    const bool joined = !Cell::separate_hh && !Cell::normalises_input && g.w_hh && g.w_ih;
    if (joined) {  // [dW_hh | dW_ih] = dA^T [Hprev | X], then added into each
        Ybuf.reset();
        const std::size_t W = Hout + I;
        const auto hprev = hprev_rows(), xs = x_rows();
        Buffer<T> dW = buffer<T>(GH * W);
        weight_gradient<T>(GH, dA.get(), N, false, dW.get(), W, [&](std::size_t k0, std::size_t rows) {
            return xg::gemm::pack_joined_rows(hprev.data() + k0, Hout, xs.data() + k0, rows, W);
        });
        for (std::size_t j = 0; j < GH; ++j) {
            for (std::size_t k = 0; k < Hout; ++k) g.w_hh[j * Hout + k] += dW[j * W + k];
            for (std::size_t k = 0; k < I; ++k) g.w_ih[j * I + k] += dW[j * W + Hout + k];
        }
    } else if (g.w_hh) {  // dW_hh += d(hw or a)^T Hprev
        Ybuf.reset();
        const auto hprev = hprev_rows();
        Buffer<T> dW = buffer<T>(GH * Hout);
        weight_gradient<T>(GH, Cell::separate_hh ? dHW.get() : dA.get(), N, false, dW.get(), Hout,
                           [&](std::size_t k0, std::size_t rows) { return xg::gemm::pack_rows(hprev.data() + k0, rows, Hout); });
        add_into(GH * Hout, dW.get(), g.w_hh);
    }
    if (g.b_ih && g.b_hh && !Cell::bias_hh_in_hw) {  // both biases' gradients are dA's column sums: one pass over dA
        std::vector<T> sums(GH, T(0));
        add_column_sums(dA.get(), N, GH, sums.data());
        for (std::size_t j = 0; j < GH; ++j) {
            g.b_ih[j] += sums[j];
            g.b_hh[j] += sums[j];
        }
    } else {
        const auto add_sums = [&](const T* rows, T* into) {
            std::vector<T> sums(GH, T(0));
            add_column_sums(rows, N, GH, sums.data());
            add_into(GH, sums.data(), into);
        };
        if (g.b_hh) add_sums(Cell::bias_hh_in_hw ? dHW.get() : dA.get(), g.b_hh);
        if (g.b_ih) add_sums(dA.get(), g.b_ih);
    }
    dHW.reset();
    if constexpr (Cell::normalises_input)  // dA becomes the gradient of X W_ih^T
        Cell::input_backward(cell_policies::InputRows<T>{N, H, dA.get(), nullptr, s.E.get(), u.params, g.own});
    if (g.w_ih && !joined) {  // dW_ih += dA^T X
        const auto xs = x_rows();
        Buffer<T> dW = buffer<T>(GH * I);
        weight_gradient<T>(GH, dA.get(), N, false, dW.get(), I,
                           [&](std::size_t k0, std::size_t rows) { return xg::gemm::pack_rows(xs.data() + k0, rows, I); });
        add_into(GH * I, dW.get(), g.w_ih);
    }
    if (dX && !dx_by_blocks) {
        *dX = buffer<T>(N * I);
        product<T>(false, false, N, I, GH, dA.get(), GH, u.w.w_ih.value().data(), I, false, dX->get(), I);  // dX = dA W_ih
    }
    if (consume) {  // nothing runs this again: its saved values go now, not after the whole walk
        s = Saved<T>{};
        s.consumed = true;
    }
}

// Every parameter of one direction, PyTorch's five (empty handles where absent) and then
// the cell's own; a unit's gradient buffers follow this order.
template <class T>
std::vector<const TensorT<T>*> all_parameters(const DirectionWeights<T>& w) {
    std::vector<const TensorT<T>*> out = {&w.w_ih, &w.w_hh, &w.b_ih, &w.b_hh, &w.w_hr};
    for (const auto& p : w.own) out.push_back(&p);
    return out;
}
constexpr std::size_t kStandardParameters = 5;  // w_ih, w_hh, b_ih, b_hh, w_hr

// Where each direction's first unit adds its standard weight gradients: straight into the
// parameters' (null where none is wanted). Each gets one finished value there, the bits of
// adding a buffer of it first. None (all buffers) when a tensor serves twice: units would meet.
template <class T>
std::vector<std::vector<T*>> first_unit_gradients(const std::vector<DirectionWeights<T>>& dirs) {
    std::vector<const TensorT<T>*> wanted;
    for (const auto& w : dirs)
        for (std::size_t i = 0; i < kStandardParameters; ++i)
            if (const TensorT<T>* p = all_parameters(w)[i]; p->defined() && p->requires_grad()) wanted.push_back(p);
    for (std::size_t i = 0; i < wanted.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (wanted[i]->is_same(*wanted[j])) return std::vector<std::vector<T*>>(dirs.size());
    std::vector<std::vector<T*>> out(dirs.size());
    for (std::size_t k = 0; k < dirs.size(); ++k)
        for (std::size_t i = 0; i < kStandardParameters; ++i) {
            const TensorT<T>* p = all_parameters(dirs[k])[i];
            out[k].push_back(p->defined() && p->requires_grad() ? p->grad_buffer().data() : nullptr);
        }
    return out;
}

// Every direction's weights against the layer's sizes: a direct caller of run_layer gets a
// clear error, not a GEMM reading past an array.
template <class T, class Cell>
void check_directions(const std::vector<DirectionWeights<T>>& dirs, const Dims& d) {
    const std::size_t GH = d.G * d.H;
    auto check = [&](const TensorT<T>& t, const Shape& want, const char* what) {
        XG_CHECK(t.defined() && t.shape() == want,
                 Cell::name << " layer: " << what << " of shape " << (t.defined() ? shape_str(t.shape()) : "(empty)") << ", expected "
                            << shape_str(want));
    };
    const auto own = Cell::parameters(d.H);
    for (const auto& w : dirs) {
        check(w.w_ih, Shape{GH, d.I}, "weight_ih");
        check(w.w_hh, Shape{GH, d.Hout}, "weight_hh");
        if (w.b_ih.defined()) check(w.b_ih, Shape{GH}, "bias_ih");
        if (w.b_hh.defined()) check(w.b_hh, Shape{GH}, "bias_hh");
        if (d.P > 0) check(w.w_hr, Shape{d.P, d.H}, "weight_hr");
        XG_CHECK(w.own.size() == own.size(), Cell::name << ": expected " << own.size() << " parameters of its own, got " << w.own.size());
        for (std::size_t i = 0; i < own.size(); ++i) check(w.own[i], Shape{own[i].length}, own[i].name.c_str());
    }
}

// An initial state: empty, or of shape `want`.
template <class T>
void check_state(const TensorT<T>& s, const Shape& want, const char* cell, const char* what) {
    XG_CHECK(!s.defined() || s.shape() == want,
             cell << " layer: " << what << " of shape " << shape_str(s.shape()) << ", expected " << shape_str(want));
}

// One layer of any cell policy: x (S, B, I), or (B, S, I) when batch_first; one or two
// directions' weights (own: the policy's parameters, in its order); h0 (D, B, Hout) and c0
// (D, B, H) or empty handles; lengths empty or B values in [1, S]. The work units run
// forward now and backward on the tape, as one entry.
template <class T, class Cell>
LayerResult<T> run_layer(const TensorT<T>& x, const std::vector<DirectionWeights<T>>& dirs, const TensorT<T>& h0,
                         const TensorT<T>& c0, const std::vector<std::size_t>& lengths, bool batch_first,
                         const Zoneout& zoneout = {}) {
    const Shape xs = x.shape();
    XG_CHECK(xs.size() == 3, Cell::name << " layer: input must be 3-D, got " << shape_str(xs));
    XG_CHECK(dirs.size() == 1 || dirs.size() == 2, Cell::name << " layer: one or two directions, got " << dirs.size());
    const std::size_t S = batch_first ? xs[1] : xs[0], B = batch_first ? xs[0] : xs[1];
    XG_CHECK(lengths.empty() || lengths.size() == B, Cell::name << " layer: " << lengths.size() << " lengths for a batch of " << B);
    for (std::size_t len : lengths) XG_CHECK(len >= 1 && len <= S, Cell::name << " layer: length " << len << " outside [1, " << S << "]");
    Dims d{xs[2], 0, 0, 0, Cell::gates, dirs.size(), batch_first};
    XG_CHECK(dirs[0].w_ih.defined() && dirs[0].w_ih.dim() == 2 && dirs[0].w_ih.shape()[0] % d.G == 0 && dirs[0].w_ih.shape()[0] > 0,
             Cell::name << " layer: weight_ih must be (" << d.G << " * hidden, input)");
    d.H = dirs[0].w_ih.shape()[0] / d.G;
    d.P = dirs[0].w_hr.defined() ? dirs[0].w_hr.shape()[0] : 0;
    d.Hout = d.P > 0 ? d.P : d.H;
    XG_CHECK(d.P == 0 || Cell::projects, Cell::name << ": has no projection (weight_hr)");
    check_directions<T, Cell>(dirs, d);
    check_state(h0, Shape{d.D, B, d.Hout}, Cell::name, "h0");
    XG_CHECK(!c0.defined() || Cell::has_cell, Cell::name << " layer: has no cell state c0");
    check_state(c0, Shape{d.D, B, d.H}, Cell::name, "c0");
    // Work units: each direction, times chunks of the batch when threads are left over (at
    // least 8 rows a chunk); units share nothing while they run. One direction too small to
    // chunk runs its steps on a team instead: every member its panels of each step's product and
    // its rows of the gate math, between barriers (measured slower than chunks where chunks can
    // be had: the barriers, and gates crossing cores). A cell with parameters of its own (their
    // gradients summed over rows) has no team.
    const std::size_t threads = std::size_t(get_num_threads());
    const std::size_t chunks = d.D >= threads ? 1 : std::max<std::size_t>(1, std::min(threads / d.D, B / 8));
    const std::size_t team = d.D == 1 && chunks == 1 && threads > 1 && Cell::parameters(d.H).empty() ? threads : 1;
    const std::size_t units = d.D * chunks;
    auto packs = std::make_shared<std::vector<Packing>>(make_packings(S, B, lengths, chunks));
    XG_CHECK(zoneout.h >= 0 && zoneout.h <= 1 && zoneout.c >= 0 && zoneout.c <= 1,
             Cell::name << " layer: zoneout probabilities must be in [0, 1], got " << zoneout.h << " and " << zoneout.c);
    const std::size_t steps = lengths.empty() ? S : *std::max_element(lengths.begin(), lengths.end());
    const auto masks = draw_zoneout_masks<T, Cell>(zoneout, d.D, steps, B, d.Hout, d.H);

    Shape ys = batch_first ? Shape{B, S, d.D * d.Hout} : Shape{S, B, d.D * d.Hout};
    // every step of every sequence writes its row of y, so only padding needs zeros
    xt::xarray<T> y = lengths.empty() ? xt::xarray<T>::from_shape(ys) : xt::xarray<T>(xt::zeros<T>(ys));
    xt::xarray<T> hn = xt::zeros<T>({d.D, B, d.Hout});
    xt::xarray<T> cn = Cell::has_cell ? xt::xarray<T>(xt::zeros<T>({d.D, B, d.H})) : xt::xarray<T>();
    auto saved = std::make_shared<std::vector<Saved<T>>>(units);
    const T* xp = x.value().data();
    const T* h0p = h0.defined() ? h0.value().data() : nullptr;
    const T* c0p = c0.defined() ? c0.value().data() : nullptr;
    // recurrent weights packed once per direction, shared by that direction's units and steps
    std::vector<PackedWeights<T>> packed(d.D);
    std::vector<std::vector<const T*>> params(d.D);
    for (std::size_t k = 0; k < d.D; ++k) {
        packed[k] = pack_weights(dirs[k], /*for_backward=*/false);
        for (const auto& p : dirs[k].own) params[k].push_back(p.value().data());
    }
    parallel_for(units, [&](std::size_t u) {
        const std::size_t k = u / chunks, c = u % chunks;
        const ForwardIO<T> io{.x = xp,
                              .h0 = h0p ? h0p + k * B * d.Hout : nullptr,
                              .c0 = c0p ? c0p + k * B * d.H : nullptr,
                              .y = y.data(),
                              .y_off = k * d.Hout,
                              .h_n = hn.data() + k * B * d.Hout,
                              .c_n = Cell::has_cell ? cn.data() + k * B * d.H : nullptr};
        forward_direction<T, Cell>(Unit<T>{d, (*packs)[c], k == 1, dirs[k], packed[k], params[k].data(), zoneout, &masks[k], team}, io,
                                   (*saved)[u]);
    });

    LayerResult<T> res{TensorT<T>(std::move(y)), TensorT<T>(std::move(hn)),
                       Cell::has_cell ? TensorT<T>(std::move(cn)) : TensorT<T>()};
    std::vector<TensorT<T>> inputs = {x, h0, c0};
    for (const auto& w : dirs)
        for (const TensorT<T>* p : all_parameters(w)) inputs.push_back(*p);
    if (!needs_grad(inputs)) return res;

    std::vector<TensorT<T>> outputs = {res.y, res.h_n};
    if (Cell::has_cell) outputs.push_back(res.c_n);
    static const std::string op_name = std::string(Cell::name) + " layer";  // the tape keeps the pointer
    record_multi<T>(outputs, [d, packs, chunks, units, team, saved, x, h0, c0, dirs](const std::vector<TensorT<T>>& outs) {
        const T* dy = outs[0].has_grad() ? outs[0].grad().data() : nullptr;
        const T* dhn = outs[1].has_grad() ? outs[1].grad().data() : nullptr;
        const T* dcn = outs.size() > 2 && outs[2].has_grad() ? outs[2].grad().data() : nullptr;
        auto wants = [](const TensorT<T>& t) { return t.defined() && t.requires_grad(); };
        const bool consume = backward_frees_graph();  // read here: the units may run on other threads
        // gradient buffers are allocated here, before the units run
        T* dh0 = wants(h0) ? h0.grad_buffer().data() : nullptr;
        T* dc0 = wants(c0) ? c0.grad_buffer().data() : nullptr;
        T* dx = wants(x) ? x.grad_buffer().data() : nullptr;
        const std::size_t B = (*packs)[0].B;
        // Each unit's parameter gradients (all_parameters' order), summed afterwards, and its
        // packed input gradient. The forward direction's chunks own disjoint rows, so they add
        // theirs into dx at once; the reverse direction's wait (x's gradient then sums the
        // directions in a fixed order).
        struct UnitGrads {
            std::vector<Buffer<T>> params;
            Buffer<T> dX;
        };
        std::vector<UnitGrads> ug(units);
        const std::vector<std::vector<T*>> direct = first_unit_gradients(dirs);
        std::vector<PackedWeights<T>> packed(d.D);
        std::vector<std::vector<const T*>> own(d.D);
        for (std::size_t k = 0; k < d.D; ++k) {
            packed[k] = pack_weights(dirs[k], /*for_backward=*/true);
            for (const auto& p : dirs[k].own) own[k].push_back(p.value().data());
        }
        parallel_for(units, [&](std::size_t u) {
            const std::size_t k = u / chunks, c = u % chunks;
            const auto params = all_parameters(dirs[k]);
            std::vector<T*> gp(params.size(), nullptr);
            ug[u].params.resize(params.size());
            for (std::size_t i = 0; i < params.size(); ++i)
                if (i < kStandardParameters && c == 0 && !direct[k].empty()) {
                    gp[i] = direct[k][i];
                } else if (i >= kStandardParameters || wants(*params[i])) {  // the steps write the cell's own always
                    ug[u].params[i] = zeroed<T>(params[i]->numel());
                    gp[i] = ug[u].params[i].get();
                }
            const PaddedSequences<T> io{x.value().data(), outs[0].value().data(), dy, k * d.Hout};
            const StateGrads<T> st{.dh_n = dhn ? dhn + k * B * d.Hout : nullptr,
                                   .dc_n = dcn ? dcn + k * B * d.H : nullptr,
                                   .dh0 = dh0 ? dh0 + k * B * d.Hout : nullptr,
                                   .dc0 = dc0 ? dc0 + k * B * d.H : nullptr};
            const DirectionGrads<T> g{gp[0], gp[1], gp[2], gp[3], gp[4], gp.data() + kStandardParameters};
            backward_direction<T, Cell>(Unit<T>{d, (*packs)[c], k == 1, dirs[k], packed[k], own[k].data(), Zoneout{}, nullptr, team},
                                        (*saved)[u], io, st, g, wants(x) ? &ug[u].dX : nullptr, consume);
            if (k == 0 && ug[u].dX) {
                unpack_add_rows((*packs)[c], false, d.batch_first, ug[u].dX.get(), d.I, dx);
                ug[u].dX.reset();
            }
        });
        // each parameter's gradient += its direction's units' buffers, in unit order, in blocks
        // over the threads (every value adds in that order: the same bits on any thread count)
        for (std::size_t k = 0; k < d.D; ++k) {
            const auto params = all_parameters(dirs[k]);
            for (std::size_t i = 0; i < params.size(); ++i) {
                std::vector<const T*> parts;
                for (std::size_t c = 0; c < chunks; ++c)
                    if (ug[k * chunks + c].params[i]) parts.push_back(ug[k * chunks + c].params[i].get());
                if (!wants(*params[i]) || parts.empty()) continue;
                T* into = params[i]->grad_buffer().data();
                parallel_blocks(params[i]->numel(), std::size_t(1) << 14, [&](std::size_t first, std::size_t last) {
                    for (const T* src : parts) add_into(last - first, src + first, into + first);
                });
            }
        }
        if (d.D == 2)  // the reverse direction's chunks own disjoint rows of dx
            parallel_for(chunks, [&](std::size_t c) {
                if (ug[chunks + c].dX) unpack_add_rows((*packs)[c], true, d.batch_first, ug[chunks + c].dX.get(), d.I, dx);
            });
    }, op_name.c_str(), inputs);
    return res;
}

}  // namespace xg::nn::detail

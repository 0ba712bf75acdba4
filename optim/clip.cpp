#include "optim/clip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "core/parallel.hpp"
#include "core/simd.hpp"
#include "optim/elementwise.hpp"

namespace xg::optim {

namespace {

// Sums in SIMD lanes (one running sum is a serial chain the compiler may not reorder),
// in float within chunks of 1024 elements and in double across chunks: the squares of
// millions of floats lose digits in one float sum.
constexpr std::size_t kChunk = 1024;

// The gradients to clip, in the order given (a tensor listed twice counts twice, as in torch)
std::vector<std::pair<float*, std::size_t>> gradients_of(const std::vector<Tensor>& params) {
    std::vector<std::pair<float*, std::size_t>> out;
    for (const Tensor& t : params)
        if (t.defined() && t.has_grad()) out.emplace_back(t.grad().data(), t.grad().size());
    return out;
}

// kChunk values (fewer at a gradient's end) of gradient `grad`
struct Chunk {
    std::size_t grad;
    const float* g;
    std::size_t n;
};

std::vector<Chunk> chunks_of(const std::vector<std::pair<float*, std::size_t>>& grads) {
    std::vector<Chunk> out;
    for (std::size_t k = 0; k < grads.size(); ++k)
        for (std::size_t i = 0; i < grads[k].second; i += kChunk) out.push_back({k, grads[k].first + i, std::min(kChunk, grads[k].second - i)});
    return out;
}

// f(chunk) of every chunk, spread over the threads (16 chunks a block); in chunk order
template <class F>
std::vector<double> per_chunk(const std::vector<Chunk>& chunks, F&& f) {
    std::vector<double> out(chunks.size());
    parallel_blocks(chunks.size(), 16, [&](std::size_t begin, std::size_t end) {
        for (std::size_t c = begin; c < end; ++c) out[c] = f(chunks[c]);
    });
    return out;
}

// sum of f(g[i]) over one chunk in float SIMD lanes; f takes and returns a float or a batch of floats
template <class F>
double lane_sum(const float* g, std::size_t n, F&& f) {
    simd::Lane<float> acc(0.f);
    float rest = 0;
    simd::for_each<float>(n, [&](std::size_t i, auto like) {
        using V = decltype(like);
        if constexpr (simd::is_batch<V>)
            acc = acc + f(simd::loadu<V>(g + i));
        else
            rest += f(g[i]);
    });
    return double(simd::reduce_add(acc)) + rest;
}

// The sum of f(g) over all gradients: the chunks' lane sums on the threads, then added in
// order, each gradient's apart and then into the total (a serial loop's bits). A chunk whose
// float sum is not finite (|g| > 1.8e19 squared, or a nan) is summed again in double.
template <class F>
double total_sum(const std::vector<std::pair<float*, std::size_t>>& grads, F&& f) {
    const std::vector<Chunk> chunks = chunks_of(grads);
    const std::vector<double> sums = per_chunk(chunks, [&](const Chunk& c) { return lane_sum(c.g, c.n, f); });
    double total = 0, own = 0;
    for (std::size_t c = 0; c < chunks.size(); ++c) {
        if (std::isfinite(sums[c])) own += sums[c];
        else
            for (std::size_t i = 0; i < chunks[c].n; ++i) own += f(double(chunks[c].g[i]));
        if (c + 1 == chunks.size() || chunks[c + 1].grad != chunks[c].grad) {
            total += own;
            own = 0;
        }
    }
    return total;
}

// max |g|, or nan if any g is nan (as torch's max does)
float max_abs(const float* g, std::size_t n) {
    simd::Lane<float> acc(0.f), poison(0.f);
    float m = 0, rest = 0;
    simd::for_each<float>(n, [&](std::size_t i, auto like) {
        using V = decltype(like);
        const V a = simd::abs(simd::loadu<V>(g + i));
        if constexpr (simd::is_batch<V>) {
            acc = simd::max(acc, a);
            poison = poison + (a - a);  // 0, or nan once a was nan
        } else {
            m = simd::max(m, a);
            rest += a - a;
        }
    });
    return simd::max(m, float(simd::reduce_max(acc))) + rest + float(simd::reduce_add(poison));
}

}  // namespace

float clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
    XG_CHECK(norm_type > 0, "clip_grad_norm: norm_type must be positive or inf, got " << norm_type);
    // NaN would clip nothing and a negative threshold would flip every gradient's sign
    XG_CHECK(max_norm >= 0, "clip_grad_norm: max_norm must be a number >= 0, got " << max_norm);
    const auto grads = gradients_of(params);
    // total = (sum over all gradients of sum |g|^p)^(1/p), or max |g| for p = inf
    const bool is_inf = std::isinf(norm_type);
    double total = 0;
    if (is_inf) {  // the largest chunk maximum; nan if any is
        const std::vector<Chunk> chunks = chunks_of(grads);
        for (const double m : per_chunk(chunks, [](const Chunk& c) -> double { return max_abs(c.g, c.n); }))
            total = std::isnan(m) || std::isnan(total) ? std::numeric_limits<double>::quiet_NaN() : std::max(total, m);
    } else if (norm_type == 2) {
        total = total_sum(grads, [](const auto& x) { return x * x; });
    } else if (norm_type == 1) {
        total = total_sum(grads, [](const auto& x) { return simd::abs(x); });
    } else {  // rare: a plain loop in double
        for (const auto& [g, n] : grads)
            for (std::size_t i = 0; i < n; ++i) total += std::pow(std::abs(double(g[i])), norm_type);
    }
    if (!is_inf && norm_type != 1) total = norm_type == 2 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);

    const float total_f = static_cast<float>(total);
    XG_CHECK(!error_if_nonfinite || std::isfinite(total_f),
             "clip_grad_norm: the total norm of order " << norm_type << " for gradients from the parameters is "
                                                        << total_f << ", so it cannot be clipped");
    const float scale = static_cast<float>(max_norm) / (total_f + 1e-6f);
    if (scale < 1)
        for (const auto& [g, n] : grads)  // one gradient at a time: a tensor listed twice is scaled twice, never at once
            detail::for_blocks(n, [g = g, scale](std::size_t first, std::size_t last) {
                for (std::size_t i = first; i < last; ++i) g[i] *= scale;
            });
    return total_f;
}

void clip_grad_value(const std::vector<Tensor>& params, double clip_value) {
    XG_CHECK(clip_value >= 0, "clip_grad_value: clip_value must be a number >= 0, got " << clip_value);
    const float hi = static_cast<float>(clip_value), lo = -hi;
    for (const Tensor& t : params) {
        if (!t.defined() || !t.has_grad()) continue;
        auto& grad = t.grad();
        float* g = grad.data();
        const std::size_t n = grad.size();
        for (std::size_t i = 0; i < n; ++i) g[i] = std::min(std::max(g[i], lo), hi);
    }
}

}  // namespace xg::optim

#include "optim/clip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/parallel.hpp"
#include "core/simd.hpp"

namespace xg::optim {

namespace {

// Sums in SIMD lanes (one running sum is a serial chain the compiler may not reorder),
// in float within chunks of 1024 elements and in double across chunks: the squares of
// millions of floats lose digits in one float sum.
constexpr std::size_t kChunk = 1024;

// kChunk values (fewer at a gradient's end) of one parameter's gradient
struct Chunk {
    float* g;
    std::size_t n;
};

std::vector<Chunk> chunks_of(const std::vector<Tensor>& params) {
    std::vector<Chunk> out;
    for (const Tensor& t : params) {
        if (!t.defined() || !t.has_grad()) continue;
        auto& grad = t.grad();
        for (std::size_t i = 0; i < grad.size(); i += kChunk) out.push_back({grad.data() + i, std::min(kChunk, grad.size() - i)});
    }
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

// sum of f(g[i]) over one chunk (n <= kChunk); f takes and returns a float or a batch of floats
template <class F>
double sum_of(const float* g, std::size_t n, F&& f) {
    simd::Lane<float> acc(0.f);
    float rest = 0;
    simd::for_each<float>(n, [&](std::size_t i, auto like) {
        using V = decltype(like);
        if constexpr (simd::is_batch<V>)
            acc = acc + f(simd::loadu<V>(g + i));
        else
            rest += f(g[i]);
    });
    const double s = double(simd::reduce_add(acc)) + rest;
    if (std::isfinite(s)) return s;
    double exact = 0;  // a square past float's range (|g| > 1.8e19), or a nan: the chunk again in double
    for (std::size_t i = 0; i < n; ++i) exact += f(double(g[i]));
    return exact;
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
    const std::vector<Chunk> chunks = chunks_of(params);
    // total = (sum over all gradients of sum |g|^p)^(1/p), or max |g| for p = inf
    const bool is_inf = std::isinf(norm_type);
    const std::vector<double> parts = per_chunk(chunks, [&](const Chunk& c) -> double {
        if (is_inf) return max_abs(c.g, c.n);
        if (norm_type == 2) return sum_of(c.g, c.n, [](const auto& x) { return x * x; });
        if (norm_type == 1) return sum_of(c.g, c.n, [](const auto& x) { return simd::abs(x); });
        double s = 0;  // rare: a plain loop in double
        for (std::size_t i = 0; i < c.n; ++i) s += std::pow(std::abs(double(c.g[i])), norm_type);
        return s;
    });
    double total = 0;
    for (const double part : parts)  // in order: the same bits on any thread count
        total = !is_inf ? total + part : std::isnan(part) || std::isnan(total) ? std::numeric_limits<double>::quiet_NaN()
                                                                               : std::max(total, part);
    if (!is_inf && norm_type != 1) total = norm_type == 2 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);

    const float total_f = static_cast<float>(total);
    XG_CHECK(!error_if_nonfinite || std::isfinite(total_f),
             "clip_grad_norm: the total norm of order " << norm_type << " for gradients from the parameters is "
                                                        << total_f << ", so it cannot be clipped");
    const float scale = static_cast<float>(max_norm) / (total_f + 1e-6f);
    if (scale < 1)
        per_chunk(chunks, [&](const Chunk& c) {
            for (std::size_t i = 0; i < c.n; ++i) c.g[i] *= scale;
            return 0.0;
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

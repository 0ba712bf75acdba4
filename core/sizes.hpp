/// \file
/// Checked size arithmetic. Every shape becomes an element count (and bytes) here, so a shape
/// whose product wraps around 64 bits, or that no process could hold, is an xg::Error that
/// says "too large" instead of a small wrong count (PyTorch: "Storage size calculation
/// overflowed"). Factories, reshape, expand, one_hot and the recurrent modules use it (the
/// safetensors reader keeps a checked product of its own, for signed strides too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/error.hpp"

namespace xg {

/// The most one array may take: x86-64's user address space (47 bits) and AArch64's (48) hold
/// nothing larger, so a bigger request is a mistake, not a machine that is too small.
inline constexpr std::size_t kMaxArrayBytes = std::size_t(1) << 47;

/// a * b, or an xg::Error naming `what` when the product wraps.
inline std::size_t checked_mul(std::size_t a, std::size_t b, const std::string& what) {
    std::size_t p = 0;
    XG_CHECK(!__builtin_mul_overflow(a, b, &p), what << ": too large: " << a << " x " << b << " does not fit in 64 bits");
    return p;
}

/// a + b, likewise.
inline std::size_t checked_add(std::size_t a, std::size_t b, const std::string& what) {
    std::size_t s = 0;
    XG_CHECK(!__builtin_add_overflow(a, b, &s), what << ": too large: " << a << " + " << b << " does not fit in 64 bits");
    return s;
}

/// The element count of `shape` (any range of sizes) for elements of elem_size bytes, or an
/// xg::Error naming `what` when the count overflows or the bytes exceed kMaxArrayBytes.
template <class Sizes>
std::size_t checked_numel(const Sizes& shape, std::size_t elem_size, const std::string& what) {
    for (auto s : shape)
        if (s == 0) return 0;  // empty, whatever the other sizes
    std::size_t n = 1;
    bool wraps = false;
    for (auto s : shape) wraps = __builtin_mul_overflow(n, static_cast<std::size_t>(s), &n) || wraps;
    std::size_t bytes = 0;
    if (wraps || __builtin_mul_overflow(n, elem_size, &bytes) || bytes > kMaxArrayBytes) {
        std::ostringstream os;
        os << what << ": too large: shape (";
        const char* sep = "";
        for (auto s : shape) os << sep << s, sep = ", ";
        os << (wraps ? ") has more elements than fit in 64 bits" : ") needs more than the 128 TiB one array may take");
        throw Error(os.str());
    }
    return n;
}

}  // namespace xg

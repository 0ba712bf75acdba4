/// \file
/// The one parallel loop the kernels share (internal; the thread count is core/runtime.hpp's).
/// Work is split into independent units (a recurrent layer's directions and batch chunks),
/// each run single-threaded, rather than splitting every small GEMM across threads:
/// units never wait on each other, while a two-thread GEMM synchronises every call.
#pragma once

#include <cstddef>
#include <functional>

#include "core/runtime.hpp"

namespace xg {

/// Calls f(0), ..., f(n - 1), spread over up to get_num_threads() threads (the caller's
/// among them, the rest from a persistent pool). Inside f, parallel_for and GEMMs run on
/// the calling thread. The first exception is rethrown. While one thread's parallel_for
/// holds the pool, another thread's runs its loop alone (same results: callers split work
/// by get_num_threads(), never by who happens to run it).
void parallel_for(std::size_t n, const std::function<void(std::size_t)>& f);
/// True while this thread runs its share of a parallel_for spread over the pool (nested
/// parallel_for and GEMMs then stay on this thread), as torch.in_parallel_region.
bool in_parallel_region();

}  // namespace xg

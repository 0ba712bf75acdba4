/// \file
/// The one parallel loop the kernels share (internal; the thread count is core/runtime.hpp's).
/// Work is split into independent units (a recurrent layer's directions and batch chunks),
/// each run single-threaded, rather than splitting every small GEMM across threads:
/// units never wait on each other, while a two-thread GEMM synchronises every call.
#pragma once

#include <atomic>
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
/// body(begin, end) over [0, n) cut into blocks of `block` values (the last one shorter),
/// spread as parallel_for spreads its indices: an elementwise loop that computes each value
/// alone gives the same bits on any thread count.
void parallel_blocks(std::size_t n, std::size_t block, const std::function<void(std::size_t, std::size_t)>& body);
/// True while this thread runs its share of a parallel_for spread over the pool (nested
/// parallel_for and GEMMs then stay on this thread), as torch.in_parallel_region.
bool in_parallel_region();

/// Where the threads of a team wait for each other (run_team). The waiting spins, then yields.
class TeamBarrier {
public:
    explicit TeamBarrier(std::size_t members) : members_(members) {}
    /// Returns once every member has called it (as often); with one member, at once.
    void wait();
    /// Makes every wait, now and later, throw: a member that failed releases the others.
    void abort() noexcept { aborted_.store(true, std::memory_order_release); }

private:
    std::size_t members_;
    std::atomic<std::size_t> arrived_{0}, phase_{0};
    std::atomic<bool> aborted_{false};
};

/// Runs f(rank, barrier) on n threads at once, rank 0 on the caller, the others from the pool:
/// a loop whose steps need every thread in turn (a recurrent layer's time steps: each member
/// its panels of the step's product, a barrier, its rows of the gate math, a barrier).
/// Returns false, having run nothing, when n threads cannot be had (n < 2, inside a parallel
/// region, or another thread's loop holds the pool): the caller then runs its one-thread path.
/// The first exception a member throws is rethrown (the others leave at their next wait).
bool run_team(std::size_t n, const std::function<void(std::size_t rank, TeamBarrier& barrier)>& f);

}  // namespace xg

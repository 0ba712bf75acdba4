/// \file
/// The runtime under the kernels, as a user sets and reads it: threads (as
/// torch.set_num_threads) and the memory figures of xgrad's workspace (as
/// torch.cuda.memory_stats). The kernels themselves (GEMM, the parallel loop, the workspace)
/// are internal: core/kernels.hpp.
#pragma once

#include <cstddef>

namespace xg {

/// Threads xgrad's kernels use (0: every core). Default: every core. Large GEMMs are split
/// by rows or column panels over these threads (core/gemm.hpp).
void set_num_threads(int n);
/// The thread count set_num_threads() set (every core by default), as torch.get_num_threads.
int get_num_threads();

/// As torch.set_flush_denormal: true makes this thread's float math (and the pool threads'
/// while they run its parallel loops) treat denormal numbers (below 1.2e-38 in float) as zero.
/// Some CPUs (Intel's) take a slow microcode path for every denormal operand or result:
/// gradients that vanish through hundreds of recurrent steps then slow a GEMM several times
/// over. Off by default, as in PyTorch. Returns false where the CPU has no such mode
/// (anything but x86-64), and then changes nothing.
bool set_flush_denormal(bool on);

/// What torch.cuda.memory_stats() tells of PyTorch's caching allocator, for xgrad's kernel
/// workspace (the recurrent layers' saved activations and scratch, packed GEMM panels).
/// Tensor values held by xtensor arrays are not counted here; the process's peak RSS is.
struct MemoryStats {
    std::size_t requested_bytes = 0;       ///< asked for by live blocks
    std::size_t in_use_bytes = 0;          ///< held by live blocks (requests rounded to their block)
    std::size_t peak_in_use_bytes = 0;     ///< highest in_use_bytes since the start or the last reset
    std::size_t cached_bytes = 0;          ///< released blocks kept for reuse
    std::size_t peak_reserved_bytes = 0;   ///< highest in_use + cached
    std::size_t os_allocations = 0;        ///< blocks taken from the system allocator
    std::size_t cache_hits = 0;            ///< requests served from the cache
};
/// The workspace's current figures (thread-safe snapshot), as torch.cuda.memory_stats().
MemoryStats memory_stats();
void reset_peak_memory_stats();  ///< peaks restart from the current figures
void empty_cache();              ///< give every cached block back (torch.cuda.empty_cache)

/// glibc would mmap and unmap each big tensor value, paying page faults and zeroing every
/// time. This keeps blocks up to 32 MiB in the heap and stops trimming it (mallopt). It
/// changes the whole process's allocator, so xgrad never calls it itself: a training program
/// opts in (the examples do). The workspace does not depend on it.
void tune_malloc_for_training();

}  // namespace xg

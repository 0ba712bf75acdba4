/// \file
/// Scratch memory for kernels, recycled. Training asks for big arrays of slightly different
/// sizes every batch (the buckets' lengths differ); memory fresh from the OS costs a page
/// fault and zeroing per page. Released blocks wait in a cache for the next request they fit,
/// and the cache never makes xgrad hold more than its own peak: see workspace.cpp.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

namespace xg {

/// glibc would mmap and unmap each big tensor value, paying page faults and zeroing every
/// time. This keeps blocks up to 32 MiB in the heap and stops trimming it (mallopt). It
/// changes the whole process's allocator, so xgrad never calls it itself: a training program
/// opts in (the examples do). The workspace does not depend on it.
void tune_malloc_for_training();

void* workspace_acquire(std::size_t bytes);  ///< 64-byte aligned, uninitialised
void workspace_release(void* p, std::size_t bytes);  ///< gives back a block from workspace_acquire(bytes), same bytes; null is ignored

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

/// The deleter of a Workspace: gives its block back to the workspace cache.
template <class T>
struct WorkspaceDeleter {
    std::size_t count = 0;  ///< elements of T in the block (its size, needed to release it)
    /// Releases p, a block of count elements of T.
    void operator()(T* p) const { workspace_release(p, count * sizeof(T)); }
};

/// An owning pointer to an array of T from the workspace, released when it dies.
template <class T>
using Workspace = std::unique_ptr<T[], WorkspaceDeleter<T>>;

/// count uninitialised elements of T (64-byte aligned) from the workspace.
template <class T>
Workspace<T> workspace(std::size_t count) {
    return Workspace<T>(static_cast<T*>(workspace_acquire(count * sizeof(T))), WorkspaceDeleter<T>{count});
}

/// count elements of T from the workspace, set to all-zero bytes.
template <class T>
Workspace<T> workspace_zeroed(std::size_t count) {
    Workspace<T> w = workspace<T>(count);
    std::memset(w.get(), 0, count * sizeof(T));
    return w;
}

}  // namespace xg

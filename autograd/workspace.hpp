// Scratch memory for kernels, recycled. Training asks for the same big arrays every
// batch; memory fresh from the OS costs a page fault and zeroing per 4 KiB, and worker
// threads get their large blocks straight from mmap. Released blocks wait in a cache (by
// power-of-two size) for the next request of their size.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

namespace xg {

// Training allocates the same big arrays every batch; glibc would mmap and unmap each one,
// paying page faults and zeroing every time (30 % of an LSTM step). This keeps blocks up to
// 32 MiB in the heap and stops trimming it (mallopt). It changes the whole process's
// allocator, so xgrad never calls it itself: a training program opts in (the examples do).
void tune_malloc_for_training();

void* workspace_acquire(std::size_t bytes);  // 64-byte aligned, uninitialised
void workspace_release(void* p, std::size_t bytes);

template <class T>
struct WorkspaceDeleter {
    std::size_t count = 0;
    void operator()(T* p) const { workspace_release(p, count * sizeof(T)); }
};

template <class T>
using Workspace = std::unique_ptr<T[], WorkspaceDeleter<T>>;

template <class T>
Workspace<T> workspace(std::size_t count) {
    return Workspace<T>(static_cast<T*>(workspace_acquire(count * sizeof(T))), WorkspaceDeleter<T>{count});
}

template <class T>
Workspace<T> workspace_zeroed(std::size_t count) {
    Workspace<T> w = workspace<T>(count);
    std::memset(w.get(), 0, count * sizeof(T));
    return w;
}

}  // namespace xg

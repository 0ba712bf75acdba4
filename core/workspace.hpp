/// \file
/// Scratch memory for kernels, recycled. Training asks for big arrays of slightly different
/// sizes every batch (the buckets' lengths differ); memory fresh from the OS costs a page
/// fault and zeroing per page. Internal: users see its figures through core/runtime.hpp. Released blocks wait in a cache for the next request they fit,
/// and the cache never makes xgrad hold more than its own peak plus a sixteenth of it (at least
/// 4 MiB): see workspace.cpp.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

#include "core/runtime.hpp"

namespace xg {

void* workspace_acquire(std::size_t bytes);  ///< 64-byte aligned, uninitialised
void workspace_release(void* p, std::size_t bytes);  ///< gives back a block from workspace_acquire(bytes), same bytes; null is ignored


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

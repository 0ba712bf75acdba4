#include "autograd/workspace.hpp"

#include <malloc.h>

#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace xg {

namespace {

constexpr std::size_t kMinBlock = 4096;
constexpr std::size_t kMaxCached = std::size_t(4) << 30;  // beyond this, released blocks are freed

struct Cache {
    std::mutex mutex;
    std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // block size -> blocks
    std::size_t cached = 0;
    ~Cache() {
        for (auto& [size, blocks] : free_blocks)
            for (void* p : blocks) std::free(p);
    }
};

Cache& cache() {
    static Cache c;
    return c;
}

std::size_t block_size(std::size_t bytes) { return std::bit_ceil(std::max(bytes, kMinBlock)); }

}  // namespace

void tune_malloc_for_training() {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

void* workspace_acquire(std::size_t bytes) {
    const std::size_t size = block_size(bytes);
    {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        auto it = c.free_blocks.find(size);
        if (it != c.free_blocks.end() && !it->second.empty()) {
            void* p = it->second.back();
            it->second.pop_back();
            c.cached -= size;
            return p;
        }
    }
    void* p = std::aligned_alloc(64, size);
    if (!p) throw std::bad_alloc();
    return p;
}

void workspace_release(void* p, std::size_t bytes) {
    if (!p) return;
    const std::size_t size = block_size(bytes);
    Cache& c = cache();
    {
        std::lock_guard<std::mutex> lock(c.mutex);
        if (c.cached + size <= kMaxCached) {
            c.free_blocks[size].push_back(p);
            c.cached += size;
            return;
        }
    }
    std::free(p);
}

}  // namespace xg

#include "core/workspace.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace xg {

namespace {

constexpr std::size_t kSmallLimit = std::size_t(64) << 10;  // below: power-of-two classes from malloc
constexpr std::size_t kPage = 4096;
constexpr std::size_t kHugePage = std::size_t(2) << 20;     // from here: own mappings, in huge pages
constexpr std::size_t kSlackFloor = std::size_t(4) << 20;   // the cache's least room above the high-water mark

// A cached block of `size` bytes may serve a request of `need` (both block sizes). A mapped
// block serves a request up to 8 times smaller: its pages are resident already, and refusing
// it would map fresh ones (faults and zeroing) for a request the next batch, of another
// length, asks again. Measured on IMDB (docs/performance.md): a cap of 2x cost 8-11 % on 2
// threads. A small (malloc) block wastes at most a third of itself.
bool fits(std::size_t size, std::size_t need) { return need >= kSmallLimit ? size <= 8 * need : size <= need + need / 2; }

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::size_t block_size(std::size_t bytes) {
    if (bytes < kSmallLimit) return std::bit_ceil(std::max<std::size_t>(bytes, 64));
    if (bytes < kHugePage) return round_up(bytes, kPage);
    return round_up(bytes, kHugePage);
}

// Blocks from 64 KiB on are mapped by the workspace itself, so that giving one back returns
// it to the system instead of leaving a hole in malloc's heap between tensors (which grew a
// long training's peak). From 2 MiB on they are mapped on 2 MiB boundaries and advised into
// transparent huge pages: first touch then costs one fault per 2 MiB instead of one per 4 KiB.
void* map_block(std::size_t size) {
    if (size < kHugePage) {
        void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        return p;
    }
    const std::size_t span = size + kHugePage;
    void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = round_up(start, kHugePage);
    if (aligned > start) munmap(raw, aligned - start);
    if (const std::size_t tail = start + span - (aligned + size); tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
    void* p = reinterpret_cast<void*>(aligned);
    madvise(p, size, MADV_HUGEPAGE);  // advice only: without THP the block still works
    return p;
}

// A mapped block of old_size bytes grown to `size` (block sizes, from 64 KiB on), keeping its
// pages: they are resident already, so only the growth costs first-touch faults. It grows in
// place where it can, else the kernel moves it (then it may lose the 2 MiB alignment that huge
// pages want: only speed, and Linux aligns big anonymous areas itself since 6.7).
void* grow_block(void* old, std::size_t old_size, std::size_t size) {
    void* p = mremap(old, old_size, size, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) {
        munmap(old, old_size);
        return map_block(size);
    }
    if (size >= kHugePage) madvise(p, size, MADV_HUGEPAGE);
    return p;
}

void* os_allocate(std::size_t size) {
    if (size >= kSmallLimit) return map_block(size);
    void* p = std::aligned_alloc(64, size);
    if (!p) throw std::bad_alloc();
    return p;
}

void os_free(void* p, std::size_t size) {
    if (size >= kSmallLimit)
        munmap(p, size);
    else
        std::free(p);
}

// Released blocks by size (best fit), the size of every live block, and the figures.
// The cache never lets in_use + cached grow past the highest in_use seen plus a slack of a
// sixteenth (at least 4 MiB): a request that no cached block fits first gives back cached
// blocks. So the memory held is about the peak of what training needed at once, never a
// collection of every size it ever asked. The slack is there because one step's phases need
// different mixes of sizes under the same peak: without it, each phase evicted the blocks
// the next one wanted and every step mapped them anew (page faults, docs/performance.md).
struct Cache {
    std::mutex mutex;
    std::multimap<std::size_t, void*> free_blocks;
    std::unordered_map<void*, std::size_t> live;  // pointer -> block size
    std::size_t high_water = 0;                   // highest in_use ever (not reset)
    MemoryStats stats;

    ~Cache() { release_all(); }
    void release_all() {
        for (auto& [size, p] : free_blocks) os_free(p, size);
        free_blocks.clear();
        stats.cached_bytes = 0;
    }
    void note_use(void* p, std::size_t size, std::size_t bytes) {
        live.emplace(p, size);
        stats.in_use_bytes += size;
        stats.requested_bytes += bytes;
        stats.peak_in_use_bytes = std::max(stats.peak_in_use_bytes, stats.in_use_bytes);
        stats.peak_reserved_bytes = std::max(stats.peak_reserved_bytes, stats.in_use_bytes + stats.cached_bytes);
        high_water = std::max(high_water, stats.in_use_bytes);
    }
    std::size_t limit_for(std::size_t size) const {
        const std::size_t slack = std::max(high_water / 16, kSlackFloor);
        return std::max(high_water + slack, stats.in_use_bytes + size);
    }
    // Takes cached blocks out until a new block of `size` stays under the limit, and no more:
    // the smallest block that covers the excess alone, else the largest ones until it is
    // covered. The caller frees them outside the lock.
    std::vector<std::pair<void*, std::size_t>> make_room(std::size_t size) {
        std::vector<std::pair<void*, std::size_t>> out;
        const std::size_t limit = limit_for(size);
        auto take = [&](std::multimap<std::size_t, void*>::iterator it) {
            out.emplace_back(it->second, it->first);
            stats.cached_bytes -= it->first;
            free_blocks.erase(it);
        };
        auto excess = [&] { return stats.in_use_bytes + stats.cached_bytes + size - limit; };
        if (stats.in_use_bytes + stats.cached_bytes + size <= limit) return out;
        if (auto it = free_blocks.lower_bound(excess()); it != free_blocks.end()) {
            take(it);
            return out;
        }
        while (!free_blocks.empty() && stats.in_use_bytes + stats.cached_bytes + size > limit)
            take(std::prev(free_blocks.end()));
        return out;
    }
};

Cache& cache() {
    static Cache c;
    return c;
}

}  // namespace

void tune_malloc_for_training() {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

void* workspace_acquire(std::size_t bytes) {
    const std::size_t size = block_size(bytes);
    Cache& c = cache();
    std::vector<std::pair<void*, std::size_t>> evicted;
    std::pair<void*, std::size_t> grown{nullptr, 0};  // a cached block to grow into this one
    {
        std::lock_guard<std::mutex> lock(c.mutex);
        auto it = c.free_blocks.lower_bound(size);
        if (it != c.free_blocks.end() && fits(it->first, size)) {
            void* p = it->second;
            const std::size_t have = it->first;
            c.free_blocks.erase(it);
            c.stats.cached_bytes -= have;
            ++c.stats.cache_hits;
            c.note_use(p, have, bytes);
            return p;
        }
        // A miss for a big block grows the biggest smaller cached block rather than mapping a
        // fresh one: its pages are resident already. Batches of varying lengths ask for ever
        // other sizes, and fresh mappings cost faults and zeroing.
        if (size >= kSmallLimit && it != c.free_blocks.begin() && std::prev(it)->first >= kSmallLimit) {
            const auto below = std::prev(it);
            grown = {below->second, below->first};
            c.stats.cached_bytes -= below->first;
            c.free_blocks.erase(below);
        }
        evicted = c.make_room(size);
    }
    for (auto [q, s] : evicted) os_free(q, s);
    void* p = grown.first ? grow_block(grown.first, grown.second, size) : os_allocate(size);
    std::lock_guard<std::mutex> lock(c.mutex);
    ++c.stats.os_allocations;
    c.note_use(p, size, bytes);
    return p;
}

void workspace_release(void* p, std::size_t bytes) {
    if (!p) return;
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.live.find(p);
    const std::size_t size = it->second;
    c.live.erase(it);
    c.stats.in_use_bytes -= size;
    c.stats.requested_bytes -= bytes;
    c.free_blocks.emplace(size, p);
    c.stats.cached_bytes += size;
}

MemoryStats memory_stats() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    return c.stats;
}

void reset_peak_memory_stats() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.peak_in_use_bytes = c.stats.in_use_bytes;
    c.stats.peak_reserved_bytes = c.stats.in_use_bytes + c.stats.cached_bytes;
}

void empty_cache() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.release_all();
}

}  // namespace xg

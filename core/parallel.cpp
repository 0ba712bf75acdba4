#include "core/parallel.hpp"

#include "core/runtime.hpp"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace xg {

namespace {

int hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n ? int(n) : 1;
}

std::atomic<int>& thread_count() {
    static std::atomic<int> n{hardware_threads()};
    return n;
}

thread_local bool inside_region = false;

// The SSE control word: rounding and the denormal modes of this thread's float math.
#if defined(__x86_64__)
constexpr unsigned kFlushDenormal = 0x8040;  // FTZ (results) | DAZ (inputs)
unsigned read_fp_mode() { return _mm_getcsr(); }
void write_fp_mode(unsigned m) {
    if (_mm_getcsr() != m) _mm_setcsr(m);
}
#else
unsigned read_fp_mode() { return 0; }
void write_fp_mode(unsigned) {}
#endif

void cpu_relax() {
#if defined(__x86_64__)
    _mm_pause();
#endif
}

// Persistent workers: a parallel_for wakes them instead of starting threads (a thread start
// costs tens of microseconds, a wake-up a few). Workers spin briefly after a job, since the
// next one usually follows within microseconds (a layer's forward, then its backward), then sleep.
class Pool {
public:
    ~Pool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
            ++generation_;
        }
        wake_.notify_all();
        for (auto& t : threads_) t.join();
    }

    // Runs f(0..n-1) on the caller and `helpers` pool threads. False when another thread's
    // job holds the pool (the caller then runs the loop alone).
    bool run(std::size_t n, const std::function<void(std::size_t)>& f, std::size_t helpers) {
        std::unique_lock<std::mutex> job(job_mutex_, std::try_to_lock);
        if (!job.owns_lock()) return false;
        while (threads_.size() < helpers) {
            const std::size_t id = threads_.size();
            threads_.emplace_back([this, id] { work(id); });
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = &f;
            n_ = n;
            next_.store(0);
            helpers_ = helpers;
            fp_mode_ = read_fp_mode();  // the helpers compute in the caller's mode
            pending_.store(helpers);
            error_ = nullptr;
            ++generation_;
        }
        wake_.notify_all();
        take_part();
        for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
            if (spin < 20000) {
                cpu_relax();
            } else {
                std::unique_lock<std::mutex> lock(mutex_);
                done_.wait(lock, [&] { return pending_.load() == 0; });
            }
        }
        if (error_) std::rethrow_exception(error_);
        return true;
    }

private:
    void take_part() {
        inside_region = true;  // nested parallel_for and GEMMs stay on this thread
        for (std::size_t i; (i = next_.fetch_add(1)) < n_;) {
            try {
                (*job_)(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex_);
                if (!error_) error_ = std::current_exception();
            }
        }
        inside_region = false;
    }

    void work(std::size_t id) {
        std::uint64_t seen = 0;
        for (;;) {
            for (int spin = 0; spin < 20000 && generation_.load(std::memory_order_acquire) == seen; ++spin) cpu_relax();
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return generation_.load() != seen; });
                seen = generation_.load();
                if (stop_) return;
                if (id >= helpers_) continue;
                write_fp_mode(fp_mode_);
            }
            take_part();
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                std::lock_guard<std::mutex> lock(mutex_);
                done_.notify_all();
            }
        }
    }

    std::mutex job_mutex_;  // one job at a time
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> threads_;
    const std::function<void(std::size_t)>* job_ = nullptr;
    std::size_t n_ = 0, helpers_ = 0;
    unsigned fp_mode_ = 0;
    std::atomic<std::size_t> next_{0}, pending_{0};
    std::atomic<std::uint64_t> generation_{0};
    bool stop_ = false;
    std::exception_ptr error_;
};

Pool& pool() {
    static Pool p;
    return p;
}

}  // namespace

void set_num_threads(int n) { thread_count() = n > 0 ? n : hardware_threads(); }

int get_num_threads() { return thread_count(); }

bool in_parallel_region() { return inside_region; }

bool set_flush_denormal(bool on) {
#if defined(__x86_64__)
    write_fp_mode(on ? read_fp_mode() | kFlushDenormal : read_fp_mode() & ~kFlushDenormal);
    return true;
#else
    (void)on;
    return false;
#endif
}

namespace {
// thrown by a wait of an aborted team; run_team swallows it and rethrows the cause
struct TeamAborted {};
}  // namespace

void TeamBarrier::wait() {
    if (members_ <= 1) return;
    const std::size_t phase = phase_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == members_) {
        arrived_.store(0, std::memory_order_relaxed);     // before the release below: the next
        phase_.fetch_add(1, std::memory_order_release);  // phase's arrivals count from zero
        return;
    }
    for (int spin = 0; phase_.load(std::memory_order_acquire) == phase; ++spin) {
        if (aborted_.load(std::memory_order_acquire)) throw TeamAborted{};
        if (spin < 4000) cpu_relax();
        else std::this_thread::yield();  // a member that lost its core gets it back
    }
}

bool run_team(std::size_t n, const std::function<void(std::size_t rank, TeamBarrier& barrier)>& f) {
    if (n < 2 || inside_region) return false;
    TeamBarrier barrier(n);
    std::exception_ptr cause;
    std::mutex cause_mutex;
    const std::function<void(std::size_t)> member = [&](std::size_t rank) {
        try {
            f(rank, barrier);
        } catch (const TeamAborted&) {
        } catch (...) {
            {
                std::lock_guard<std::mutex> lock(cause_mutex);
                if (!cause) cause = std::current_exception();
            }
            barrier.abort();
        }
    };
    // every member blocks at the barrier until all n run, so the pool's n participants
    // (the caller and n - 1 helpers) take one rank each
    if (!pool().run(n, member, n - 1)) return false;
    if (cause) std::rethrow_exception(cause);
    return true;
}

void parallel_for(std::size_t n, const std::function<void(std::size_t)>& f) {
    const std::size_t workers = inside_region ? 1 : std::min<std::size_t>(n, std::size_t(get_num_threads()));
    if (workers > 1 && pool().run(n, f, workers - 1)) return;
    for (std::size_t i = 0; i < n; ++i) f(i);
}

void parallel_blocks(std::size_t n, std::size_t block, const std::function<void(std::size_t, std::size_t)>& body) {
    if (n <= block) {
        if (n > 0) body(0, n);
        return;
    }
    parallel_for((n + block - 1) / block, [&](std::size_t b) { body(b * block, std::min(n, (b + 1) * block)); });
}

}  // namespace xg

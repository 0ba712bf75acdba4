#include "autograd/parallel.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "autograd/blas.hpp"

namespace xg {

namespace {

int hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n ? int(n) : 1;
}

int& thread_count() {
    static int n = [] {
        // OpenBLAS's own threads spin (sched_yield) between calls and steal the cores our
        // units run on; xgrad splits work itself, so BLAS stays single-threaded.
        blas::set_num_threads(1);
        return hardware_threads();
    }();
    return n;
}

thread_local bool inside_region = false;

}  // namespace

void set_num_threads(int n) { thread_count() = n > 0 ? n : hardware_threads(); }

int get_num_threads() { return thread_count(); }

bool in_parallel_region() { return inside_region; }

void parallel_for(std::size_t n, const std::function<void(std::size_t)>& f) {
    const std::size_t workers = inside_region ? 1 : std::min<std::size_t>(n, std::size_t(get_num_threads()));
    if (workers <= 1) {
        for (std::size_t i = 0; i < n; ++i) f(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto run = [&] {
        inside_region = true;  // nested parallel_for and GEMMs stay on this thread
        for (std::size_t i; (i = next.fetch_add(1)) < n;) {
            try {
                f(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
            }
        }
        inside_region = false;
    };
    std::vector<std::thread> threads;
    for (std::size_t k = 1; k < workers; ++k) threads.emplace_back(run);
    run();
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace xg

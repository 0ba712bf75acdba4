// xgrad's GEMM: every kernel path this CPU runs (AVX-512, AVX2, generic), forced one at a
// time, against the plain-loop reference and against each other, over shapes with tails in
// every dimension, both transposes, accumulation, K beyond one cache block, and threads.
#define BOOST_TEST_MODULE gemm
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/kernels.hpp"  // internal: GEMM, parallel_for, workspace
#include "core/runtime.hpp"

namespace gemm = xg::gemm;

namespace xg::gemm {
inline std::ostream& operator<<(std::ostream& os, Isa isa) { return os << isa_name(isa); }
}  // namespace xg::gemm

namespace {

std::vector<gemm::Isa> supported() {
    std::vector<gemm::Isa> out;
    for (auto isa : {gemm::Isa::generic, gemm::Isa::avx2, gemm::Isa::avx512})
        if (gemm::isa_supported(isa)) out.push_back(isa);
    return out;
}

// Restores the default path (and thread count) when a test case ends, passed or not.
struct Restore {
    int threads = xg::get_num_threads();
    ~Restore() {
        gemm::set_isa(gemm::best_isa());
        xg::set_num_threads(threads);
    }
};

template <class T>
std::vector<T> random_values(std::size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<T> v(n);
    for (auto& x : v) x = T(u(rng));
    return v;
}

// C from one path, with lda/ldb/ldc wider than needed so strides are exercised.
template <class T>
std::vector<T> run(gemm::Isa isa, bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, bool accumulate,
                   const std::vector<T>& a, const std::vector<T>& b, const std::vector<T>& c0, bool reference = false) {
    const std::size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
    std::vector<T> c = c0;
    if (reference) {
        gemm::reference(ta, tb, M, N, K, a.data(), lda, b.data(), ldb, accumulate, c.data(), ldc);
    } else {
        gemm::set_isa(isa);
        gemm::gemm(ta, tb, M, N, K, a.data(), lda, b.data(), ldb, accumulate, c.data(), ldc);
    }
    return c;
}

template <class T>
void check_all_paths(double tol) {
    Restore restore;
    std::mt19937 rng(7);
    const std::size_t Ms[] = {1, 2, 5, 6, 7, 8, 9, 13, 32, 33, 100};
    const std::size_t Ns[] = {1, 7, 8, 15, 16, 17, 24, 31, 32, 33, 47, 100};
    const std::size_t Ks[] = {0, 1, 3, 16, 255, 256, 257, 600};
    int cases = 0;
    for (std::size_t M : Ms)
        for (std::size_t N : Ns)
            for (std::size_t K : Ks) {
                if (M * N * K > 200000 && K != 600) continue;  // keep the sweep quick
                const bool ta = (cases & 1) != 0, tb = (cases & 2) != 0, acc = (cases & 4) != 0;
                ++cases;
                const std::size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
                const auto a = random_values<T>((ta ? K : M) * lda + 1, rng);
                const auto b = random_values<T>((tb ? N : K) * ldb + 1, rng);
                const auto c0 = random_values<T>(M * ldc, rng);
                const auto want = run<T>(gemm::Isa::generic, ta, tb, M, N, K, acc, a, b, c0, /*reference=*/true);
                std::vector<std::vector<T>> got;
                for (auto isa : supported()) {
                    got.push_back(run<T>(isa, ta, tb, M, N, K, acc, a, b, c0));
                    double worst = 0;
                    for (std::size_t i = 0; i < M; ++i)
                        for (std::size_t j = 0; j < N; ++j)
                            worst = std::max(worst, std::abs(double(got.back()[i * ldc + j]) - double(want[i * ldc + j])));
                    // padding columns of C are never written
                    bool untouched = true;
                    for (std::size_t i = 0; i < M; ++i)
                        for (std::size_t j = N; j < ldc; ++j) untouched = untouched && got.back()[i * ldc + j] == c0[i * ldc + j];
                    BOOST_TEST(worst <= tol * std::sqrt(double(K) + 1),
                               gemm::isa_name(isa) << " M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb
                                                   << " acc=" << acc << ": largest difference " << worst);
                    BOOST_TEST(untouched, gemm::isa_name(isa) << " wrote past column N");
                }
            }
    BOOST_TEST(cases > 300);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_default_path_is_the_best_this_cpu_runs) {
    BOOST_TEST(gemm::isa_supported(gemm::Isa::generic));
    BOOST_TEST(gemm::active_isa() == gemm::best_isa());
    BOOST_TEST_MESSAGE("best GEMM path here: " << gemm::isa_name(gemm::best_isa()));
    for (auto isa : {gemm::Isa::avx2, gemm::Isa::avx512})
        if (!gemm::isa_supported(isa)) {
            BOOST_CHECK_THROW(gemm::set_isa(isa), std::invalid_argument);
            BOOST_TEST(gemm::active_isa() == gemm::best_isa());
        }
}

BOOST_AUTO_TEST_CASE(every_path_matches_the_reference_in_float) { check_all_paths<float>(2e-6); }

BOOST_AUTO_TEST_CASE(every_path_matches_the_reference_in_double) { check_all_paths<double>(1e-14); }

// A bias given to a non-accumulating product is C filled with the bias, then accumulated:
// the same bits, on every path, for every tail, both transposes, K over several blocks.
template <class T>
void check_bias_is_a_filled_c() {
    Restore restore;
    std::mt19937 rng(11);
    int cases = 0, differ = 0;
    for (std::size_t M : {1, 7, 9, 33, 100})
        for (std::size_t N : {1, 15, 17, 33, 100})
            for (std::size_t K : {0, 3, 256, 600}) {
                const bool ta = (cases & 1) != 0, tb = (cases & 2) != 0;
                ++cases;
                const std::size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
                const auto a = random_values<T>((ta ? K : M) * lda + 1, rng);
                const auto b = random_values<T>((tb ? N : K) * ldb + 1, rng);
                const auto bias = random_values<T>(N, rng);
                std::vector<T> filled = random_values<T>(M * ldc, rng);
                const std::vector<T> c0 = filled;
                for (std::size_t i = 0; i < M; ++i) std::copy_n(bias.data(), N, filled.data() + i * ldc);
                for (auto isa : supported()) {
                    gemm::set_isa(isa);
                    std::vector<T> want = filled, got = c0;
                    gemm::gemm(ta, tb, M, N, K, a.data(), lda, b.data(), ldb, true, want.data(), ldc);
                    gemm::gemm(ta, tb, M, N, K, a.data(), lda, b.data(), ldb, false, got.data(), ldc, bias.data());
                    if (got != want) ++differ;
                    BOOST_TEST((got == want), gemm::isa_name(isa) << " M=" << M << " N=" << N << " K=" << K << " ta=" << ta
                                                                  << " tb=" << tb << ": bias differs from a filled C");
                }
            }
    BOOST_TEST(cases == 100);
    BOOST_TEST(differ == 0);
}

BOOST_AUTO_TEST_CASE(a_bias_is_the_same_as_a_c_filled_with_it) {
    check_bias_is_a_filled_c<float>();
    check_bias_is_a_filled_c<double>();
}

BOOST_AUTO_TEST_CASE(a_packed_b_is_reused_across_products) {
    Restore restore;
    std::mt19937 rng(3);
    const std::size_t M = 9, N = 40, K = 70;
    const auto w = random_values<float>(N * K, rng);  // W (N, K): B = W^T, as a recurrent step uses it
    for (auto isa : supported()) {
        const auto packed = gemm::pack(w.data(), K, /*trans=*/true, K, N, isa);
        BOOST_TEST(packed.isa == isa);
        std::vector<float> c(M * N, 0.f), want(M * N, 0.f);
        for (int step = 0; step < 3; ++step) {
            const auto h = random_values<float>(M * K, rng);
            gemm::multiply(M, h.data(), K, false, packed, true, c.data(), N);
            gemm::reference(false, true, M, N, K, h.data(), K, w.data(), K, true, want.data(), N);
        }
        for (std::size_t i = 0; i < c.size(); ++i) BOOST_TEST(std::abs(c[i] - want[i]) < 1e-4, gemm::isa_name(isa));
    }
}

// pack_rows: B's rows gathered from anywhere pack to the bits of the gathered copy packed,
// on every path and whether the packing splits over threads or not (K x N >= 65536 splits).
BOOST_AUTO_TEST_CASE(rows_packed_where_they_live_are_the_gathered_copy_packed) {
    Restore restore;
    std::mt19937 rng(4);
    for (auto isa : supported())
        for (int threads : {1, 2})
            for (std::size_t N : {1, 17, 100, 200}) {
                xg::set_num_threads(threads);
                const std::size_t K = 700, M = 24, stride = N + 9;
                const auto source = random_values<float>(2 * K * stride, rng);  // twice the rows, wider ones
                std::vector<const float*> rows(K);
                std::vector<float> gathered(K * N);
                for (std::size_t k = 0; k < K; ++k) {
                    rows[k] = source.data() + ((k * 389) % (2 * K)) * stride + 5;  // scattered, out of order
                    std::copy_n(rows[k], N, gathered.data() + k * N);
                }
                const auto from_rows = gemm::pack_rows(rows.data(), K, N, isa);
                const auto from_copy = gemm::pack(gathered.data(), N, false, K, N, isa);
                const std::size_t values = (N + from_copy.nr - 1) / from_copy.nr * K * from_copy.nr;
                BOOST_TEST(from_rows.isa == isa);
                BOOST_TEST((from_rows.K == K && from_rows.N == N && from_rows.nr == from_copy.nr));
                BOOST_TEST(std::equal(from_rows.data.get(), from_rows.data.get() + values, from_copy.data.get()),
                           gemm::isa_name(isa) << " N=" << N << " threads=" << threads);
                // and the product through it is right: C = A^T B, as a weight gradient reads it
                const auto a = random_values<float>(K * M, rng);
                std::vector<float> c(M * N, 0.f), want(M * N, 0.f);
                gemm::multiply(M, a.data(), M, true, from_rows, false, c.data(), N);
                gemm::reference(true, false, M, N, K, a.data(), M, gathered.data(), N, false, want.data(), N);
                for (std::size_t i = 0; i < c.size(); ++i) BOOST_TEST(std::abs(c[i] - want[i]) < 1e-3, gemm::isa_name(isa) << " N=" << N);
            }
}

// pack_joined_rows: [left | right], both gathered from anywhere, packs to the bits of the
// joined copy packed, wherever the join falls in a panel (also at either end)
BOOST_AUTO_TEST_CASE(joined_rows_pack_to_the_joined_copy_packed) {
    Restore restore;
    std::mt19937 rng(5);
    for (auto isa : supported())
        for (int threads : {1, 2})
            for (std::size_t N : {1, 17, 100, 200})
                for (std::size_t n_left : {std::size_t(0), std::size_t(1), N / 3, N - 1, N}) {
                    xg::set_num_threads(threads);
                    const std::size_t K = 700, stride = N + 9;
                    const auto lsource = random_values<float>(K * stride, rng), rsource = random_values<float>(K * stride, rng);
                    std::vector<const float*> left(K), right(K);
                    std::vector<float> joined(K * N);
                    for (std::size_t k = 0; k < K; ++k) {
                        left[k] = lsource.data() + ((k * 389) % K) * stride + 3;  // scattered, out of order
                        right[k] = rsource.data() + ((k * 211) % K) * stride + 7;
                        std::copy_n(left[k], n_left, joined.data() + k * N);
                        std::copy_n(right[k], N - n_left, joined.data() + k * N + n_left);
                    }
                    const auto from_rows = gemm::pack_joined_rows(left.data(), n_left, right.data(), K, N, isa);
                    const auto from_copy = gemm::pack(joined.data(), N, false, K, N, isa);
                    const std::size_t values = (N + from_copy.nr - 1) / from_copy.nr * K * from_copy.nr;
                    BOOST_TEST((from_rows.isa == isa && from_rows.K == K && from_rows.N == N && from_rows.nr == from_copy.nr));
                    BOOST_TEST(std::equal(from_rows.data.get(), from_rows.data.get() + values, from_copy.data.get()),
                               gemm::isa_name(isa) << " N=" << N << " n_left=" << n_left << " threads=" << threads);
                }
    BOOST_CHECK_THROW(gemm::pack_joined_rows<float>(nullptr, 3, nullptr, 0, 2), xg::Error);
}

// pack with trans (B = W^T, W's rows contiguous: the recurrent weights) transposes by vector
// blocks where whole ones fit: the same bits as the transposed copy packed, for every block
// edge (16 and 8 values), partial panels and the padding's zeros.
template <class T>
void check_transposed_packing() {
    Restore restore;
    std::mt19937 rng(5);
    for (auto isa : supported())
        for (std::size_t K : {1, 7, 8, 16, 17, 40, 300})
            for (std::size_t N : {1, 9, 16, 24, 33, 100}) {
                const std::size_t ldb = K + 3;
                const auto w = random_values<T>(N * ldb, rng);  // W (N, K), rows ldb apart
                std::vector<T> copy(K * N);                      // W^T (K, N)
                for (std::size_t n = 0; n < N; ++n)
                    for (std::size_t k = 0; k < K; ++k) copy[k * N + n] = w[n * ldb + k];
                const auto transposed = gemm::pack(w.data(), ldb, true, K, N, isa);
                const auto plain = gemm::pack(copy.data(), N, false, K, N, isa);
                const std::size_t values = (N + plain.nr - 1) / plain.nr * K * plain.nr;
                BOOST_TEST(std::equal(transposed.data.get(), transposed.data.get() + values, plain.data.get()),
                           gemm::isa_name(isa) << " K=" << K << " N=" << N);
            }
}

BOOST_AUTO_TEST_CASE(a_transposed_b_packs_to_its_transposed_copy_packed) {
    check_transposed_packing<float>();
    check_transposed_packing<double>();
}

// multiply_rows: A's rows read where they live give the bits of the gathered copy multiplied,
// with partial strips (M % 8), several row blocks (M > 96), several depth blocks (K > 256),
// partial panels (N = 17 on every ISA, 72 on AVX-512), a bias, and split over threads (2
// threads, big enough) or not; no rows at all write nothing.
template <class T>
void check_rows_read_where_they_live(std::mt19937& rng) {
    for (auto isa : supported())
        for (int threads : {1, 2})
            for (std::size_t M : {0, 1, 13, 200})
                for (std::size_t N : {17, 72}) {
                    gemm::set_isa(isa);
                    xg::set_num_threads(threads);
                    const std::size_t K = 300, stride = K + 3;
                    const auto source = random_values<T>(3 * M * stride + 1, rng);
                    std::vector<const T*> rows(M);
                    std::vector<T> gathered(M * K);
                    for (std::size_t m = 0; m < M; ++m) {
                        rows[m] = source.data() + ((m * 7 + 2) % (3 * M)) * stride + 1;
                        std::copy_n(rows[m], K, gathered.data() + m * K);
                    }
                    const auto b = random_values<T>(K * N, rng), bias = random_values<T>(N, rng);
                    const auto packed = gemm::pack(b.data(), N, false, K, N);
                    for (bool accumulate : {false, true}) {
                        std::vector<T> from_rows(M * N, T(0.5)), from_copy(M * N, T(0.5));
                        gemm::multiply_rows(M, rows.data(), packed, accumulate, from_rows.data(), N, bias.data());
                        gemm::multiply(M, gathered.data(), K, false, packed, accumulate, from_copy.data(), N, bias.data());
                        BOOST_TEST((from_rows == from_copy), gemm::isa_name(isa) << " M=" << M << " N=" << N << " threads=" << threads
                                                                                 << " acc=" << accumulate << " " << sizeof(T));
                    }
                }
}

BOOST_AUTO_TEST_CASE(a_rows_read_where_they_live_are_the_gathered_copy) {
    Restore restore;
    std::mt19937 rng(6);
    check_rows_read_where_they_live<float>(rng);
    check_rows_read_where_they_live<double>(rng);
}

BOOST_AUTO_TEST_CASE(threads_do_not_change_a_single_bit) {
    Restore restore;
    std::mt19937 rng(5);
    // wide and deep enough to be split, by rows (M large) and by panels (M small)
    for (std::size_t M : {8, 300}) {
        const std::size_t N = 520, K = 700;
        const auto a = random_values<float>(M * K, rng), b = random_values<float>(K * N, rng);
        std::vector<std::vector<float>> out;
        for (int threads : {1, 2, 3}) {
            xg::set_num_threads(threads);
            std::vector<float> c(M * N, 0.f);
            gemm::gemm(false, false, M, N, K, a.data(), K, b.data(), N, false, c.data(), N);
            out.push_back(c);
        }
        BOOST_TEST(out[0] == out[1]);
        BOOST_TEST(out[0] == out[2]);
    }
}

// multiply_part: the parts of a product, each on its own, add up to multiply()'s bits.
BOOST_AUTO_TEST_CASE(the_parts_of_a_product_are_the_product) {
    Restore restore;
    std::mt19937 rng(8);
    for (auto isa : supported()) {
        gemm::set_isa(isa);
        for (std::size_t N : {1, 40, 100, 520}) {
            const std::size_t M = 13, K = 300;
            const auto a = random_values<float>(M * K, rng), b = random_values<float>(K * N, rng), bias = random_values<float>(N, rng);
            const auto packed = gemm::pack(b.data(), N, false, K, N);
            std::vector<float> whole(M * N), parts(M * N, -7.f);
            gemm::multiply(M, a.data(), K, false, packed, false, whole.data(), N, bias.data());
            for (std::size_t part = 0; part < 3; ++part)
                gemm::multiply_part(part, 3, M, a.data(), K, false, packed, false, parts.data(), N, bias.data());
            BOOST_TEST((parts == whole), gemm::isa_name(isa) << " N=" << N);
        }
    }
}

// run_team: n members at once, each its own rank, meeting at every barrier; a member's
// exception reaches the caller and releases the others; no team where none can be had.
BOOST_AUTO_TEST_CASE(a_team_runs_its_members_at_once_and_in_step) {
    Restore restore;
    for (std::size_t n : {2, 3}) {
        xg::set_num_threads(int(n));
        std::atomic<std::size_t> arrived{0};
        std::vector<int> ranks(n, 0);
        std::atomic<bool> in_step{true};
        const bool ran = xg::run_team(n, [&](std::size_t rank, xg::TeamBarrier& barrier) {
            ranks[rank] += 1;
            for (std::size_t phase = 1; phase <= 200; ++phase) {
                arrived.fetch_add(1);
                barrier.wait();
                if (arrived.load() < n * phase) in_step = false;  // someone passed before all arrived
                barrier.wait();
            }
        });
        BOOST_TEST(ran);
        BOOST_TEST(in_step.load());
        BOOST_TEST(arrived.load() == n * 200);
        BOOST_TEST((ranks == std::vector<int>(n, 1)));
    }
    xg::set_num_threads(2);
    std::string error;
    try {
        xg::run_team(2, [](std::size_t rank, xg::TeamBarrier& barrier) {
            if (rank == 1) XG_CHECK(false, "member 1 failed");
            for (int i = 0; i < 3; ++i) barrier.wait();  // released, not left waiting
        });
    } catch (const std::exception& e) {
        error = e.what();
    }
    BOOST_TEST(error.find("member 1 failed") != std::string::npos, "got: " << error);
    bool nested = true;
    xg::parallel_for(2, [&](std::size_t i) {
        if (i == 0) nested = xg::run_team(2, [](std::size_t, xg::TeamBarrier&) {});
    });
    BOOST_TEST(!nested);  // inside a parallel region: no second team
    BOOST_TEST(!xg::run_team(1, [](std::size_t, xg::TeamBarrier&) {}));
}

// set_flush_denormal, as torch.set_flush_denormal: the caller's mode reaches the pool
// threads that run its loops, and turning it off brings denormals back.
BOOST_AUTO_TEST_CASE(flush_denormal_holds_on_every_thread_of_a_loop) {
    Restore restore;
    xg::set_num_threads(2);
    volatile float tiny = 1e-39f;  // a denormal: below float's smallest normal, 1.18e-38
    const float kept = 1e-39f * 1.5f;
    auto run = [&] {
        std::vector<float> out(64);
        std::vector<std::thread::id> who(64);
        xg::parallel_for(64, [&](std::size_t i) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));  // so both threads take items
            out[i] = tiny * 1.5f;
            who[i] = std::this_thread::get_id();
        });
        std::sort(who.begin(), who.end());
        const long threads = std::unique(who.begin(), who.end()) - who.begin();
        BOOST_TEST(threads == 2);
        return out;
    };
#if defined(__x86_64__)
    BOOST_TEST(xg::set_flush_denormal(true));
    for (float v : run()) BOOST_TEST(v == 0.f);
    BOOST_TEST(xg::set_flush_denormal(false));
    for (float v : run()) BOOST_TEST(v == kept);
#else
    BOOST_TEST(!xg::set_flush_denormal(true));  // no such mode: nothing changes
    for (float v : run()) BOOST_TEST(v == kept);
#endif
}

// The workspace behind the kernels' scratch and saved activations (core/workspace.hpp).
BOOST_AUTO_TEST_CASE(the_workspace_reuses_a_released_block_that_fits) {
    xg::empty_cache();
    const auto before = xg::memory_stats();
    void* p = xg::workspace_acquire(10 << 20);
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(p) % 64 == 0u);
    xg::workspace_release(p, 10 << 20);
    void* q = xg::workspace_acquire(9 << 20);  // fits the 10 MiB block: wastes under a third
    BOOST_TEST(q == p);
    const auto during = xg::memory_stats();
    BOOST_TEST(during.cache_hits == before.cache_hits + 1);
    BOOST_TEST(during.requested_bytes - before.requested_bytes == std::size_t(9 << 20));
    BOOST_TEST(during.in_use_bytes - before.in_use_bytes >= std::size_t(10 << 20));
    xg::workspace_release(q, 9 << 20);
    void* smaller = xg::workspace_acquire(2 << 20);  // a big request takes a block up to 8 times its size
    BOOST_TEST(smaller == p);
    xg::workspace_release(smaller, 2 << 20);
    void* much_smaller = xg::workspace_acquire(1 << 20);  // not more
    BOOST_TEST(much_smaller != p);
    xg::workspace_release(much_smaller, 1 << 20);
    void* small = xg::workspace_acquire(16 << 10);  // a small one (from malloc) never takes a big block
    BOOST_TEST(small != p);
    xg::workspace_release(small, 16 << 10);
}

// A big request that no cached block fits grows the biggest cached block, keeping its pages
// (and so its bytes), instead of mapping fresh memory.
BOOST_AUTO_TEST_CASE(the_workspace_grows_a_cached_block_rather_than_mapping_a_new_one) {
    xg::empty_cache();
    for (std::size_t from : {std::size_t(100) << 10, std::size_t(4) << 20}) {  // a plain and a huge-page mapping
        BOOST_TEST_CONTEXT(from << " bytes") {
            auto* p = static_cast<unsigned char*>(xg::workspace_acquire(from));
            for (std::size_t i = 0; i < from; ++i) p[i] = static_cast<unsigned char>(i * 7 + 1);
            xg::workspace_release(p, from);
            const std::size_t to = 3 * from + 12345;
            auto* q = static_cast<unsigned char*>(xg::workspace_acquire(to));
            BOOST_TEST(reinterpret_cast<std::uintptr_t>(q) % 64 == 0u);
            BOOST_TEST(xg::memory_stats().cached_bytes == 0u);
            bool kept = true;
            for (std::size_t i = 0; i < from; ++i) kept = kept && q[i] == static_cast<unsigned char>(i * 7 + 1);
            BOOST_TEST(kept);
            std::memset(q, 0xab, to);  // all of it is ours
            xg::workspace_release(q, to);
            xg::empty_cache();
        }
    }
}

// The cache's bound: its high-water mark of bytes in use, plus a sixteenth (at least 4 MiB).
std::size_t workspace_bound(const xg::MemoryStats& s) {
    return s.peak_in_use_bytes + std::max(s.peak_in_use_bytes / 16, std::size_t(4) << 20);
}

BOOST_AUTO_TEST_CASE(the_workspace_never_holds_much_more_than_its_high_water_mark) {
    xg::empty_cache();
    std::vector<std::pair<void*, std::size_t>> live;
    // sizes of a training's batches: the cache must not keep a block of each
    for (std::size_t round = 0; round < 20; ++round) {
        const std::size_t bytes = (std::size_t(3) << 20) + round * (std::size_t(5) << 20);
        for (int k = 0; k < 3; ++k) live.emplace_back(xg::workspace_acquire(bytes), bytes);
        const auto s = xg::memory_stats();
        BOOST_TEST(s.in_use_bytes + s.cached_bytes <= workspace_bound(s));
        for (auto [p, n] : live) xg::workspace_release(p, n);
        live.clear();
    }
    const auto s = xg::memory_stats();
    BOOST_TEST(s.in_use_bytes == 0u);
    BOOST_TEST(s.cached_bytes <= workspace_bound(s));
    xg::empty_cache();
    BOOST_TEST(xg::memory_stats().cached_bytes == 0u);
}

// A step whose phases need different sizes under one peak (a big block held throughout, a
// small one, then a middle one) must find all of them cached from the second step on.
// Keeping in_use + cached under the bare high-water mark evicted one of them every step.
BOOST_AUTO_TEST_CASE(the_workspace_maps_nothing_new_in_a_repeated_step) {
    xg::empty_cache();
    const std::size_t big = std::size_t(8) << 20, small = std::size_t(1) << 20, middle = std::size_t(3) << 20;
    std::size_t allocations_after_first = 0;
    for (int step = 0; step < 5; ++step) {
        void* a = xg::workspace_acquire(big);
        void* b = xg::workspace_acquire(small);
        xg::workspace_release(b, small);
        void* c = xg::workspace_acquire(middle);
        xg::workspace_release(c, middle);
        xg::workspace_release(a, big);
        if (step == 0) allocations_after_first = xg::memory_stats().os_allocations;
    }
    const auto s = xg::memory_stats();
    BOOST_TEST(s.os_allocations == allocations_after_first);
    BOOST_TEST(s.in_use_bytes + s.cached_bytes <= workspace_bound(s));
    xg::empty_cache();
}

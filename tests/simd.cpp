// core/simd.hpp: zip's last, partial batch (masked loads and stores where the ISA has them).
#define BOOST_TEST_MODULE simd
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <vector>

#include "core/simd.hpp"

namespace simd = xg::simd;

namespace {

// zip over rows of every length up to three batches and one: each value is the scalar body's
// (the values are exact in binary, so the vector and scalar forms agree to the bit), and the
// values after the row are left as they were.
template <class T>
void zip_writes_the_row_and_nothing_after_it() {
    constexpr std::size_t W = simd::lanes<T>;
    for (std::size_t n = 0; n <= 3 * W + 1; ++n) {
        std::vector<T> a(n + W), b(n + W), out(n + W, T(-7));
        for (std::size_t i = 0; i < n + W; ++i) a[i] = T(0.25) * T(i) - T(3), b[i] = T(1 + i % 5);
        simd::zip<T, 2, 2>(n, {a.data(), b.data()}, {out.data(), b.data()}, [](const auto& x, auto& y) {
            y[0] = x[0] * x[1] + x[1];
            y[1] = x[1] + x[1];
        });
        for (std::size_t i = 0; i < n; ++i) {
            const T bi = T(1 + i % 5);
            BOOST_TEST(out[i] == a[i] * bi + bi, "n=" << n << " i=" << i);
            BOOST_TEST(b[i] == bi + bi, "n=" << n << " i=" << i);  // an output may be an input
        }
        for (std::size_t i = n; i < n + W; ++i) {
            BOOST_TEST(out[i] == T(-7), "n=" << n << " i=" << i << " (past the row)");
            BOOST_TEST(b[i] == T(1 + i % 5), "n=" << n << " i=" << i << " (past the row)");
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(zip_float_rows_of_every_length) { zip_writes_the_row_and_nothing_after_it<float>(); }
BOOST_AUTO_TEST_CASE(zip_double_rows_of_every_length) { zip_writes_the_row_and_nothing_after_it<double>(); }

// the partial load's other lanes are zero (the activations see 0, not garbage)
BOOST_AUTO_TEST_CASE(a_partial_load_fills_the_other_lanes_with_zeros) {
    constexpr std::size_t W = simd::lanes<float>;
    std::vector<float> src(W, 5.f), back(W, -1.f);
    for (std::size_t m = 1; m < W; ++m) {
        simd::storeu(back.data(), simd::load_first<simd::Lane<float>>(src.data(), m));
        for (std::size_t i = 0; i < W; ++i) BOOST_TEST(back[i] == (i < m ? 5.f : 0.f), "m=" << m << " i=" << i);
    }
}

// Helpers shared by the test suites.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace test {

// A file of the source tree (path relative to its root), found wherever the test runs from:
// meson gives the root.
inline std::string source_file(const std::string& path) { return std::string(XG_SOURCE_ROOT) + "/" + path; }
// A file of tests/fixtures.
inline std::string fixture(const std::string& name) { return source_file("tests/fixtures/" + name); }

using xg::Shape;
using xg::TensorD;
using Fn = std::function<TensorD(const std::vector<TensorD>&)>;

// A double leaf requiring grad, uniform in [lo, hi).
inline TensorD param(const Shape& s, double lo = -1.0, double hi = 1.0) { return xg::uniform<double>(s, lo, hi, true); }

// Values uniform in [lo, hi) with a random sign: keeps clear of kinks at 0.
inline TensorD away_from_zero(const Shape& s, double lo = 0.2, double hi = 1.0) {
    TensorD t = xg::uniform<double>(s, lo, hi, true);
    auto signs = xg::rand<double>(s);
    for (std::size_t i = 0; i < t.numel(); ++i)
        if (signs.value().data()[i] < 0.5) t.value().data()[i] = -t.value().data()[i];
    return t;
}

inline void check_gradient(const Fn& f, const std::vector<TensorD>& inputs, const xg::GradcheckOptions& opt = {}) {
    const auto r = xg::gradcheck(f, inputs, opt);
    BOOST_TEST(r.ok, r.report);
}

// Largest |a - b| and whether every element is within atol + rtol * |b|.
template <class A, class B>
bool allclose(const A& a, const B& b, double rtol, double atol, double* max_diff = nullptr) {
    if (a.size() != b.size()) return false;
    double worst = 0;
    bool ok = true;
    auto ia = a.begin();
    auto ib = b.begin();
    for (; ia != a.end(); ++ia, ++ib) {
        const double d = std::abs(double(*ia) - double(*ib));
        worst = std::max(worst, d);
        ok = ok && d <= atol + rtol * std::abs(double(*ib));
    }
    if (max_diff) *max_diff = worst;
    return ok;
}

#define CHECK_CLOSE_ARRAYS(a, b, rtol, atol)                                                     \
    do {                                                                                         \
        double max_diff_ = 0;                                                                    \
        const bool close_ = ::test::allclose((a), (b), (rtol), (atol), &max_diff_);              \
        BOOST_TEST(close_, #a " vs " #b ": largest difference " << max_diff_);                   \
    } while (0)

// The exception's message contains `part`.
inline auto message_has(const std::string& part) {
    return [part](const std::exception& e) {
        const bool ok = std::string(e.what()).find(part) != std::string::npos;
        if (!ok) BOOST_TEST_MESSAGE("message was: " << e.what());
        return ok;
    };
}

#define CHECK_THROWS_WITH(expr, part) BOOST_CHECK_EXCEPTION(expr, std::exception, ::test::message_has(part))

}  // namespace test

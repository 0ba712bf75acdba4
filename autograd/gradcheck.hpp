/// \file
/// Gradient checking: analytic gradients from the tape against central finite differences,
/// in double precision (float's 7 digits cannot tell a right gradient from a wrong one).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

/// Tolerances of gradcheck, as torch.autograd.gradcheck's eps, atol and rtol (with chainable setters).
struct GradcheckOptions {
    double eps = 1e-6;   ///< finite-difference step
    double atol = 1e-5;  ///< pass when |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 1e-3;  ///< relative tolerance (see atol)
    /// Sets eps and returns *this, for chaining.
    GradcheckOptions& set_eps(double v) { eps = v; return *this; }
    /// Sets atol and returns *this, for chaining.
    GradcheckOptions& set_atol(double v) { atol = v; return *this; }
    /// Sets rtol and returns *this, for chaining.
    GradcheckOptions& set_rtol(double v) { rtol = v; return *this; }
};

/// What gradcheck found: pass or fail, the largest error and a report of the failing elements.
struct GradcheckResult {
    bool ok = true;            ///< every checked element was within tolerance
    double max_abs_error = 0;  ///< over every checked element
    std::string report;        ///< empty on success; else a summary line, then the first 10 mismatches, one per line
    explicit operator bool() const { return ok; }  ///< ok, so that `if (xg::gradcheck(...))` works
};

/// Checks d<r, f(inputs)>/d(input) for a fixed random r of f's output shape (a random
/// vector-Jacobian product), for every input that requires grad. f must be deterministic:
/// seed any randomness (dropout) inside f.
GradcheckResult gradcheck(const std::function<TensorD(const std::vector<TensorD>&)>& f,
                          const std::vector<TensorD>& inputs, const GradcheckOptions& options = {});

}  // namespace xg

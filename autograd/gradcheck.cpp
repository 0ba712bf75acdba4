#include "autograd/gradcheck.hpp"

#include <cmath>
#include <random>
#include <sstream>

#include "autograd/arithmetic.hpp"
#include "autograd/reduce.hpp"

namespace xg {

namespace {

double projected(const TensorD& out, const xt::xarray<double>& r) {
    double s = 0;
    for (std::size_t i = 0; i < r.size(); ++i) s += out.value().data()[i] * r.data()[i];
    return s;
}

}  // namespace

GradcheckResult gradcheck(const std::function<TensorD(const std::vector<TensorD>&)>& f,
                          const std::vector<TensorD>& inputs, const GradcheckOptions& opt) {
    GradcheckResult res;
    for (std::size_t k = 0; k < inputs.size(); ++k)
        XG_CHECK(!inputs[k].requires_grad() || inputs[k].is_leaf(), "gradcheck: input " << k << " is not a leaf tensor");

    // A fixed projection, drawn from its own generator so the check does not move xg's.
    std::mt19937_64 gen(1234);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    TensorD out;
    {
        NoGradGuard no_grad;
        out = f(inputs);
    }
    xt::xarray<double> r = xt::xarray<double>::from_shape(out.value().shape());
    for (auto& v : r) v = dist(gen);

    // analytic: backward of <r, f(x)>
    for (const auto& x : inputs)
        if (x.requires_grad()) x.zero_grad();
    TensorD y = f(inputs);
    XG_CHECK(y.requires_grad(), "gradcheck: the function's output does not depend on any input that requires grad");
    sum(y * TensorD(r)).backward();

    std::ostringstream report;
    int lines = 0;
    NoGradGuard no_grad;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const auto& x = inputs[k];
        if (!x.requires_grad()) continue;
        const xt::xarray<double> analytic = x.grad();
        double* v = x.value().data();
        for (std::size_t i = 0; i < x.numel(); ++i) {
            const double saved = v[i];
            v[i] = saved + opt.eps;
            const double fp = projected(f(inputs), r);
            v[i] = saved - opt.eps;
            const double fm = projected(f(inputs), r);
            v[i] = saved;
            const double numeric = (fp - fm) / (2 * opt.eps), a = analytic.data()[i];
            const double err = std::abs(a - numeric);
            res.max_abs_error = std::max(res.max_abs_error, err);
            if (!(err <= opt.atol + opt.rtol * std::abs(numeric))) {  // also catches NaN
                res.ok = false;
                if (lines++ < 10)
                    report << "input " << k << " " << shape_str(x.shape()) << ", element " << i << ": analytic " << a
                           << " vs numeric " << numeric << "\n";
            }
        }
    }
    res.report = report.str();
    if (!res.ok) res.report = "gradcheck failed (max abs error " + std::to_string(res.max_abs_error) + "):\n" + res.report;
    return res;
}

}  // namespace xg

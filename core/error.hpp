// Errors: every bad input becomes an exception that says which op and what was wrong.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace xg {

// Thrown for bad arguments: shapes that do not fit, indices out of range,
// misuse of the tape. Derives from std::invalid_argument, as libtorch's and DyNet's checks do.
struct Error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

}  // namespace xg

// XG_CHECK(cond, "matmul: " << shape_str(a) << " x " << shape_str(b) << ": inner dimensions differ")
#define XG_CHECK(cond, msg)                            \
    do {                                               \
        if (!(cond)) {                                 \
            std::ostringstream xg_check_os_;           \
            xg_check_os_ << msg;                       \
            throw ::xg::Error(xg_check_os_.str());     \
        }                                              \
    } while (0)

#define XG_FAIL(msg) XG_CHECK(false, msg)

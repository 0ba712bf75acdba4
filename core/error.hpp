/// \file
/// Errors: every bad input becomes an exception that says which op and what was wrong.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace xg {

/// Every error xgrad reports for bad input is an xg::Error or one of its subclasses below,
/// so `catch (const xg::Error&)` catches them all.
///
/// Thrown for bad arguments: shapes that do not fit, indices out of range,
/// misuse of the tape. Derives from std::invalid_argument, as libtorch's and DyNet's checks do.
struct Error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/// A file or folder that cannot be read or written: missing, not permitted, not a regular
/// file, a full disk. The message names the path and the system's reason.
struct IOError : Error {
    using Error::Error;
};

/// A file that was read but does not hold what it should: a corrupt or forged safetensors
/// file, a checkpoint of another model or optimizer, malformed JSON, a corpus without text.
/// The message names the file and what is wrong.
struct FormatError : Error {
    using Error::Error;
};

}  // namespace xg

/// Throws xg::Error with msg (anything a std::ostream takes, joined by <<) unless cond holds:
///   XG_CHECK(cond, "matmul: " << shape_str(a) << " x " << shape_str(b) << ": inner dimensions differ")
#define XG_CHECK(cond, msg)                            \
    do {                                               \
        if (!(cond)) {                                 \
            std::ostringstream xg_check_os_;           \
            xg_check_os_ << msg;                       \
            throw ::xg::Error(xg_check_os_.str());     \
        }                                              \
    } while (0)

/// Throws xg::Error with msg, streamed as in XG_CHECK.
#define XG_FAIL(msg) XG_CHECK(false, msg)

// What the training examples share and is not model code: a progress bar with ETA,
// a clock, and the error exit for bad flags.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace support {

class Clock {
public:
    Clock() : start_(std::chrono::steady_clock::now()) {}
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
    void restart() { start_ = std::chrono::steady_clock::now(); }

private:
    std::chrono::steady_clock::time_point start_;
};

inline std::string hms(double seconds) {
    const long s = long(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

// A one-line bar on stderr, redrawn in place, only when stderr is a terminal:
//   epoch  37/500 [###.......................]  ppl 5.21  48.1k tok/s  ETA 1:21
class Progress {
public:
    Progress(std::string label, std::size_t total) : label_(std::move(label)), total_(total), on_(::isatty(2) == 1) {}
    bool enabled() const { return on_; }

    void update(std::size_t done, const std::string& info) {
        if (!on_) return;
        const double t = clock_.seconds();
        if (done < total_ && t - last_ < 0.1) return;  // at most 10 redraws a second
        last_ = t;
        const int width = 28;
        const int filled = total_ ? int(double(done) / double(total_) * width) : width;
        std::string bar(std::size_t(filled), '#');
        bar.resize(width, '.');
        const double eta = done ? t / double(done) * double(total_ - done) : 0.0;
        std::fprintf(stderr, "\r%s %*zu/%zu [%s] %s  ETA %s\033[K", label_.c_str(), int(std::to_string(total_).size()), done,
                     total_, bar.c_str(), info.c_str(), hms(eta).c_str());
        std::fflush(stderr);
    }
    // Clears the bar so the next line printed starts clean.
    void clear() {
        if (on_) std::fprintf(stderr, "\r\033[K");
    }
    void done() {
        if (on_) std::fprintf(stderr, "\n");
    }

private:
    std::string label_;
    std::size_t total_;
    bool on_;
    Clock clock_;
    double last_ = -1;
};

// A one-line error and exit status 2: what bad flags and missing files get.
[[noreturn]] inline void die(const std::string& program, const std::string& message) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), message.c_str());
    std::exit(2);
}

}  // namespace support

#include "data/file_io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xg::data {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
    throw std::runtime_error(what + " '" + path + "': " + std::strerror(err));
}

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

std::string read_file(const std::string& path) {
    // POSIX open/fstat/read: one syscall per step, and fstat tells a directory or a
    // device from a file before we trust its size.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open", path, errno);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail("cannot stat", path, errno);
    if (S_ISDIR(st.st_mode)) fail("cannot read", path, EISDIR);
    // One spare byte, so the read that sees end-of-file needs no reallocation.
    std::string out(S_ISREG(st.st_mode) ? std::size_t(st.st_size) + 1 : 0, '\0');
    std::size_t got = 0;
    for (;;) {
        if (got == out.size()) out.resize(out.size() + 65536);  // grew, or not a regular file
        const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot read", path, errno);
        }
        if (n == 0) break;
        got += std::size_t(n);
    }
    out.resize(got);
    return out;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
    namespace fs = std::filesystem;
    std::random_device rd;
    const fs::path target(path);
    fs::path tmp = target;
    tmp += ".tmp" + std::to_string(rd());
    {
        std::unique_ptr<std::FILE, FileCloser> f(std::fopen(tmp.c_str(), "wb"));
        if (!f) fail("cannot write", tmp.string(), errno);
        const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f.get()) == bytes.size() && std::fflush(f.get()) == 0 &&
                        ::fsync(::fileno(f.get())) == 0;  // on disk before it takes the name
        const int err = errno;
        if (!ok) {
            f.reset();
            fs::remove(tmp);
            fail("cannot write", tmp.string(), err ? err : EIO);
        }
        if (std::fclose(f.release()) != 0) {
            fs::remove(tmp);
            fail("cannot write", tmp.string(), errno);
        }
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp);
        throw std::runtime_error("cannot rename '" + tmp.string() + "' to '" + path + "': " + ec.message());
    }
}

}  // namespace xg::data

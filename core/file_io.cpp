#include "core/file_io.hpp"

#include "core/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xg {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
    throw IOError(what + " '" + path + "': " + std::strerror(err));
}

[[noreturn]] void fail_at(const std::string& path, const std::string& what) { throw IOError(path + ": " + what); }

}  // namespace

std::string read_file(const std::string& path) {
    // POSIX open/fstat/read: one syscall per step, and fstat tells a directory, a FIFO or a
    // device from a file before we read. O_NONBLOCK: opening a FIFO would otherwise wait for
    // a writer forever (it changes nothing for a regular file).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) fail("cannot open", path, errno);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail("cannot stat", path, errno);
    if (S_ISDIR(st.st_mode)) fail("cannot read", path, EISDIR);
    if (!S_ISREG(st.st_mode)) fail_at(path, "cannot read: not a regular file (a FIFO, socket or device)");
    // One spare byte, so the read that sees end-of-file needs no reallocation.
    std::string out(std::size_t(st.st_size) + 1, '\0');
    std::size_t got = 0;
    for (;;) {
        if (got == out.size()) out.resize(out.size() + 65536);  // grew while we read (or /proc)
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
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    if (!fs::is_directory(dir)) fail_at(path, "cannot write: folder " + dir.string() + " does not exist");
    const fs::path tmp = dir / hidden_sibling_name(target, ".tmp.");
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) fail_at(path, std::string("cannot write: ") + std::strerror(errno));
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0 &&
                    ::fsync(::fileno(f)) == 0;
    const int saved = errno;
    std::fclose(f);
    // A temporary that cannot be removed (the folder turned read-only under the write) must
    // not hide the write's own error; it stays, hidden, for a later save to replace.
    std::error_code ec, ignored;
    if (!ok) {
        fs::remove(tmp, ignored);
        fail_at(path, std::string("cannot write: ") + std::strerror(saved));
    }
    fs::rename(tmp, target, ec);  // atomic on POSIX: readers see the old file or the new one
    if (ec) {
        fs::remove(tmp, ignored);
        fail_at(path, "cannot replace the file: " + ec.message());
    }
}

// built by appending: GCC 12 warns falsely (-Wrestrict) about chained string + at -O3
std::string hidden_sibling_name(const std::filesystem::path& target, const char* tag) {
    std::string s = ".";
    s += target.filename().string();
    s += tag;
    s += std::to_string(::getpid());
    return s;
}

}  // namespace xg

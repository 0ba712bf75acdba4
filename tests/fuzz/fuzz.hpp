// What the fuzz targets share. xgrad's readers take paths, so each target writes its input
// into a scratch folder of its own (a fresh one per process, removed at exit); inputs that
// stand for a folder (a checkpoint, aclImdb) are cut into named files:
//
//   ==> checkpoint.json <==
//   {"epoch": 1}
//   ==> optimizer.safetensors <==
//   <bytes>
//
// Each part runs from its header line to the "\n" before the next "\n==> " (or to the end).
// A name ending in "/" makes a folder; names are relative, made of [A-Za-z0-9._-] parts, so
// nothing is written outside the scratch folder. Bytes before the first header are ignored.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fuzz {

namespace fs = std::filesystem;

// An invariant the library promises, broken: print it and abort, so libFuzzer keeps the input.
#define FUZZ_CHECK(cond, what)                                                            \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "fuzz check failed: %s (%s:%d): %s\n", #cond, __FILE__, \
                         __LINE__, std::string(what).c_str());                           \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)

// This process's scratch folder: under /dev/shm where there is one (no disk writes, and
// the readers' and writers' fsyncs cost nothing), else under $TMPDIR.
class Scratch {
public:
    static Scratch& get() {
        static Scratch s;
        return s;
    }
    const fs::path& dir() const { return dir_; }

    // Writes bytes to dir()/name (replacing it) and returns its path.
    std::string write(const std::string& name, std::string_view bytes) const {
        const fs::path p = dir_ / name;
        std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
        return p.string();
    }

    // dir()/name as a new empty folder.
    fs::path fresh(const std::string& name) const {
        const fs::path p = dir_ / name;
        fs::remove_all(p);
        fs::create_directories(p);
        return p;
    }

private:
    Scratch() {
        const fs::path base = fs::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm")
                                                                                                : fs::temp_directory_path();
        dir_ = base / ("xgrad-fuzz-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path dir_;
};

struct Part {
    std::string name;  // relative path; ends in "/" for a folder
    std::string_view bytes;
};

inline bool safe_name(std::string_view name) {
    if (name.empty() || name.size() > 96 || name.front() == '/') return false;
    std::size_t start = 0;
    while (start < name.size()) {
        std::size_t end = name.find('/', start);
        if (end == std::string_view::npos) end = name.size();
        const std::string_view part = name.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        for (const char c : part) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                            c == '_' || c == '-';
            if (!ok) return false;
        }
        start = end + 1;
    }
    return true;
}

// The parts of an input in the format above (at most 32; unsafe names are skipped).
inline std::vector<Part> split_parts(std::string_view in) {
    constexpr std::string_view open = "==> ", close = " <==\n";
    std::vector<Part> parts;
    std::size_t at = in.substr(0, open.size()) == open ? 0 : in.find(std::string("\n").append(open));
    if (at == std::string_view::npos) return parts;
    if (at != 0) ++at;  // past the "\n"
    while (at != std::string_view::npos && parts.size() < 32) {
        const std::size_t name_begin = at + open.size();
        const std::size_t name_end = in.find(close, name_begin);
        if (name_end == std::string_view::npos) break;
        const std::size_t body = name_end + close.size();
        std::size_t next = in.find(std::string("\n").append(open), body);
        const std::string_view name = in.substr(name_begin, name_end - name_begin);
        const std::size_t body_end = next == std::string_view::npos ? in.size() : next;
        if (!name.empty() && safe_name(name.back() == '/' ? name.substr(0, name.size() - 1) : name))
            parts.push_back({std::string(name), in.substr(body, body_end - body)});
        at = next == std::string_view::npos ? next : next + 1;
    }
    return parts;
}

// Writes the parts under dir: files with their bytes, folders for names ending in "/".
// A part that cannot be made (a file where its folder should be) is left out.
inline void write_parts(const fs::path& dir, const std::vector<Part>& parts) {
    for (const auto& p : parts) {
        std::error_code ec;
        const fs::path path = dir / p.name;
        if (p.name.back() == '/') {
            fs::create_directories(path, ec);
            continue;
        }
        fs::create_directories(path.parent_path(), ec);
        if (ec || fs::is_directory(path, ec)) continue;
        std::ofstream(path, std::ios::binary | std::ios::trunc).write(p.bytes.data(), std::streamsize(p.bytes.size()));
    }
}

// The input as text.
inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace fuzz

// Whole-file reads and atomic writes, shared by the corpus readers and Vocab::save.
// Errors are std::runtime_error naming the path and the reason (strerror).
#pragma once

#include <string>

namespace xg::data {

// The file's bytes, in one read (the fast path for 50,000 small review files).
std::string read_file(const std::string& path);

// Writes bytes to a temporary file in the same folder, then renames it over path, so a
// crash never leaves a half-written file behind.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace xg::data

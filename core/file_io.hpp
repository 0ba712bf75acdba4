/// \file
/// Whole-file reads and atomic writes, shared by the corpus readers, Vocab::save, safetensors
/// and checkpoints. Errors are xg::IOError naming the path and the reason.
#pragma once

#include <filesystem>
#include <string>

namespace xg {

/// The file's bytes, in one read (the fast path for 50,000 small review files).
std::string read_file(const std::string& path);

/// Writes bytes to a temporary file in the same folder, flushed to disk, then renamed over
/// path: readers see the old file or the new one, and a killed run never leaves a
/// half-written file behind.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// ".name<tag><pid>": the name of a hidden sibling of target that no other process picks,
/// for files and folders prepared before an atomic rename.
std::string hidden_sibling_name(const std::filesystem::path& target, const char* tag);

}  // namespace xg

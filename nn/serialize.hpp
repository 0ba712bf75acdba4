/// \file
/// Weights on disk in the safetensors format (https://github.com/huggingface/safetensors),
/// under PyTorch's state_dict names, so weights move both ways:
///
///   xg::nn::save(lstm, "lstm.safetensors");   // -> safetensors.torch.load_file + load_state_dict
///   xg::nn::load(lstm, "from_torch.safetensors");  // <- safetensors.torch.save_file(m.state_dict())
///
/// The format: 8 bytes little-endian header length N, N bytes of JSON
///   {"name": {"dtype": "F32", "shape": [20, 4], "data_offsets": [begin, end]}, ...,
///    "__metadata__": {"key": "value"}}
/// then the raw little-endian data, offsets relative to its start.
#pragma once

#include "core/quiet_intrinsics.hpp"  // first: before anything includes <immintrin.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "core/file_io.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// Every tensor of a safetensors file, read and checked at construction: a missing,
/// truncated or corrupt file throws xg::FormatError (a missing or unreadable one, or a folder, xg::IOError) naming the file and the problem.
class SafetensorsReader {
public:
    /// Reads the whole file at path and checks it; errors as above.
    explicit SafetensorsReader(const std::string& path);
    /// A safetensors file already in memory; name stands for the path in messages.
    static SafetensorsReader from_bytes(std::string bytes, const std::string& name);

    /// The path it was read from (from_bytes: the name given).
    const std::string& path() const { return path_; }
    std::vector<std::string> names() const;  ///< in file order of their data
    /// Whether the file holds a tensor of this name.
    bool contains(const std::string& name) const { return entries_.count(name) != 0; }
    const std::string& dtype(const std::string& name) const;  ///< "F32", "F64", "I64", ...
    /// The tensor's shape; an unknown name throws xg::FormatError.
    Shape shape(const std::string& name) const;
    /// The tensor converted to T (F16, BF16, F32, F64 and the integer types convert). For an
    /// integer T, a value that is not a whole number in T's range throws xg::FormatError.
    template <class T>
    xt::xarray<T> get(const std::string& name) const;
    /// The header's "__metadata__" pairs, a value that is not a string as its JSON text (empty when none).
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

private:
    struct Entry {
        std::string dtype;
        Shape shape;
        std::size_t begin = 0, end = 0;
    };
    SafetensorsReader() = default;
    void parse(std::string bytes);  ///< checks everything; fills data_, entries_, metadata_
    const Entry& entry(const std::string& name) const;
    std::string path_;
    std::string data_;  ///< the byte buffer after the header
    std::map<std::string, Entry> entries_;
    std::map<std::string, std::string> metadata_;
};

/// Collects named tensors and writes them as one safetensors file (atomically).
class SafetensorsWriter {
public:
    /// Adds an array as an F32 tensor; an empty, repeated or "__metadata__" name throws xg::Error.
    void add(const std::string& name, const xt::xarray<float>& a);
    /// As the float add(), stored as F64.
    void add(const std::string& name, const xt::xarray<double>& a);
    /// As the float add(), stored as I64.
    void add(const std::string& name, const xt::xarray<std::int64_t>& a);
    /// As the float add(), with a tensor's value (F32 or F64, from T; no gradient is saved).
    template <class T>
    void add(const std::string& name, const TensorT<T>& t) {  // a tensor's value
        add(name, t.value());
    }
    /// Sets a "__metadata__" entry, replacing any earlier value of key.
    void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
    std::string bytes() const;  ///< the whole file
    /// Writes bytes() to path atomically (the old file stays whole on failure); errors throw xg::IOError.
    void write(const std::string& path) const;

private:
    struct Item {
        std::string name, dtype;
        Shape shape;
        std::string bytes;
    };
    void add_raw(const std::string& name, const std::string& dtype, const Shape& shape, const void* p, std::size_t n);
    std::vector<Item> items_;
    std::map<std::string, std::string> metadata_;
};

/// The module's parameters under their named_parameters() names (F32 for float modules).
template <class T>
void save(const ModuleT<T>& module, const std::string& path);

/// Loads every parameter by name. Everything is checked before anything is copied, so a
/// missing or unexpected name, a wrong shape or a corrupt file throws (naming the tensor
/// and the file) and leaves the module unchanged. strict=false ignores missing and
/// unexpected names (as load_state_dict(strict=False)) but still checks shapes.
template <class T>
void load(ModuleT<T>& module, const std::string& path, bool strict = true);

/// load() in two halves, for a caller that changes several things all or nothing
/// (optim::load_checkpoint): stage_load reads and checks every tensor, as load() does, and
/// changes nothing; commit() then puts the values into the module and cannot fail.
template <class T>
struct StagedLoad {
    std::vector<std::pair<TensorT<T>, xt::xarray<T>>> values;  ///< parameter, its new value
    /// Puts every staged value into its parameter (without recording gradients) and empties values.
    void commit();
};
/// The first half of load(): reads and checks every tensor of reader for module, changing nothing.
template <class T>
StagedLoad<T> stage_load(ModuleT<T>& module, const SafetensorsReader& reader, bool strict = true);

// The element types get is instantiated for (serialize.cpp); not part of the reference.
/// \cond
extern template xt::xarray<float> SafetensorsReader::get<float>(const std::string&) const;
extern template xt::xarray<double> SafetensorsReader::get<double>(const std::string&) const;
extern template xt::xarray<std::int64_t> SafetensorsReader::get<std::int64_t>(const std::string&) const;
/// \endcond
extern template struct StagedLoad<float>;
extern template struct StagedLoad<double>;
/// This header's function templates, instantiated for float and double (core/instantiate.hpp).
#define XG_SERIALIZE_FUNCTIONS(T, OP, OVERLOAD) OP(T, save) OP(T, load) OP(T, stage_load)
XG_DECLARE_OPS(XG_SERIALIZE_FUNCTIONS)

}  // namespace xg::nn

#include "nn/serialize.hpp"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace xg::nn {

static_assert(std::endian::native == std::endian::little, "safetensors stores little-endian data");

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw FormatError(path + ": " + what);
}

std::size_t dtype_size(const std::string& d) {
    if (d == "F64" || d == "I64" || d == "U64") return 8;
    if (d == "F32" || d == "I32" || d == "U32") return 4;
    if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
    if (d == "I8" || d == "U8" || d == "BOOL") return 1;
    return 0;
}

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
    std::uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: renormalise
            int e = -1;
            std::uint32_t m = mant;
            do {
                ++e;
                m <<= 1;
            } while (!(m & 0x400u));
            bits = sign | ((127 - 15 - e) << 23) | ((m & 0x3ffu) << 13);
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(bits);
}

// Element i of raw data of dtype d, as text: what an error message quotes.
std::string element_str(const std::string& d, const char* src, std::size_t i) {
    auto read = [&](auto v) {
        std::memcpy(&v, src + i * sizeof(v), sizeof(v));
        std::ostringstream os;
        os.precision(9);
        if constexpr (sizeof(v) == 1) os << int(v); else os << v;
        return os.str();
    };
    if (d == "F32") return read(float());
    if (d == "F64") return read(double());
    if (d == "U64") return read(std::uint64_t());
    if (d == "I64") return read(std::int64_t());
    if (d == "F16" || d == "BF16") {
        std::uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        std::ostringstream os;
        os.precision(9);
        os << (d == "F16" ? half_to_float(h) : std::bit_cast<float>(std::uint32_t(h) << 16));
        return os.str();
    }
    return "?";
}

// v as T; false when T is an integer type that cannot hold v: a float out of range (the
// cast would be undefined behaviour), not whole, or an integer that would wrap.
template <class T, class S>
bool convert_one(S v, T& out) {
    if constexpr (std::is_integral_v<T> && std::is_floating_point_v<S>) {
        static_assert(std::is_signed_v<T>, "the range below is a signed type's");
        constexpr S low = S(std::numeric_limits<T>::min());  // -2^(bits-1), exact in S
        if (!(v == std::trunc(v) && v >= low && v < -low)) return false;  // NaN fails too
    } else if constexpr (std::is_integral_v<T> && std::is_integral_v<S>) {
        if (!std::in_range<T>(v)) return false;
    }
    out = static_cast<T>(v);
    return true;
}

// n values of type S at src into dst; the index of the first that T cannot hold, or n.
template <class S, class T>
std::size_t convert(const char* src, std::size_t n, T* dst) {
    for (std::size_t i = 0; i < n; ++i) {
        S v;
        std::memcpy(&v, src + i * sizeof(S), sizeof(S));
        if (!convert_one(v, dst[i])) return i;
    }
    return n;
}

}  // namespace

// ---- reading ---------------------------------------------------------------------

SafetensorsReader::SafetensorsReader(const std::string& path) : path_(path) {
    std::error_code ec;
    // cannot be read at all: an I/O error, as docs/autograd.md says
    if (!std::filesystem::exists(path, ec)) throw IOError(path + ": no such file");
    if (std::filesystem::is_directory(path, ec)) throw IOError(path + ": a folder, not a safetensors file");
    parse(read_file(path));  // refuses a FIFO or device rather than waiting on it
}

SafetensorsReader SafetensorsReader::from_bytes(std::string bytes, const std::string& name) {
    SafetensorsReader r;
    r.path_ = name;
    r.parse(std::move(bytes));
    return r;
}

void SafetensorsReader::parse(std::string bytes) {
    const std::string& path = path_;
    if (bytes.size() < 8) fail(path, "not a safetensors file: " + std::to_string(bytes.size()) + " bytes, too short for a header");
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    if (n > bytes.size() - 8) fail(path, "truncated or not a safetensors file: the header claims " + std::to_string(n) +
                                             " bytes but the file has " + std::to_string(bytes.size()));
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
    } catch (const std::exception& e) {
        fail(path, std::string("corrupt safetensors header: ") + e.what());
    }
    if (!header.is_object()) fail(path, "corrupt safetensors header: not a JSON object");
    data_ = bytes.substr(8 + n);
    for (auto& [name, v] : header.items()) {
        if (name == "__metadata__") {
            if (!v.is_object()) fail(path, "corrupt safetensors header: __metadata__ is not an object");
            for (auto& [k, val] : v.items())
                metadata_[k] = val.is_string() ? val.get<std::string>() : val.dump();
            continue;
        }
        Entry e;
        // whole non-negative numbers only: nlohmann would read 28.5 as 28 and -1 as 2^64 - 1
        const nlohmann::json& spec = v;  // clang 14 cannot capture a structured binding
        auto sizes = [&](const char* key) {
            const auto& list = spec.at(key);
            if (!list.is_array()) throw std::runtime_error(std::string(key) + " is not a list");
            std::vector<std::size_t> out;
            for (const auto& x : list) {
                if (!x.is_number_unsigned()) throw std::runtime_error(std::string(key) + " holds " + x.dump() + ", not a size");
                out.push_back(x.get<std::size_t>());
            }
            return out;
        };
        try {
            e.dtype = v.at("dtype").get<std::string>();
            e.shape = sizes("shape");
            auto off = sizes("data_offsets");
            if (off.size() != 2) throw std::runtime_error("data_offsets must have two numbers");
            e.begin = off[0];
            e.end = off[1];
        } catch (const std::exception& ex) {
            fail(path, "corrupt safetensors header for tensor \"" + name + "\": " + ex.what());
        }
        const std::size_t es = dtype_size(e.dtype);
        if (es == 0) fail(path, "tensor \"" + name + "\" has unsupported dtype " + e.dtype);
        // The byte count; and the same product with the empty dimensions left out, because
        // xtensor keeps strides as signed products of the dimensions: an empty tensor of
        // shape (0, 2^62, 4) holds no byte, but its strides would overflow.
        std::size_t count = es;  // bytes
        std::int64_t span = std::int64_t(es);
        for (auto d : e.shape)
            if (__builtin_mul_overflow(count, d, &count) || __builtin_mul_overflow(span, std::max<std::size_t>(d, 1), &span))
                fail(path, "corrupt: tensor \"" + name + "\" of shape " + shape_str(e.shape) + " is too large");
        count /= es;
        if (e.begin > e.end || e.end > data_.size())
            fail(path, "truncated or corrupt: tensor \"" + name + "\" has data offsets [" + std::to_string(e.begin) + ", " +
                           std::to_string(e.end) + ") but the data section has " + std::to_string(data_.size()) + " bytes");
        if (e.end - e.begin != count * es)
            fail(path, "corrupt: tensor \"" + name + "\" of shape " + shape_str(e.shape) + " and dtype " + e.dtype + " needs " +
                           std::to_string(count * es) + " bytes, the file gives " + std::to_string(e.end - e.begin));
        entries_.emplace(name, std::move(e));
    }
    // As the reference implementation: the tensors tile the data section exactly, with no
    // overlaps, gaps or trailing bytes (anything else is a damaged or forged file).
    std::vector<std::tuple<std::size_t, std::size_t, std::string>> spans;  // empty tensors sort first at a tie
    for (const auto& [name, e] : entries_) spans.emplace_back(e.begin, e.end, name);
    std::sort(spans.begin(), spans.end());
    std::size_t at = 0;
    for (const auto& [begin, end, name] : spans) {
        if (begin != at)
            fail(path, "corrupt: tensor \"" + name + "\" starts at byte " + std::to_string(begin) + " of the data, expected " +
                           std::to_string(at) + " (tensors overlap or leave a gap)");
        at = end;
    }
    if (at != data_.size())
        fail(path, "corrupt: " + std::to_string(data_.size() - at) + " bytes after the last tensor");
}

std::vector<std::string> SafetensorsReader::names() const {
    std::vector<std::pair<std::size_t, std::string>> order;
    for (auto& [name, e] : entries_) order.emplace_back(e.begin, name);
    std::sort(order.begin(), order.end());
    std::vector<std::string> out;
    for (auto& [b, name] : order) out.push_back(name);
    return out;
}

const SafetensorsReader::Entry& SafetensorsReader::entry(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) fail(path_, "no tensor named \"" + name + "\"");
    return it->second;
}

const std::string& SafetensorsReader::dtype(const std::string& name) const { return entry(name).dtype; }
Shape SafetensorsReader::shape(const std::string& name) const { return entry(name).shape; }

template <class T>
xt::xarray<T> SafetensorsReader::get(const std::string& name) const {
    const Entry& e = entry(name);
    xt::xarray<T> out = xt::xarray<T>::from_shape(e.shape);
    const char* src = data_.data() + e.begin;
    const std::size_t n = out.size();
    T* dst = out.data();
    const std::string& d = e.dtype;
    std::size_t bad = n;  // the first value T cannot hold
    if (d == "F32") bad = convert<float>(src, n, dst);
    else if (d == "F64") bad = convert<double>(src, n, dst);
    else if (d == "I64") bad = convert<std::int64_t>(src, n, dst);
    else if (d == "I32") bad = convert<std::int32_t>(src, n, dst);
    else if (d == "I16") bad = convert<std::int16_t>(src, n, dst);
    else if (d == "I8") bad = convert<std::int8_t>(src, n, dst);
    else if (d == "U64") bad = convert<std::uint64_t>(src, n, dst);
    else if (d == "U32") bad = convert<std::uint32_t>(src, n, dst);
    else if (d == "U16") bad = convert<std::uint16_t>(src, n, dst);
    else if (d == "U8" || d == "BOOL") bad = convert<std::uint8_t>(src, n, dst);
    else if (d == "F16" || d == "BF16") {
        for (std::size_t i = 0; i < n && bad == n; ++i) {
            std::uint16_t h;
            std::memcpy(&h, src + 2 * i, 2);
            if (!convert_one(d == "F16" ? half_to_float(h) : std::bit_cast<float>(std::uint32_t(h) << 16), dst[i])) bad = i;
        }
    } else {
        fail(path_, "tensor \"" + name + "\" has unsupported dtype " + d);
    }
    if (bad != n)
        fail(path_, "tensor \"" + name + "\" of dtype " + d + " cannot be read as integers: element " + std::to_string(bad) +
                        " is " + element_str(d, src, bad) + ", not a whole number in the range of a 64-bit integer");
    return out;
}

template xt::xarray<float> SafetensorsReader::get<float>(const std::string&) const;
template xt::xarray<double> SafetensorsReader::get<double>(const std::string&) const;
template xt::xarray<std::int64_t> SafetensorsReader::get<std::int64_t>(const std::string&) const;

// ---- writing ---------------------------------------------------------------------

void SafetensorsWriter::add_raw(const std::string& name, const std::string& dtype, const Shape& shape, const void* p,
                                std::size_t n) {
    XG_CHECK(!name.empty() && name != "__metadata__", "safetensors: invalid tensor name \"" << name << "\"");
    for (auto& it : items_) XG_CHECK(it.name != name, "safetensors: tensor \"" << name << "\" added twice");
    items_.push_back({name, dtype, shape, std::string(static_cast<const char*>(p), n)});
}

void SafetensorsWriter::add(const std::string& name, const xt::xarray<float>& a) {
    add_raw(name, "F32", Shape(a.shape().begin(), a.shape().end()), a.data(), a.size() * sizeof(float));
}
void SafetensorsWriter::add(const std::string& name, const xt::xarray<double>& a) {
    add_raw(name, "F64", Shape(a.shape().begin(), a.shape().end()), a.data(), a.size() * sizeof(double));
}
void SafetensorsWriter::add(const std::string& name, const xt::xarray<std::int64_t>& a) {
    add_raw(name, "I64", Shape(a.shape().begin(), a.shape().end()), a.data(), a.size() * sizeof(std::int64_t));
}

std::string SafetensorsWriter::bytes() const {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata_.empty()) header["__metadata__"] = metadata_;
    std::size_t offset = 0;
    for (const auto& it : items_) {
        header[it.name] = {{"dtype", it.dtype}, {"shape", it.shape}, {"data_offsets", {offset, offset + it.bytes.size()}}};
        offset += it.bytes.size();
    }
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned, as the reference writer does
    std::string out(8, '\0');
    const std::uint64_t n = h.size();
    std::memcpy(out.data(), &n, 8);
    out += h;
    out.reserve(out.size() + offset);
    for (const auto& it : items_) out += it.bytes;
    return out;
}

void SafetensorsWriter::write(const std::string& path) const { write_file_atomic(path, bytes()); }

// ---- modules -----------------------------------------------------------------------

template <class T>
void save(const ModuleT<T>& module, const std::string& path) {
    SafetensorsWriter w;
    for (const auto& [name, p] : module.named_parameters()) w.add(name, p.value());
    w.set_metadata("format", "pt");  // what safetensors.torch writes: loadable by load_file
    w.write(path);
}

template <class T>
StagedLoad<T> stage_load(ModuleT<T>& module, const SafetensorsReader& r, bool strict) {
    const std::string& path = r.path();
    const auto params = module.named_parameters();
    std::vector<std::string> missing, unexpected;
    for (const auto& [name, p] : params)
        if (!r.contains(name)) missing.push_back(name);
    for (const auto& name : r.names()) {
        bool known = false;
        for (const auto& [n, p] : params) known = known || n == name;
        if (!known) unexpected.push_back(name);
    }
    auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "\"" : ", \"") + x + "\"";
        return s;
    };
    if (strict && (!missing.empty() || !unexpected.empty())) {
        std::string msg = "cannot load into " + module.type_name() + ":";
        if (!missing.empty()) msg += " missing tensor(s) " + join(missing);
        if (!missing.empty() && !unexpected.empty()) msg += ";";
        if (!unexpected.empty()) msg += " unexpected tensor(s) " + join(unexpected);
        fail(path, msg);
    }
    // convert and check everything first, then copy: a bad file leaves the module unchanged
    StagedLoad<T> staged;
    for (const auto& [name, p] : params) {
        if (!r.contains(name)) continue;
        const Shape s = r.shape(name);
        if (s != p.shape())
            fail(path, "size mismatch for \"" + name + "\": the file has shape " + shape_str(s) + ", the module " +
                           module.type_name() + " expects " + shape_str(p.shape()));
        const std::string& d = r.dtype(name);
        if (d != "F32" && d != "F64" && d != "F16" && d != "BF16")
            fail(path, "tensor \"" + name + "\" has dtype " + d + ", expected a floating-point type");
        staged.values.emplace_back(p, r.get<T>(name));
    }
    return staged;
}

template <class T>
void StagedLoad<T>::commit() {
    NoGradGuard no_grad;
    for (auto& [p, v] : values) p.value() = std::move(v);
    values.clear();
}

template <class T>
void load(ModuleT<T>& module, const std::string& path, bool strict) {
    stage_load(module, SafetensorsReader(path), strict).commit();
}

template struct StagedLoad<float>;
template struct StagedLoad<double>;
XG_DEFINE_OPS(XG_SERIALIZE_FUNCTIONS)

}  // namespace xg::nn

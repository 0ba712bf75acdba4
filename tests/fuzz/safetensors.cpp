// The safetensors reader, fed any bytes as a file: every tensor it accepts converts to
// every type, and nn::load puts it into a model or says why not. Errors must be
// xg::Error (naming the file); anything else, or a sanitizer report, is a finding.
#include <xgrad.hpp>

#include "fuzz.hpp"

namespace {

template <class T>
void load_into(const std::string& path, bool strict) {
    xg::nn::LinearT<T> model(xg::nn::LinearOptions(3, 2));  // "weight" (2, 3), "bias" (2)
    try {
        xg::nn::load(model, path, strict);
        FUZZ_CHECK(model.weight.shape() == xg::Shape({2, 3}) && model.bias.shape() == xg::Shape({2}), path);
    } catch (const xg::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = fuzz::Scratch::get().write("input.safetensors", fuzz::text(data, size));
    try {
        xg::nn::SafetensorsReader r(path);
        for (const auto& name : r.names()) {
            const xg::Shape shape = r.shape(name);
            (void)r.dtype(name);
            const auto f = r.get<float>(name);
            FUZZ_CHECK(xg::Shape(f.shape().begin(), f.shape().end()) == shape, name);
            (void)r.get<double>(name);
            try {
                (void)r.get<std::int64_t>(name);  // from a float tensor only when every value is a whole int64
            } catch (const xg::Error&) {
            }
        }
        (void)r.metadata();
    } catch (const xg::Error&) {
    }
    load_into<float>(path, true);
    load_into<double>(path, false);
    return 0;
}

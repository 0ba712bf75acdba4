// Vocab::load on any bytes. A vocabulary it accepts must be consistent (every token finds
// its own id, every counted token its count) and survive save and load unchanged.
// Errors must be xg::Error naming the file.
#include <xgrad.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& scratch = fuzz::Scratch::get();
    const std::string path = scratch.write("vocab.json", fuzz::text(data, size));
    xg::data::Vocab v;
    try {
        v = xg::data::Vocab::load(path);
    } catch (const xg::Error&) {
        return 0;
    }
    FUZZ_CHECK(v.size() >= 1 && v.token(0) == "<unk>", "no <unk> at 0");
    for (std::size_t i = 0; i < v.size(); ++i) FUZZ_CHECK(v.index(v.token(std::int64_t(i))) == std::int64_t(i), v.token(std::int64_t(i)));
    for (const auto& [token, count] : v.token_freqs()) FUZZ_CHECK(v.frequency(token) == count, token);
    (void)v.decode_joined(v.encode({"<unk>", "a", ""}), " ");
    const std::string again = (scratch.dir() / "again.json").string();
    v.save(again);
    FUZZ_CHECK(xg::data::Vocab::load(again) == v, "save and load changed the vocabulary");
    return 0;
}

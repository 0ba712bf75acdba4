// The time-machine reader on any bytes as the corpus file: read_time_machine, and
// load_corpus_time_machine and SeqDataLoader as the example calls them (characters and
// words). Errors must be xg::Error: xg::IOError or xg::FormatError naming the file, or, for
// a corpus too short for the batch shape, a plain xg::Error.
#include <xgrad.hpp>

#include "fuzz.hpp"

namespace d = xg::data;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = fuzz::Scratch::get().write("timemachine.txt", fuzz::text(data, size));
    for (const auto& line : d::read_time_machine(path))
        for (const char c : line) FUZZ_CHECK((c >= 'a' && c <= 'z') || c == ' ', line);
    for (const auto kind : {d::TokenKind::character, d::TokenKind::word}) {
        for (const std::size_t max_tokens : {std::size_t(0), std::size_t(5)}) {
            try {
                const auto c = d::load_corpus_time_machine(path, max_tokens, kind);
                FUZZ_CHECK(!c.ids.empty() && (max_tokens == 0 || c.ids.size() <= max_tokens), "corpus size");
                for (const auto id : c.ids) FUZZ_CHECK(id > 0 && std::size_t(id) < c.vocab.size(), "id out of range");
            } catch (const xg::Error&) {
            }
        }
        try {
            d::SeqDataLoader loader(path, 2, 3, kind == d::TokenKind::word, 0, kind);
            for (const auto& [X, Y] : loader.epoch(0)) FUZZ_CHECK(X.shape() == Y.shape(), "X and Y differ in shape");
        } catch (const xg::Error&) {
        }
    }
    return 0;
}

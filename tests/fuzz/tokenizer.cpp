// The tokenizers on any bytes (text is UTF-8, but reviews and corpora hold what they hold):
// split_words, split_chars, every WordTokenizer option, the time-machine preprocessing and
// tokenize(). None may throw; each keeps the promises its header makes.
#include <xgrad.hpp>

#include "fuzz.hpp"

namespace d = xg::data;

namespace {

// What Python's str.split() splits on, among the ASCII bytes.
bool ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); }

void no_empty_token(const d::Tokens& tokens, const char* who) {
    for (const auto& t : tokens) FUZZ_CHECK(!t.empty(), who);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in = fuzz::text(data, size);

    // list(line): one token per code point, a stray byte alone; nothing lost or added
    const auto chars = d::split_chars(in);
    std::string joined;
    for (const auto& c : chars) {
        FUZZ_CHECK(!c.empty() && c.size() <= 4, "split_chars: a token of " + std::to_string(c.size()) + " bytes");
        joined += c;
    }
    FUZZ_CHECK(joined == in, "split_chars lost or added bytes");

    // line.split(): no empty tokens, no ASCII whitespace inside one, every other byte kept in order
    const auto words = d::split_words(in);
    no_empty_token(words, "split_words");
    std::string kept;
    for (const auto& w : words) {
        for (const char c : w) FUZZ_CHECK(!ascii_space(c), "split_words left whitespace in \"" + w + "\"");
        kept += w;
    }
    FUZZ_CHECK(kept.size() <= in.size(), "split_words added bytes");

    for (int flags = 0; flags < 8; ++flags) {
        const d::WordTokenizer tok(
            d::WordTokenizerOptions().lower(flags & 1).split_punctuation(flags & 2).drop_html_breaks(flags & 4));
        no_empty_token(tok(in), "WordTokenizer");
    }

    // re.sub('[^A-Za-z]+', ' ', line).strip().lower(): lower-case letters and single inner spaces
    const std::string line = d::preprocess_time_machine_line(in);
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        FUZZ_CHECK((c >= 'a' && c <= 'z') || (c == ' ' && i > 0 && i + 1 < line.size() && line[i - 1] != ' '),
                   "preprocess_time_machine_line gave \"" + line + "\"");
    }

    const std::vector<std::string> lines{std::string(in), line};
    FUZZ_CHECK(d::tokenize(lines, d::TokenKind::word).size() == 2, "tokenize: one list per line");
    FUZZ_CHECK(d::tokenize(lines, d::TokenKind::character)[0] == chars, "tokenize(char) differs from split_chars");
    return 0;
}

#include "data/tokenizer.hpp"

#include <cstddef>

#include "core/error.hpp"

namespace xg::data {

namespace {

using U8 = unsigned char;

// Bytes of the whitespace character at p (0 if none), by Python's str.isspace():
// ASCII \t \n \v \f \r, space, \x1c-\x1f, and the Unicode spaces U+0085, U+00A0, U+1680,
// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 in their UTF-8 forms.
std::size_t space_at(const char* p, const char* end) {
    const U8 c = U8(p[0]);
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return 1;
    if (c < 0xc2) return 0;
    const std::ptrdiff_t left = end - p;
    if (c == 0xc2) return left >= 2 && (U8(p[1]) == 0x85 || U8(p[1]) == 0xa0) ? 2 : 0;
    if (left < 3) return 0;
    const U8 b1 = U8(p[1]), b2 = U8(p[2]);
    if (c == 0xe1) return b1 == 0x9a && b2 == 0x80 ? 3 : 0;
    if (c == 0xe2) {
        if (b1 == 0x80) return (b2 >= 0x80 && b2 <= 0x8a) || b2 == 0xa8 || b2 == 0xa9 || b2 == 0xaf ? 3 : 0;
        return b1 == 0x81 && b2 == 0x9f ? 3 : 0;
    }
    if (c == 0xe3) return b1 == 0x80 && b2 == 0x80 ? 3 : 0;
    return 0;
}

// Length of the UTF-8 code point at p; 1 for a byte that does not start a valid one.
std::size_t code_point_at(const char* p, const char* end) {
    const U8 c = U8(p[0]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || std::size_t(end - p) < n) return 1;
    for (std::size_t i = 1; i < n; ++i)
        if ((U8(p[i]) & 0xc0) != 0x80) return 1;
    return n;
}

bool is_ascii_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool is_ascii_punct(char c) {
    const U8 u = U8(c);
    return (u >= 33 && u <= 47) || (u >= 58 && u <= 64) || (u >= 91 && u <= 96) || (u >= 123 && u <= 126);
}

// Letters, digits and any non-ASCII byte count as "inside a word" for apostrophes.
bool is_word_byte(char c) {
    return is_ascii_letter(c) || (c >= '0' && c <= '9') || U8(c) >= 0x80;
}

// Length of an HTML line break at text[i] (<br>, <br/>, <br />, any case), or 0.
std::size_t html_break_at(std::string_view text, std::size_t i) {
    if (text.size() - i < 4 || text[i] != '<' || ascii_lower(text[i + 1]) != 'b' || ascii_lower(text[i + 2]) != 'r')
        return 0;
    std::size_t j = i + 3;
    while (j < text.size() && text[j] == ' ') ++j;
    if (j < text.size() && text[j] == '/') ++j;
    while (j < text.size() && text[j] == ' ') ++j;
    return j < text.size() && text[j] == '>' ? j + 1 - i : 0;
}

}  // namespace

TokenKind parse_token_kind(std::string_view name) {
    if (name == "word") return TokenKind::word;
    if (name == "char") return TokenKind::character;
    XG_FAIL("tokenize: unknown token type '" << name << "' (expected 'word' or 'char')");
}

Tokens split_words(std::string_view line) {
    Tokens out;
    const char* p = line.data();
    const char* end = p + line.size();
    const char* start = nullptr;  // start of the current token
    while (p < end) {
        if (const std::size_t n = space_at(p, end)) {
            if (start) out.emplace_back(start, p);
            start = nullptr;
            p += n;
        } else {
            if (!start) start = p;
            ++p;
        }
    }
    if (start) out.emplace_back(start, end);
    return out;
}

Tokens split_chars(std::string_view line) {
    Tokens out;
    out.reserve(line.size());
    const char* p = line.data();
    const char* end = p + line.size();
    while (p < end) {
        const std::size_t n = code_point_at(p, end);
        out.emplace_back(p, n);
        p += n;
    }
    return out;
}

std::vector<Tokens> tokenize(const std::vector<std::string>& lines, TokenKind kind) {
    std::vector<Tokens> out;
    out.reserve(lines.size());
    for (const auto& line : lines) out.push_back(kind == TokenKind::word ? split_words(line) : split_chars(line));
    return out;
}

std::string preprocess_time_machine_line(std::string_view line) {
    std::string out;
    out.reserve(line.size());
    bool pending_space = false;  // a run of non-letters seen since the last letter
    for (const char c : line) {
        if (!is_ascii_letter(c)) {
            pending_space = true;
            continue;
        }
        if (pending_space && !out.empty()) out.push_back(' ');  // .strip(): none at the start
        pending_space = false;
        out.push_back(ascii_lower(c));
    }
    return out;  // none at the end either: a trailing run is never written
}

Tokens WordTokenizer::operator()(std::string_view text) const {
    // Normalise into a buffer (case, breaks, spaces around punctuation), then split as d2l does.
    std::string buf;
    buf.reserve(text.size() + text.size() / 8);
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (options_.drop_html_breaks() && c == '<') {
            if (const std::size_t n = html_break_at(text, i)) {
                buf.push_back(' ');
                i += n;
                continue;
            }
        }
        if (options_.split_punctuation() && is_ascii_punct(c)) {
            const bool inner_apostrophe =
                c == '\'' && i > 0 && i + 1 < text.size() && is_word_byte(text[i - 1]) && is_word_byte(text[i + 1]);
            if (!inner_apostrophe) {
                buf.push_back(' ');
                buf.push_back(c);
                buf.push_back(' ');
                ++i;
                continue;
            }
        }
        if (options_.lower()) {
            // Latin-1 capitals À-Þ (U+00C0-U+00DE, not ×) are C3 80-9E; lower case is C3 A0-BE.
            if (U8(c) == 0xc3 && i + 1 < text.size() && (U8(text[i + 1]) & 0xc0) == 0x80) {
                const U8 b = U8(text[i + 1]);
                buf.push_back(c);
                buf.push_back(char(b >= 0x80 && b <= 0x9e && b != 0x97 ? b + 0x20 : b));
                i += 2;
                continue;
            }
            buf.push_back(ascii_lower(c));
        } else {
            buf.push_back(c);
        }
        ++i;
    }
    return split_words(buf);
}

std::vector<Tokens> WordTokenizer::operator()(const std::vector<std::string>& texts) const {
    std::vector<Tokens> out;
    out.reserve(texts.size());
    for (const auto& t : texts) out.push_back((*this)(t));
    return out;
}

}  // namespace xg::data

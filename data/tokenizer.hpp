/// \file
/// Tokenizers: d2l's tokenize(lines, 'word'|'char'), its time-machine preprocessing, and a
/// configurable word tokenizer for movie reviews.
///
///   auto lines = xg::data::read_time_machine("timemachine.txt");        // preprocessed
///   auto chars = xg::data::tokenize(lines, xg::data::TokenKind::character);
///   xg::data::WordTokenizer tok(xg::data::WordTokenizerOptions().split_punctuation(true));
///   tok("A <br /><br />great film!")  ->  {"a", "great", "film", "!"}
///
/// Text is UTF-8. Word splitting follows Python's str.split() exactly, Unicode whitespace
/// included (aclImdb has U+00A0 and U+0085 in a few hundred reviews), so vocabularies
/// match d2l's token for token.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xg::data {

/// One text's tokens, in order.
using Tokens = std::vector<std::string>;

/// What a token is: a whitespace-separated word or one character (d2l's 'word' and 'char').
enum class TokenKind { word, character };

/// "word" or "char", d2l's names; anything else throws xg::Error.
TokenKind parse_token_kind(std::string_view name);

/// Python's line.split(): runs of whitespace separate tokens, none are empty.
Tokens split_words(std::string_view line);
/// Python's list(line): one token per character (UTF-8 code point; a stray byte that is
/// not valid UTF-8 is a token of its own).
Tokens split_chars(std::string_view line);

/// d2l's tokenize(lines, token): one token list per line.
std::vector<Tokens> tokenize(const std::vector<std::string>& lines, TokenKind kind = TokenKind::word);

/// d2l's time-machine line: re.sub('[^A-Za-z]+', ' ', line).strip().lower().
std::string preprocess_time_machine_line(std::string_view line);

/// Options for WordTokenizer, with chainable setters.
struct WordTokenizerOptions {
    /// Lower-case ASCII and Latin-1 letters (A-Z, À-Þ); other text is left as it is.
    WordTokenizerOptions& lower(bool on) { lower_ = on; return *this; }
    /// Every ASCII punctuation mark becomes a token of its own ("film!" -> "film", "!"),
    /// except an apostrophe between two letters, which stays in its word ("don't").
    WordTokenizerOptions& split_punctuation(bool on) { split_punctuation_ = on; return *this; }
    /// Replace HTML line breaks (<br />, <br/>, <br>, any case) with a space; aclImdb
    /// reviews are full of them.
    WordTokenizerOptions& drop_html_breaks(bool on) { drop_html_breaks_ = on; return *this; }

    bool lower() const { return lower_; }                          ///< whether letters are lower-cased; default true
    bool split_punctuation() const { return split_punctuation_; }  ///< whether punctuation is split off; default false
    bool drop_html_breaks() const { return drop_html_breaks_; }    ///< whether HTML line breaks are dropped; default false

    /// Both extras on: punctuation split off and <br /> dropped.
    static WordTokenizerOptions clean() { return WordTokenizerOptions().split_punctuation(true).drop_html_breaks(true); }

private:
    bool lower_ = true;
    bool split_punctuation_ = false;
    bool drop_html_breaks_ = false;
};

/// Word tokenizer for reviews. Default: lower case, then d2l's whitespace split.
class WordTokenizer {
public:
    /// A tokenizer with these options (default: lower case only).
    explicit WordTokenizer(WordTokenizerOptions options = {}) : options_(options) {}

    /// The tokens of one text.
    Tokens operator()(std::string_view text) const;
    /// As operator()(std::string_view), for each text in turn.
    std::vector<Tokens> operator()(const std::vector<std::string>& texts) const;

    /// The options it was made with.
    const WordTokenizerOptions& options() const { return options_; }

private:
    WordTokenizerOptions options_;
};

}  // namespace xg::data

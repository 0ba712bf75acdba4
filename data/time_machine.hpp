/// \file
/// H. G. Wells' The Time Machine, read and encoded as d2l does (d2l.read_time_machine,
/// d2l.load_corpus_time_machine). The corpus ships in data/corpora/timemachine.txt.
///
///   auto [corpus, vocab] = xg::data::load_corpus_time_machine("data/corpora/timemachine.txt", 10000);
///   // corpus: 10000 char ids; vocab: 28 tokens, '`<unk>`', ' ', 'e', 't', 'a', ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/tokenizer.hpp"
#include "data/vocab.hpp"

namespace xg::data {

/// Every line (`\n`, `\r\n` or `\r` ends one, as Python's text mode), preprocessed:
/// re.sub('[^A-Za-z]+', ' ', line).strip().lower(). Empty lines are kept, as d2l keeps them.
/// A missing or unreadable file throws xg::IOError naming the path.
std::vector<std::string> read_time_machine(const std::string& path);

/// A corpus as token ids and the vocabulary that encodes it, as load_corpus_time_machine returns.
struct Corpus {
    std::vector<std::int64_t> ids;  ///< every token of every line, concatenated with no separator
    Vocab vocab;                    ///< built from all tokens (min_freq 0), also when ids are cut
};

/// d2l's load_corpus_time_machine: tokenize (chars by default), build the vocabulary from
/// the whole text, encode, and keep the first max_tokens ids (0 keeps all). An empty
/// corpus throws xg::FormatError naming the path.
Corpus load_corpus_time_machine(const std::string& path, std::size_t max_tokens = 0,
                                TokenKind kind = TokenKind::character);

}  // namespace xg::data

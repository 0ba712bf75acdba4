/// \file
/// Vocab: token <-> id, with exactly d2l's semantics (d2l.Vocab), so ids match d2l's.
///
///   xg::data::Vocab vocab(tokens, /*min_freq=*/5, /*reserved=*/{"<pad>"});
///   vocab.size();                  // len(vocab)
///   vocab["the"];                  // vocab['the']; an unknown token gives unk() == 0
///   vocab.encode({"the", "time"}); // vocab[['the', 'time']]
///   vocab.decode({3, 9});          // vocab.to_tokens([3, 9])
///
/// Construction: tokens are counted (collections.Counter, first-appearance order), sorted
/// by frequency descending with ties kept in first-appearance order (Python's stable
/// sort), and idx_to_token = ['\<unk\>'] + reserved, then every token with freq >= min_freq
/// not already present; the first token below min_freq stops the scan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data/token_index.hpp"

namespace xg::data {

/// Token <-> id mapping with d2l.Vocab's construction and ids (see the file's notes).
class Vocab {
public:
    /// A token and how often it occurred.
    using TokenFreq = std::pair<std::string, std::size_t>;

    /// Only '`<unk>`'.
    Vocab();
    /// From one token list per line (d2l's usual input) or from a flat token list.
    explicit Vocab(const std::vector<std::vector<std::string>>& lines, std::size_t min_freq = 0,
                   const std::vector<std::string>& reserved_tokens = {});
    /// As Vocab(lines, ...), from a flat token list. A reserved token given twice (or
    /// '`<unk>`') throws xg::Error, in either constructor.
    explicit Vocab(const std::vector<std::string>& tokens, std::size_t min_freq = 0,
                   const std::vector<std::string>& reserved_tokens = {});

    /// The number of tokens, `<unk>` and reserved ones included: len(vocab).
    std::size_t size() const { return idx_to_token_.size(); }
    /// The id of '`<unk>`', always 0, which unknown tokens map to.
    static constexpr std::int64_t unk() { return 0; }

    /// The token's id; unk() when it is not in the vocabulary.
    std::int64_t index(std::string_view token) const;
    /// As index(): vocab[token].
    std::int64_t operator[](std::string_view token) const { return index(token); }
    /// Whether token has an id of its own ('`<unk>`' included), as `token in vocab.token_to_idx`.
    bool contains(std::string_view token) const;
    /// The token with this id; an id outside [0, size()) throws xg::Error.
    const std::string& token(std::int64_t id) const;

    /// Each token's index(): d2l's vocab[tokens].
    std::vector<std::int64_t> encode(const std::vector<std::string>& tokens) const;
    /// Each id's token(), so a bad id throws: d2l's vocab.to_tokens(ids).
    std::vector<std::string> decode(const std::vector<std::int64_t>& ids) const;
    /// Decoded tokens joined by sep: "" for characters, " " for words.
    std::string decode_joined(const std::vector<std::int64_t>& ids, std::string_view sep = "") const;

    /// How often the token occurred in the tokens the vocabulary was built from (0 if
    /// never), also for tokens dropped by min_freq.
    std::size_t frequency(std::string_view token) const;
    /// Every counted token with its count, most frequent first (d2l's vocab.token_freqs).
    const std::vector<TokenFreq>& token_freqs() const { return token_freqs_; }
    /// Every token, indexed by id (d2l's vocab.idx_to_token).
    const std::vector<std::string>& idx_to_token() const { return idx_to_token_; }

    /// JSON {"format": "xgrad.vocab", "version": 1, "idx_to_token": [...],
    /// "token_freqs": [[token, count], ...]}, written atomically. load() throws
    /// xg::IOError or xg::FormatError naming the file and the problem (missing, not JSON, wrong shape).
    void save(const std::string& path) const;
    /// Reads a vocabulary written by save(); errors as above.
    static Vocab load(const std::string& path);

    /// Equal when the token lists and token_freqs() are both equal.
    bool operator==(const Vocab& other) const {
        return idx_to_token_ == other.idx_to_token_ && token_freqs_ == other.token_freqs_;
    }

private:
    void build(std::vector<TokenFreq> counts, std::size_t min_freq, const std::vector<std::string>& reserved);
    void add(const std::string& token);

    std::int64_t find_id(std::string_view token) const;    ///< id, or -1
    std::int64_t find_freq(std::string_view token) const;  ///< position in token_freqs_, or -1

    std::vector<std::string> idx_to_token_;
    TokenIndex token_to_idx_;  ///< keys: idx_to_token_
    std::vector<TokenFreq> token_freqs_;
    TokenIndex freq_index_;  ///< keys: token_freqs_[i].first
};

}  // namespace xg::data

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
/// sort), and idx_to_token = ['<unk>'] + reserved, then every token with freq >= min_freq
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

class Vocab {
public:
    using TokenFreq = std::pair<std::string, std::size_t>;

    /// Only '<unk>'.
    Vocab();
    /// From one token list per line (d2l's usual input) or from a flat token list.
    explicit Vocab(const std::vector<std::vector<std::string>>& lines, std::size_t min_freq = 0,
                   const std::vector<std::string>& reserved_tokens = {});
    explicit Vocab(const std::vector<std::string>& tokens, std::size_t min_freq = 0,
                   const std::vector<std::string>& reserved_tokens = {});

    std::size_t size() const { return idx_to_token_.size(); }
    static constexpr std::int64_t unk() { return 0; }

    /// The token's id; unk() when it is not in the vocabulary.
    std::int64_t index(std::string_view token) const;
    std::int64_t operator[](std::string_view token) const { return index(token); }
    bool contains(std::string_view token) const;
    /// The token with this id; an id outside [0, size()) throws xg::Error.
    const std::string& token(std::int64_t id) const;

    std::vector<std::int64_t> encode(const std::vector<std::string>& tokens) const;
    std::vector<std::string> decode(const std::vector<std::int64_t>& ids) const;
    /// Decoded tokens joined by sep: "" for characters, " " for words.
    std::string decode_joined(const std::vector<std::int64_t>& ids, std::string_view sep = "") const;

    /// How often the token occurred in the tokens the vocabulary was built from (0 if
    /// never), also for tokens dropped by min_freq.
    std::size_t frequency(std::string_view token) const;
    /// Every counted token with its count, most frequent first (d2l's vocab.token_freqs).
    const std::vector<TokenFreq>& token_freqs() const { return token_freqs_; }
    const std::vector<std::string>& idx_to_token() const { return idx_to_token_; }

    /// JSON {"format": "xgrad.vocab", "version": 1, "idx_to_token": [...],
    /// "token_freqs": [[token, count], ...]}, written atomically. load() throws
    /// xg::IOError or xg::FormatError naming the file and the problem (missing, not JSON, wrong shape).
    void save(const std::string& path) const;
    static Vocab load(const std::string& path);

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

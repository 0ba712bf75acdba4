#include "data/vocab.hpp"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace xg::data {

namespace {

// collections.Counter: counts in first-appearance order. Keys view the caller's tokens,
// which outlive the count, so only distinct tokens are copied (at take()).
class Counter {
public:
    explicit Counter(std::size_t expected) { index_.reserve(expected); }
    void add(std::string_view token) {
        const std::uint64_t h = TokenIndex::hash(token);
        std::int64_t id = index_.find(token, h, [this](std::int64_t i) { return counts_[std::size_t(i)].first; });
        if (id < 0) {
            id = std::int64_t(counts_.size());
            counts_.emplace_back(token, 0);
            index_.insert(h, id);
        }
        ++counts_[std::size_t(id)].second;
    }
    std::vector<Vocab::TokenFreq> take() {
        std::vector<Vocab::TokenFreq> out;
        out.reserve(counts_.size());
        for (const auto& [t, n] : counts_) out.emplace_back(std::string(t), n);
        return out;
    }

private:
    TokenIndex index_;
    std::vector<std::pair<std::string_view, std::size_t>> counts_;
};

const char* const kFormat = "xgrad.vocab";

}  // namespace

Vocab::Vocab() { build({}, 0, {}); }

Vocab::Vocab(const std::vector<std::vector<std::string>>& lines, std::size_t min_freq,
             const std::vector<std::string>& reserved_tokens) {
    std::size_t n = 0;
    for (const auto& line : lines) n += line.size();
    Counter counter(std::min<std::size_t>(n, 1 << 16));
    for (const auto& line : lines)
        for (const auto& t : line) counter.add(t);
    build(counter.take(), min_freq, reserved_tokens);
}

Vocab::Vocab(const std::vector<std::string>& tokens, std::size_t min_freq, const std::vector<std::string>& reserved_tokens) {
    Counter counter(std::min<std::size_t>(tokens.size(), 1 << 16));
    for (const auto& t : tokens) counter.add(t);
    build(counter.take(), min_freq, reserved_tokens);
}

void Vocab::add(const std::string& token) {
    token_to_idx_.insert(TokenIndex::hash(token), std::int64_t(idx_to_token_.size()));
    idx_to_token_.push_back(token);
}

std::int64_t Vocab::find_id(std::string_view token) const {
    return token_to_idx_.find(token, TokenIndex::hash(token),
                              [this](std::int64_t i) -> std::string_view { return idx_to_token_[std::size_t(i)]; });
}

std::int64_t Vocab::find_freq(std::string_view token) const {
    return freq_index_.find(token, TokenIndex::hash(token),
                            [this](std::int64_t i) -> std::string_view { return token_freqs_[std::size_t(i)].first; });
}

void Vocab::build(std::vector<TokenFreq> counts, std::size_t min_freq, const std::vector<std::string>& reserved) {
    // sorted(counter.items(), key=freq, reverse=True): stable, so ties keep first appearance.
    std::stable_sort(counts.begin(), counts.end(), [](const TokenFreq& a, const TokenFreq& b) { return a.second > b.second; });
    token_freqs_ = std::move(counts);
    freq_index_.reserve(token_freqs_.size());
    for (std::size_t i = 0; i < token_freqs_.size(); ++i)
        freq_index_.insert(TokenIndex::hash(token_freqs_[i].first), std::int64_t(i));

    add("<unk>");
    for (const auto& r : reserved) {
        XG_CHECK(!contains(r), "Vocab: reserved token '" << r << "' given twice (or is '<unk>')");
        add(r);
    }
    for (const auto& [token, freq] : token_freqs_) {
        if (freq < min_freq) break;
        if (!contains(token)) add(token);
    }
}

std::int64_t Vocab::index(std::string_view token) const {
    const std::int64_t id = find_id(token);
    return id < 0 ? unk() : id;
}

bool Vocab::contains(std::string_view token) const { return find_id(token) >= 0; }

const std::string& Vocab::token(std::int64_t id) const {
    XG_CHECK(id >= 0 && std::size_t(id) < idx_to_token_.size(),
             "Vocab::token: id " << id << " out of range for a vocabulary of " << idx_to_token_.size() << " tokens");
    return idx_to_token_[std::size_t(id)];
}

std::vector<std::int64_t> Vocab::encode(const std::vector<std::string>& tokens) const {
    std::vector<std::int64_t> ids;
    ids.reserve(tokens.size());
    for (const auto& t : tokens) ids.push_back(index(t));
    return ids;
}

std::vector<std::string> Vocab::decode(const std::vector<std::int64_t>& ids) const {
    std::vector<std::string> out;
    out.reserve(ids.size());
    for (const auto id : ids) out.push_back(token(id));
    return out;
}

std::string Vocab::decode_joined(const std::vector<std::int64_t>& ids, std::string_view sep) const {
    std::string out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) out += sep;
        out += token(ids[i]);
    }
    return out;
}

std::size_t Vocab::frequency(std::string_view token) const {
    const std::int64_t i = find_freq(token);
    return i < 0 ? 0 : token_freqs_[std::size_t(i)].second;
}

void Vocab::save(const std::string& path) const {
    nlohmann::json freqs = nlohmann::json::array();
    for (const auto& [token, freq] : token_freqs_) freqs.push_back({token, freq});
    const nlohmann::json j = {{"format", kFormat}, {"version", 1}, {"idx_to_token", idx_to_token_}, {"token_freqs", freqs}};
    std::string text;
    try {
        text = j.dump(1);
    } catch (const nlohmann::json::exception& e) {  // a token that is not valid UTF-8
        throw FormatError("Vocab::save '" + path + "': " + e.what());
    }
    write_file_atomic(path, text + "\n");
}

Vocab Vocab::load(const std::string& path) {
    const std::string text = read_file(path);  // names the file when missing or unreadable
    auto bad = [&](const std::string& problem) {
        return FormatError("Vocab::load '" + path + "': " + problem);
    };
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
        throw bad(std::string("not valid JSON (") + e.what() + ")");
    }
    Vocab v;
    try {  // type errors from lookups below become the same kind of message
        if (!j.is_object() || !j.contains("format") || j["format"] != kFormat) throw bad("not an xgrad vocabulary (no \"format\": \"xgrad.vocab\")");
        // compared as a JSON number: a huge or fractional version is refused, never cast to int
        if (!j.contains("version") || j["version"] != 1) throw bad("unsupported version " + j["version"].dump());
        if (!j.contains("idx_to_token") || !j["idx_to_token"].is_array()) throw bad("\"idx_to_token\" missing or not a list");
        if (!j.contains("token_freqs") || !j["token_freqs"].is_array()) throw bad("\"token_freqs\" missing or not a list");

        v.idx_to_token_.clear();
        v.token_to_idx_.clear();
        for (const auto& t : j["idx_to_token"]) {
            if (!t.is_string()) throw bad("idx_to_token entry " + std::to_string(v.size()) + " is not a string: " + t.dump());
            const std::string& s = t.get_ref<const std::string&>();
            if (v.contains(s)) throw bad("token '" + s + "' appears twice in idx_to_token");
            v.add(s);
        }
        if (v.idx_to_token_.empty() || v.idx_to_token_[0] != "<unk>") throw bad("idx_to_token must start with '<unk>'");
        for (const auto& e : j["token_freqs"]) {
            if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number_unsigned())
                throw bad("token_freqs entry " + std::to_string(v.token_freqs_.size()) + " is not [token, count]: " + e.dump());
            const std::string& s = e[0].get_ref<const std::string&>();
            if (v.find_freq(s) >= 0) throw bad("token '" + s + "' appears twice in token_freqs");
            v.freq_index_.insert(TokenIndex::hash(s), std::int64_t(v.token_freqs_.size()));
            v.token_freqs_.emplace_back(s, e[1].get<std::size_t>());
        }
    } catch (const nlohmann::json::exception& e) {
        throw bad(e.what());
    }
    return v;
}

}  // namespace xg::data

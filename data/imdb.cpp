#include "data/imdb.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <system_error>

#include "core/error.hpp"
#include "autograd/factory.hpp"
#include "core/file_io.hpp"
#include "data/loader.hpp"

namespace xg::data {

namespace fs = std::filesystem;

namespace {

// "123_8.txt" -> id 123, rating 8; false for any other name.
bool parse_review_name(const std::string& name, std::int64_t& id, int& rating) {
    const std::string_view n(name);
    if (n.size() < 7 || n.substr(n.size() - 4) != ".txt") return false;
    const std::string_view stem = n.substr(0, n.size() - 4);
    const std::size_t us = stem.find('_');
    if (us == std::string_view::npos || us == 0 || us + 1 == stem.size()) return false;
    const char* end_id = stem.data() + us;
    const char* end = stem.data() + stem.size();
    auto r1 = std::from_chars(stem.data(), end_id, id);
    auto r2 = std::from_chars(end_id + 1, end, rating);
    return r1.ec == std::errc() && r1.ptr == end_id && r2.ec == std::errc() && r2.ptr == end && id >= 0 && rating >= 0 &&
           rating <= 10;
}

void read_folder(const fs::path& folder, std::int64_t label, std::vector<Review>& out) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw IOError("read_imdb: missing folder '" + folder.string() + "'" + (ec ? ": " + ec.message() : ""));
    std::vector<Review> reviews;
    fs::directory_iterator it(folder, ec);
    if (ec) throw IOError("read_imdb: cannot list '" + folder.string() + "': " + ec.message());
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        const std::string name = p.filename().string();
        if (name.empty() || name[0] == '.') continue;  // .DS_Store and friends
        Review r{{}, label, 0, 0, p.string()};
        if (!parse_review_name(name, r.id, r.rating))
            throw FormatError("read_imdb: '" + r.path + "' is not named ID_RATING.txt (e.g. 123_8.txt)");
        reviews.push_back(std::move(r));
    }
    if (ec) throw IOError("read_imdb: cannot list '" + folder.string() + "': " + ec.message());
    std::sort(reviews.begin(), reviews.end(), [](const Review& a, const Review& b) { return a.id < b.id; });
    for (auto& r : reviews) {
        try {
            r.text = read_file(r.path);
        } catch (const IOError& e) {
            throw IOError(std::string("read_imdb: ") + e.what());
        }
        r.text.erase(std::remove(r.text.begin(), r.text.end(), '\n'), r.text.end());  // d2l: .replace('\n', '')
    }
    out.insert(out.end(), std::make_move_iterator(reviews.begin()), std::make_move_iterator(reviews.end()));
}

}  // namespace

std::vector<Review> read_imdb(const std::string& dir, const std::string& split) {
    const fs::path root(dir);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) throw IOError("read_imdb: missing directory '" + dir + "'");
    std::vector<Review> out;
    read_folder(root / split / "pos", 1, out);
    read_folder(root / split / "neg", 0, out);
    return out;
}

std::vector<Review> take_balanced(const std::vector<Review>& reviews, std::size_t n, std::uint64_t seed) {
    std::vector<std::size_t> pos, neg;
    for (std::size_t i = 0; i < reviews.size(); ++i) (reviews[i].label == 1 ? pos : neg).push_back(i);
    const std::size_t want_pos = (n + 1) / 2, want_neg = n / 2;
    XG_CHECK(want_pos <= pos.size() && want_neg <= neg.size(),
             "take_balanced: asked for " << want_pos << " positive and " << want_neg << " negative reviews, have "
                                         << pos.size() << " and " << neg.size());
    std::mt19937_64 rng(seed);
    std::shuffle(pos.begin(), pos.end(), rng);
    std::shuffle(neg.begin(), neg.end(), rng);
    std::vector<std::size_t> keep(pos.begin(), pos.begin() + std::ptrdiff_t(want_pos));
    keep.insert(keep.end(), neg.begin(), neg.begin() + std::ptrdiff_t(want_neg));
    std::sort(keep.begin(), keep.end());
    std::vector<Review> out;
    out.reserve(keep.size());
    for (const auto i : keep) out.push_back(reviews[i]);
    return out;
}

std::vector<std::int64_t> labels_of(const std::vector<Review>& reviews) {
    std::vector<std::int64_t> out;
    out.reserve(reviews.size());
    for (const auto& r : reviews) out.push_back(r.label);
    return out;
}

std::vector<Tokens> tokenize_reviews(const std::vector<Review>& reviews, const WordTokenizer& tokenizer) {
    std::vector<Tokens> out;
    out.reserve(reviews.size());
    for (const auto& r : reviews) out.push_back(tokenizer(r.text));
    return out;
}

Vocab build_imdb_vocab(const std::vector<Tokens>& tokens, std::size_t min_freq) {
    return Vocab(tokens, min_freq, {"<pad>"});
}

std::vector<std::int64_t> truncate_pad(const std::vector<std::int64_t>& ids, std::size_t num_steps, std::int64_t pad) {
    std::vector<std::int64_t> out(ids.begin(), ids.begin() + std::ptrdiff_t(std::min(ids.size(), num_steps)));
    out.resize(num_steps, pad);
    return out;
}

EncodedReviews encode_reviews(const std::vector<Tokens>& tokens, const std::vector<std::int64_t>& labels, const Vocab& vocab,
                              std::size_t num_steps) {
    XG_CHECK(tokens.size() == labels.size(),
             "encode_reviews: " << tokens.size() << " token lists but " << labels.size() << " labels");
    XG_CHECK(num_steps > 0, "encode_reviews: num_steps must be positive");
    XG_CHECK(vocab.contains("<pad>"), "encode_reviews: the vocabulary has no '<pad>' token (build it with build_imdb_vocab)");
    EncodedReviews out;
    out.pad_id = vocab["<pad>"];
    out.labels = labels;
    out.ids.reserve(tokens.size());
    for (const auto& t : tokens) {
        std::vector<std::int64_t> ids;
        const std::size_t n = std::min(t.size(), num_steps);
        ids.reserve(std::max<std::size_t>(n, 1));
        for (std::size_t i = 0; i < n; ++i) ids.push_back(vocab[t[i]]);
        if (ids.empty()) ids.push_back(out.pad_id);  // empty review: one pad step, length 1
        out.ids.push_back(std::move(ids));
    }
    return out;
}

BucketIterator::BucketIterator(EncodedReviews data, BucketIteratorOptions options)
    : data_(std::move(data)), options_(options), own_(options.seed().value_or(0)) {
    XG_CHECK(options_.batch_size() > 0, "BucketIterator: batch_size must be positive");
    XG_CHECK(options_.bucket_batches() > 0, "BucketIterator: bucket_batches must be positive");
    check_shard(options_.shard(), "BucketIterator");
    XG_CHECK(data_.labels.size() == data_.ids.size(),
             "BucketIterator: " << data_.ids.size() << " reviews but " << data_.labels.size() << " labels");
    for (std::size_t i = 0; i < data_.size(); ++i)
        XG_CHECK(!data_.ids[i].empty(), "BucketIterator: review " << i << " has no ids (encode_reviews gives every review one)");
}

std::mt19937_64& BucketIterator::rng() { return options_.seed() ? own_ : xg::generator(); }

std::size_t BucketIterator::num_batches() const {
    const std::size_t B = options_.batch_size();
    return options_.drop_last() ? data_.size() / B : (data_.size() + B - 1) / B;
}

std::vector<std::vector<std::size_t>> BucketIterator::plan_epoch() {
    const std::size_t n = data_.size(), B = options_.batch_size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    // Longest first; stable, so equal lengths keep the (shuffled) order they came in.
    auto by_length = [this](std::size_t a, std::size_t b) { return data_.length(a) > data_.length(b); };
    if (!options_.shuffle()) {
        std::stable_sort(order.begin(), order.end(), by_length);
        return split_batches(order, B, options_.drop_last());
    }
    std::shuffle(order.begin(), order.end(), rng());
    const std::size_t chunk = options_.bucket_batches() * B;
    for (std::size_t i = 0; i < n; i += chunk) {
        const auto first = order.begin() + std::ptrdiff_t(i);
        std::stable_sort(first, order.begin() + std::ptrdiff_t(std::min(n, i + chunk)), by_length);
    }
    // Chunks are whole batches, so only the last chunk's last batch can be short.
    auto batches = split_batches(order, B, options_.drop_last());
    std::shuffle(batches.begin(), batches.end(), rng());
    return batches;
}

TextBatch BucketIterator::batch(const std::vector<std::size_t>& indices) const {
    XG_CHECK(!indices.empty(), "BucketIterator::batch: no indices");
    for (const auto i : indices)
        XG_CHECK(i < data_.size(), "BucketIterator::batch: index " << i << " out of range for " << data_.size() << " reviews");
    TextBatch b;
    b.indices = indices;
    std::stable_sort(b.indices.begin(), b.indices.end(),
                     [this](std::size_t a, std::size_t c) { return data_.length(a) > data_.length(c); });
    if (options_.shard().world_size > 1) {
        b.loss_scale = shard_loss_scale(b.indices.size(), options_.shard());
        b.indices = take_shard(b.indices, options_.shard());
    }
    const std::size_t B = b.indices.size();
    const std::size_t T = B ? data_.length(b.indices.front()) : 0;
    b.tokens = IndexArray::from_shape({B, T});
    b.labels = IndexArray::from_shape({B});
    b.lengths.resize(B);
    std::int64_t* dst = b.tokens.data();
    for (std::size_t r = 0; r < B; ++r, dst += T) {
        const auto& ids = data_.ids[b.indices[r]];
        std::copy(ids.begin(), ids.end(), dst);
        std::fill(dst + ids.size(), dst + T, data_.pad_id);
        b.lengths[r] = ids.size();
        b.labels(r) = data_.labels[b.indices[r]];
    }
    return b;
}

std::vector<TextBatch> BucketIterator::epoch() {
    std::vector<TextBatch> out;
    for (const auto& idx : plan_epoch()) out.push_back(batch(idx));
    return out;
}

}  // namespace xg::data

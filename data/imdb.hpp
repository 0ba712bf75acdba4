/// \file
/// The IMDB movie reviews (aclImdb, Maas et al. 2011) for sentiment analysis: reading the
/// folder layout as d2l's read_imdb does, a balanced seeded subset, the vocabulary,
/// encoding with truncation, and a length-bucketed batch iterator so little is padding.
///
///   auto train = xg::data::read_imdb("data/corpora/aclImdb_sample", "train");
///   auto tokens = xg::data::tokenize_reviews(train);             // lower case, str.split()
///   auto vocab = xg::data::build_imdb_vocab(tokens);             // `<unk>` = 0, `<pad>` = 1
///   auto data = xg::data::encode_reviews(tokens, xg::data::labels_of(train), vocab, 500);
///   xg::data::BucketIterator it(std::move(data), xg::data::BucketIteratorOptions(64).seed(0));
///   for (const auto& idx : it.plan_epoch()) {
///       xg::data::TextBatch b = it.batch(idx);   // b.tokens: (B, T_max), b.lengths, b.labels: (B)
///   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "data/shard.hpp"
#include "data/tokenizer.hpp"
#include "data/vocab.hpp"

namespace xg::data {

/// One review file of aclImdb, as read_imdb reads it.
struct Review {
    std::string text;    ///< the file's bytes with '\n' removed, as d2l's read_imdb
    std::int64_t label;  ///< 1 positive, 0 negative
    int rating;          ///< 1-10, from the file name ID_RATING.txt
    std::int64_t id;     ///< the ID of the file name (unique within a folder)
    std::string path;    ///< the file it was read from: dir/split/pos/ID_RATING.txt (or neg)
};

/// dir/split/pos then dir/split/neg (split "train" or "test"), each folder's files in order
/// of ID (d2l takes os.listdir's order, which is arbitrary). Every file must be named
/// ID_RATING.txt; names starting with '.' are skipped. A missing directory or pos/neg
/// folder, an unreadable file or a malformed name throws xg::IOError or xg::FormatError naming the path.
/// Whole-file reads: the 50,000 reviews of aclImdb (65 MB) take 0.45 s from a warm page cache.
std::vector<Review> read_imdb(const std::string& dir, const std::string& split);

/// n reviews, half positive and half negative (the odd one positive), drawn without
/// replacement by a generator seeded with seed; kept in their original order. Asking for
/// more of a class than there are throws xg::Error.
std::vector<Review> take_balanced(const std::vector<Review>& reviews, std::size_t n, std::uint64_t seed);

/// Each review's label (1 positive, 0 negative), in order.
std::vector<std::int64_t> labels_of(const std::vector<Review>& reviews);

/// One token list per review. The default tokenizer lower-cases and splits on whitespace;
/// WordTokenizerOptions::clean() also splits off punctuation and drops <br />.
std::vector<Tokens> tokenize_reviews(const std::vector<Review>& reviews, const WordTokenizer& tokenizer = WordTokenizer());

/// d2l's Vocab(train_tokens, min_freq=5, reserved_tokens=['\<pad\>']): `<unk>` = 0, `<pad>` = 1.
Vocab build_imdb_vocab(const std::vector<Tokens>& tokens, std::size_t min_freq = 5);

/// d2l's truncate_pad: the first num_steps ids, padded with pad up to num_steps.
std::vector<std::int64_t> truncate_pad(const std::vector<std::int64_t>& ids, std::size_t num_steps, std::int64_t pad);

/// Reviews as ids, truncated to num_steps but not padded: padding happens per batch, to
/// the longest review of the batch.
struct EncodedReviews {
    std::vector<std::vector<std::int64_t>> ids;  ///< each 1..num_steps ids
    std::vector<std::int64_t> labels;  ///< one per review: 1 positive, 0 negative
    std::int64_t pad_id = 1;           ///< the vocabulary's id of '`<pad>`', used to pad batches

    /// The number of reviews.
    std::size_t size() const { return ids.size(); }
    /// Review i's number of ids (>= 1); i is not checked.
    std::size_t length(std::size_t i) const { return ids[i].size(); }
};

/// Encodes each review with vocab and keeps its first num_steps ids. An empty review
/// (no tokens) becomes one `<pad>` id with length 1, so every length is >= 1 and a model
/// that reads the state at the last true step still has a step to read; with
/// Embedding(padding_idx = pad) that step is a zero vector. The vocab must hold '`<pad>`'.
EncodedReviews encode_reviews(const std::vector<Tokens>& tokens, const std::vector<std::int64_t>& labels, const Vocab& vocab,
                              std::size_t num_steps);

/// One batch of reviews. B batch, T the longest review in this batch.
struct TextBatch {
    IndexArray tokens;                 ///< (B, T) ids, each row padded with pad_id after its review
    std::vector<std::size_t> lengths;  ///< (B) true lengths, >= 1, non-increasing (as packing wants)
    IndexArray labels;                 ///< (B)
    std::vector<std::size_t> indices;  ///< which reviews of the EncodedReviews, row by row
    /// Sharded: the factor for this rank's mean loss (shard_loss_scale), so that averaged
    /// gradients are those of the whole global batch. 1 otherwise.
    double loss_scale = 1.0;

    std::size_t size() const { return lengths.size(); }  ///< rows, B; 0: this rank has no row this step
};

/// Options for BucketIterator, with chainable setters; by default shuffled, 50 batches
/// per bucket, the short batch kept, draws from xg::generator(), not sharded.
struct BucketIteratorOptions {
    /// Options with this global batch size (reviews per batch, over all ranks).
    explicit BucketIteratorOptions(std::size_t batch_size) : batch_size_(batch_size) {}

    /// Reviews per batch (the global batch when sharded); 0 makes BucketIterator throw.
    BucketIteratorOptions& batch_size(std::size_t v) { batch_size_ = v; return *this; }
    /// Random buckets and batch order each epoch (training). Off: every review sorted by
    /// length, longest first, batches in that order (evaluation: least padding, fixed).
    BucketIteratorOptions& shuffle(bool v) { shuffle_ = v; return *this; }
    /// Reviews are sorted by length within chunks of bucket_batches * batch_size shuffled
    /// reviews: larger chunks pad less, smaller ones mix lengths more across epochs.
    BucketIteratorOptions& bucket_batches(std::size_t v) { bucket_batches_ = v; return *this; }
    /// Drop the one short batch (there is at most one); else it is kept.
    BucketIteratorOptions& drop_last(bool v) { drop_last_ = v; return *this; }
    /// The iterator's own generator, seeded once; without a seed, xg::generator().
    BucketIteratorOptions& seed(std::uint64_t v) { seed_ = v; return *this; }
    /// Data parallel: plan_epoch() still plans the global batches (the same on every rank,
    /// so every rank needs the same seed, or the same xg::manual_seed); batch() and epoch()
    /// build this rank's rows of each (data/shard.hpp).
    BucketIteratorOptions& shard(Shard v) { shard_ = v; return *this; }

    std::size_t batch_size() const { return batch_size_; }                ///< reviews per batch, over all ranks
    bool shuffle() const { return shuffle_; }                             ///< random buckets and batch order each epoch; default true
    std::size_t bucket_batches() const { return bucket_batches_; }        ///< batches per length-sorted chunk; default 50
    bool drop_last() const { return drop_last_; }                         ///< whether the short batch is dropped; default false
    const std::optional<std::uint64_t>& seed() const { return seed_; }    ///< the own generator's seed; none: xg::generator()
    const Shard& shard() const { return shard_; }                         ///< this rank's part; default rank 0 of 1 (all rows)

private:
    std::size_t batch_size_;
    Shard shard_;
    bool shuffle_ = true;
    std::size_t bucket_batches_ = 50;
    bool drop_last_ = false;
    std::optional<std::uint64_t> seed_;
};

/// Length-bucketed batches: each epoch shuffles the reviews, sorts each chunk of
/// bucket_batches * B by length (longest first), cuts it into batches of B and shuffles
/// the order of all batches. Every review is in exactly one batch per epoch (but the
/// dropped short batch with drop_last).
class BucketIterator {
public:
    /// Takes the reviews; a batch_size or bucket_batches of 0, a bad shard, labels not
    /// matching the reviews or a review with no ids throws xg::Error.
    BucketIterator(EncodedReviews data, BucketIteratorOptions options);

    /// The batches of the next epoch, as indices into data(); cheap, nothing is copied.
    std::vector<std::vector<std::size_t>> plan_epoch();
    /// Gathers and pads one planned batch; rows are put longest first. Sharded, this
    /// rank's rows of it (maybe none: size() 0).
    TextBatch batch(const std::vector<std::size_t>& indices) const;
    /// plan_epoch() with every batch built (the whole epoch in memory).
    std::vector<TextBatch> epoch();

    /// Batches per epoch: size / batch_size rounded up, or down with drop_last (global
    /// batches, the same count on every rank).
    std::size_t num_batches() const;
    /// The reviews it was made with.
    const EncodedReviews& data() const { return data_; }
    /// The options it was made with.
    const BucketIteratorOptions& options() const { return options_; }

private:
    std::mt19937_64& rng();

    EncodedReviews data_;
    BucketIteratorOptions options_;
    std::mt19937_64 own_;
};

}  // namespace xg::data

// IMDB: the reader on a tiny tree made here (labels, ratings, order, errors that name the
// path) and on the bundled sample (800 reviews, balanced); vocabulary and encoding as d2l;
// the length-bucketed iterator (every review once per epoch, little padding, pad ids).
// Sample numbers (vocabulary size, token counts) come from d2l's code run in Python on
// data/corpora/aclImdb_sample with lower-cased reviews.
#define BOOST_TEST_MODULE data_imdb
#include "common.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "data/imdb.hpp"
#include "data/loader.hpp"

namespace fs = std::filesystem;
using namespace xg::data;
using Strings = std::vector<std::string>;
using Ids = std::vector<std::int64_t>;

namespace {

const std::string kSample = test::source_file("data/corpora/aclImdb_sample");

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("xgrad_data_imdb_" + std::to_string(std::random_device{}()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// A tiny aclImdb: two positive and one negative training reviews, one test review per class.
fs::path tiny_tree(const fs::path& root) {
    write(root / "train/pos/10_10.txt", "Loved it.<br /><br />Would watch again.");
    write(root / "train/pos/3_8.txt", "Great\nfilm!");
    write(root / "train/neg/7_1.txt", "Dull and long.");
    write(root / "test/pos/0_9.txt", "Fine.");
    write(root / "test/neg/1_2.txt", "");
    return root;
}

EncodedReviews make_encoded(const std::vector<std::size_t>& lengths) {
    EncodedReviews e;
    e.pad_id = 1;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        e.ids.emplace_back(lengths[i], std::int64_t(2 + i % 7));
        e.labels.push_back(std::int64_t(i % 2));
    }
    return e;
}

// Checks one epoch: every review exactly once, each batch's tensors consistent with the
// data (true lengths, pad ids after them, labels, longest first).
void check_epoch(const BucketIterator& it, const std::vector<TextBatch>& batches, bool all_kept = true) {
    const EncodedReviews& d = it.data();
    std::vector<int> seen(d.size(), 0);
    for (const auto& b : batches) {
        const std::size_t B = b.indices.size();
        BOOST_REQUIRE(B >= 1u);
        BOOST_TEST(B <= it.options().batch_size());
        BOOST_REQUIRE(b.tokens.dimension() == 2u);
        BOOST_TEST(b.tokens.shape(0) == B);
        BOOST_TEST(b.lengths.size() == B);
        BOOST_TEST(xg::shape_str(b.labels.shape()) == xg::shape_str(xg::Shape{B}));
        BOOST_TEST(b.tokens.shape(1) == b.lengths.front());  // padded to the longest of the batch
        for (std::size_t r = 0; r < B; ++r) {
            const std::size_t i = b.indices[r];
            ++seen[i];
            BOOST_TEST(b.lengths[r] == d.length(i));
            BOOST_TEST(b.lengths[r] >= 1u);
            if (r > 0) BOOST_TEST(b.lengths[r] <= b.lengths[r - 1]);
            BOOST_TEST(b.labels(r) == d.labels[i]);
            // The review's ids, then pad ids to the batch width.
            Ids want = d.ids[i];
            want.resize(b.tokens.shape(1), d.pad_id);
            const std::int64_t* row = b.tokens.data() + r * b.tokens.shape(1);
            BOOST_TEST(Ids(row, row + b.tokens.shape(1)) == want);
        }
    }
    if (all_kept) BOOST_TEST(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
    else BOOST_TEST(std::all_of(seen.begin(), seen.end(), [](int c) { return c <= 1; }));
}

// Padded cells over true tokens: 0 when no padding.
double padding_ratio(const std::vector<TextBatch>& batches) {
    double cells = 0, real = 0;
    for (const auto& b : batches) {
        cells += double(b.tokens.size());
        for (const auto l : b.lengths) real += double(l);
    }
    return cells / real - 1.0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reader)

BOOST_AUTO_TEST_CASE(tiny_tree_labels_ratings_order) {
    TempDir tmp;
    const fs::path root = tiny_tree(tmp.path / "aclImdb");
    const auto train = read_imdb(root.string(), "train");
    BOOST_REQUIRE(train.size() == 3u);
    // pos before neg, then by ID: 3 before 10.
    BOOST_TEST(train[0].id == 3);
    BOOST_TEST(train[0].rating == 8);
    BOOST_TEST(train[0].label == 1);
    BOOST_TEST(train[0].text == "Greatfilm!");  // d2l: .replace('\n', '')
    BOOST_TEST(train[0].path == (root / "train/pos/3_8.txt").string());
    BOOST_TEST(train[1].id == 10);
    BOOST_TEST(train[1].rating == 10);
    BOOST_TEST(train[2].label == 0);
    BOOST_TEST(train[2].rating == 1);
    BOOST_TEST(train[2].text == "Dull and long.");
    BOOST_TEST(labels_of(train) == (Ids{1, 1, 0}));

    const auto test = read_imdb(root.string(), "test");
    BOOST_REQUIRE(test.size() == 2u);
    BOOST_TEST(test[1].text.empty());
    // Hidden files are not reviews.
    write(root / "test/pos/.DS_Store", "junk");
    BOOST_TEST(read_imdb(root.string(), "test").size() == 2u);
}

BOOST_AUTO_TEST_CASE(errors_name_the_path) {
    TempDir tmp;
    const fs::path root = tiny_tree(tmp.path / "aclImdb");
    const std::string missing_dir = (tmp.path / "nowhere").string();
    CHECK_THROWS_WITH(read_imdb(missing_dir, "train"), "missing directory '" + missing_dir + "'");
    BOOST_CHECK_THROW(read_imdb(missing_dir, "train"), xg::IOError);
    CHECK_THROWS_WITH(read_imdb(root.string(), "dev"), (root / "dev/pos").string());

    fs::remove_all(root / "test/neg");
    CHECK_THROWS_WITH(read_imdb(root.string(), "test"), "missing folder '" + (root / "test/neg").string() + "'");

    // A bad name, then files that cannot be read: a dangling link and a directory
    // (tests may run as root, which reads chmod 000 files).
    write(root / "train/neg/review.txt", "x");
    CHECK_THROWS_WITH(read_imdb(root.string(), "train"), (root / "train/neg/review.txt").string());
    CHECK_THROWS_WITH(read_imdb(root.string(), "train"), "not named ID_RATING.txt");
    for (const char* bad : {"12.txt", "12_3.text", "x_3.txt", "12_.txt", "12_3_4.txt", "12_99.txt", "-1_3.txt"}) {
        fs::remove(root / "train/neg/review.txt");
        for (auto& e : fs::directory_iterator(root / "train/neg"))
            if (e.path().filename() != "7_1.txt") fs::remove(e.path());
        write(root / "train/neg" / bad, "x");
        CHECK_THROWS_WITH(read_imdb(root.string(), "train"), (root / "train/neg" / bad).string());
    }
    for (auto& e : fs::directory_iterator(root / "train/neg"))
        if (e.path().filename() != "7_1.txt") fs::remove(e.path());
    BOOST_CHECK_NO_THROW(read_imdb(root.string(), "train"));

    fs::create_symlink(tmp.path / "gone.txt", root / "train/neg/8_2.txt");
    CHECK_THROWS_WITH(read_imdb(root.string(), "train"), "cannot open '" + (root / "train/neg/8_2.txt").string() + "'");
    fs::remove(root / "train/neg/8_2.txt");
    fs::create_directory(root / "train/pos/5_9.txt");
    CHECK_THROWS_WITH(read_imdb(root.string(), "train"), (root / "train/pos/5_9.txt").string());
    CHECK_THROWS_WITH(read_imdb(root.string(), "train"), "Is a directory");
}

BOOST_AUTO_TEST_CASE(bundled_sample_is_balanced) {
    std::map<std::string, std::vector<Review>> splits;
    for (const char* split : {"train", "test"}) splits[split] = read_imdb(kSample, split);
    std::size_t total = 0;
    for (const auto& [name, reviews] : splits) {
        BOOST_TEST(reviews.size() == 400u);
        const auto labels = labels_of(reviews);
        BOOST_TEST(std::count(labels.begin(), labels.end(), 1) == 200);
        std::set<std::int64_t> pos_ids;
        for (const auto& r : reviews) {
            BOOST_TEST(!r.text.empty());
            // aclImdb: positive reviews are rated 7-10, negative ones 1-4.
            if (r.label == 1) {
                BOOST_TEST((r.rating >= 7 && r.rating <= 10));
                pos_ids.insert(r.id);
            } else {
                BOOST_TEST((r.rating >= 1 && r.rating <= 4));
            }
            BOOST_TEST(r.path.find(std::string("/") + name + (r.label ? "/pos/" : "/neg/")) != std::string::npos);
        }
        BOOST_TEST(pos_ids.size() == 200u);  // ids are unique within a folder
        total += reviews.size();
    }
    BOOST_TEST(total == 800u);
    BOOST_TEST(splits["train"][0].id == 52);
    BOOST_TEST(splits["train"][0].text.rfind("This movie is incredible. If you have the chance, watch it.", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(take_balanced_is_seeded_and_balanced) {
    const auto train = read_imdb(kSample, "train");
    const auto a = take_balanced(train, 51, 7);
    BOOST_TEST(a.size() == 51u);
    const auto la = labels_of(a);
    BOOST_TEST(std::count(la.begin(), la.end(), 1) == 26);
    // Same seed, same reviews, in their original order; another seed, another choice.
    const auto b = take_balanced(train, 51, 7);
    const auto c = take_balanced(train, 51, 8);
    Strings pa, pb, pc;
    for (const auto& r : a) pa.push_back(r.path);
    for (const auto& r : b) pb.push_back(r.path);
    for (const auto& r : c) pc.push_back(r.path);
    BOOST_TEST(pa == pb);
    BOOST_CHECK(pa != pc);
    BOOST_TEST(std::set<std::string>(pa.begin(), pa.end()).size() == 51u);
    Strings all;
    for (const auto& r : train) all.push_back(r.path);
    std::vector<std::size_t> where;
    for (const auto& p : pa) where.push_back(std::size_t(std::find(all.begin(), all.end(), p) - all.begin()));
    BOOST_TEST(std::is_sorted(where.begin(), where.end()));
    BOOST_TEST(take_balanced(train, 400, 1).size() == 400u);
    CHECK_THROWS_WITH(take_balanced(train, 402, 1), "asked for 201 positive and 201 negative reviews, have 200 and 200");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(encode)

BOOST_AUTO_TEST_CASE(vocab_like_d2l_on_the_sample) {
    const auto train = read_imdb(kSample, "train");
    const auto tokens = tokenize_reviews(train);
    std::size_t n = 0;
    for (const auto& t : tokens) n += t.size();
    BOOST_TEST(n == 92816u);
    const Vocab vocab = build_imdb_vocab(tokens);
    BOOST_TEST(vocab.size() == 1927u);
    BOOST_TEST(vocab["<unk>"] == 0);
    BOOST_TEST(vocab["<pad>"] == 1);
    BOOST_TEST(vocab.token(2) == "the");
    BOOST_TEST(vocab.frequency("the") == 5215u);
    BOOST_TEST((Strings(vocab.idx_to_token().begin(), vocab.idx_to_token().begin() + 12)) ==
               (Strings{"<unk>", "<pad>", "the", "and", "a", "of", "to", "is", "in", "i", "this", "that"}));
    // With punctuation split off and <br /> dropped, no token keeps a tag.
    const auto clean = tokenize_reviews(train, WordTokenizer(WordTokenizerOptions::clean()));
    for (const auto& t : clean)
        for (const auto& w : t) BOOST_TEST_REQUIRE(w.find("<br") == std::string::npos);
    BOOST_TEST(build_imdb_vocab(clean).contains("!"));
}

BOOST_AUTO_TEST_CASE(truncate_pad_like_d2l) {
    BOOST_TEST(truncate_pad({5, 6, 7}, 5, 1) == (Ids{5, 6, 7, 1, 1}));
    BOOST_TEST(truncate_pad({5, 6, 7}, 2, 1) == (Ids{5, 6}));
    BOOST_TEST(truncate_pad({}, 2, 1) == (Ids{1, 1}));
}

BOOST_AUTO_TEST_CASE(encode_truncates_and_keeps_true_lengths) {
    const std::vector<Strings> tokens = {{"a", "b", "a"}, {"b"}, {}, {"a", "zz", "b", "a", "b"}};
    const Vocab vocab(tokens, 0, {"<pad>"});  // <unk> 0, <pad> 1, a 2, b 3
    const auto e = encode_reviews(tokens, {1, 0, 1, 0}, vocab, 4);
    BOOST_TEST(e.size() == 4u);
    BOOST_TEST(e.pad_id == 1);
    BOOST_TEST(e.ids[0] == (Ids{2, 3, 2}));
    BOOST_TEST(e.ids[1] == (Ids{3}));
    BOOST_TEST(e.ids[2] == (Ids{1}));  // an empty review: one <pad>, length 1
    BOOST_TEST(e.ids[3] == (Ids{2, 4, 3, 2}));
    BOOST_TEST(e.length(3) == 4u);
    BOOST_TEST(e.labels == (Ids{1, 0, 1, 0}));
    CHECK_THROWS_WITH(encode_reviews(tokens, {1, 0}, vocab, 4), "4 token lists but 2 labels");
    CHECK_THROWS_WITH(encode_reviews(tokens, {1, 0, 1, 0}, Vocab(tokens), 4), "no '<pad>'");
    BOOST_CHECK_THROW(encode_reviews(tokens, {1, 0, 1, 0}, vocab, 0), xg::Error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bucket_iterator)

BOOST_AUTO_TEST_CASE(every_review_once_per_epoch_with_pads_and_lengths) {
    std::mt19937_64 rng(3);
    std::vector<std::size_t> lengths(1003);
    for (auto& l : lengths) l = 1 + rng() % 500;
    BucketIterator it(make_encoded(lengths), BucketIteratorOptions(32).bucket_batches(8).seed(5));
    BOOST_TEST(it.num_batches() == 32u);
    for (int epoch = 0; epoch < 3; ++epoch) {
        const auto batches = it.epoch();
        BOOST_TEST(batches.size() == 32u);
        check_epoch(it, batches);
        // Exactly one short batch: 1003 = 31 * 32 + 11.
        BOOST_TEST(std::count_if(batches.begin(), batches.end(), [](const TextBatch& b) { return b.indices.size() < 32; }) == 1);
    }
    BucketIterator dropping(make_encoded(lengths), BucketIteratorOptions(32).drop_last(true).seed(5));
    BOOST_TEST(dropping.num_batches() == 31u);
    const auto kept = dropping.epoch();
    BOOST_TEST(kept.size() == 31u);
    check_epoch(dropping, kept, /*all_kept=*/false);
}

BOOST_AUTO_TEST_CASE(batches_are_length_sorted_and_pad_little) {
    std::mt19937_64 rng(4);
    std::vector<std::size_t> lengths(2000);
    for (auto& l : lengths) l = 1 + rng() % 500;
    BucketIterator bucketed(make_encoded(lengths), BucketIteratorOptions(25).bucket_batches(20).seed(1));
    BatchSampler plain(lengths.size(), BatchSamplerOptions(25).shuffle(true).seed(1));
    const auto b = bucketed.epoch();
    std::vector<TextBatch> p;
    for (const auto& idx : plain.epoch()) p.push_back(bucketed.batch(idx));
    // Within a chunk of 500 reviews sorted by length, a batch of 25 spans about 1/20 of the
    // length range (500 / 20 = 25 tokens); random batches pad to near 500.
    std::size_t widest = 0;
    for (const auto& x : b) widest = std::max(widest, x.lengths.front() - x.lengths.back());
    BOOST_TEST(widest <= 100u);
    BOOST_TEST(padding_ratio(b) < 0.1);
    BOOST_TEST(padding_ratio(p) > 0.5);
    // Batch order is shuffled: not sorted by length across batches.
    std::vector<std::size_t> firsts;
    for (const auto& x : b) firsts.push_back(x.lengths.front());
    BOOST_TEST(!std::is_sorted(firsts.begin(), firsts.end(), std::greater<>()));
}

BOOST_AUTO_TEST_CASE(without_shuffle_sorted_longest_first) {
    BucketIterator it(make_encoded({3, 9, 1, 9, 4, 2, 7}), BucketIteratorOptions(3).shuffle(false));
    const auto batches = it.epoch();
    BOOST_REQUIRE(batches.size() == 3u);
    BOOST_CHECK(batches[0].indices == (std::vector<std::size_t>{1, 3, 6}));  // 9, 9, 7: ties keep order
    BOOST_CHECK(batches[1].indices == (std::vector<std::size_t>{4, 0, 5}));
    BOOST_CHECK(batches[2].indices == (std::vector<std::size_t>{2}));
    BOOST_TEST(xg::shape_str(batches[1].tokens.shape()) == "(3, 4)");
    BOOST_CHECK(batches[1].lengths == (std::vector<std::size_t>{4, 3, 2}));
    BOOST_TEST(batches[1].tokens(2, 1) == 7);  // review 5 is (7, 7): ids 2 + 5 % 7
    BOOST_TEST(batches[1].tokens(2, 2) == 1);  // then pads
    BOOST_TEST(batches[1].tokens(2, 3) == 1);
    check_epoch(it, batches);
    // A hand-picked batch is ordered longest first too.
    const auto hand = it.batch({2, 1});
    BOOST_CHECK(hand.indices == (std::vector<std::size_t>{1, 2}));
    BOOST_CHECK_THROW(it.batch({7}), xg::Error);
    BOOST_CHECK_THROW(BucketIterator(make_encoded({1}), BucketIteratorOptions(0)), xg::Error);
}

BOOST_AUTO_TEST_CASE(seeded_and_generator_driven) {
    std::vector<std::size_t> lengths(300);
    for (std::size_t i = 0; i < lengths.size(); ++i) lengths[i] = 1 + (i * 37) % 200;
    BucketIterator a(make_encoded(lengths), BucketIteratorOptions(16).seed(2));
    BucketIterator b(make_encoded(lengths), BucketIteratorOptions(16).seed(2));
    const auto a1 = a.plan_epoch();
    BOOST_CHECK(a1 == b.plan_epoch());
    BOOST_CHECK(a.plan_epoch() != a1);  // the next epoch differs
    BucketIterator g(make_encoded(lengths), BucketIteratorOptions(16));
    xg::manual_seed(4);
    const auto g1 = g.plan_epoch();
    xg::manual_seed(4);
    BOOST_CHECK(g.plan_epoch() == g1);
}

BOOST_AUTO_TEST_CASE(on_the_bundled_sample) {
    const auto train = read_imdb(kSample, "train");
    const auto tokens = tokenize_reviews(train);
    const Vocab vocab = build_imdb_vocab(tokens);
    BucketIterator it(encode_reviews(tokens, labels_of(train), vocab, 500), BucketIteratorOptions(64).seed(0));
    BOOST_TEST(it.num_batches() == 7u);
    for (int epoch = 0; epoch < 2; ++epoch) {
        const auto batches = it.epoch();
        check_epoch(it, batches);
        for (const auto& b : batches) BOOST_TEST(b.tokens.shape(1) <= 500u);
    }
    std::size_t longest = 0;
    for (std::size_t i = 0; i < it.data().size(); ++i) longest = std::max(longest, it.data().length(i));
    BOOST_TEST(longest == 500u);  // some review of up to 998 words was cut
}

BOOST_AUTO_TEST_SUITE_END()

// Data parallel: 3 ranks with the same seed plan the same global batches; each builds its
// rows r, r + 3, ...; together they are the single process's batch, and the loss scales
// make the mean of the ranks' mean losses the global mean.
BOOST_AUTO_TEST_CASE(bucket_iterator_shards_partition_every_batch) {
    std::vector<std::size_t> lengths;
    for (std::size_t i = 0; i < 67; ++i) lengths.push_back(1 + (i * 37) % 23);
    BucketIterator whole(make_encoded(lengths), BucketIteratorOptions(8).bucket_batches(3).seed(4));
    const auto plan = whole.plan_epoch();
    std::vector<std::vector<TextBatch>> ranks(3);
    for (std::size_t r = 0; r < 3; ++r) {
        BucketIterator it(make_encoded(lengths), BucketIteratorOptions(8).bucket_batches(3).seed(4).shard({r, 3}));
        BOOST_CHECK(it.plan_epoch() == plan);
        for (const auto& idx : plan) ranks[r].push_back(it.batch(idx));
    }
    for (std::size_t k = 0; k < plan.size(); ++k) {
        const TextBatch all = whole.batch(plan[k]);
        std::vector<std::size_t> joined(all.size());
        for (std::size_t r = 0; r < 3; ++r) {
            const TextBatch& b = ranks[r][k];
            BOOST_TEST(b.size() == shard_rows(all.size(), {r, 3}));
            for (std::size_t i = 0; i < b.size(); ++i) {
                joined[r + 3 * i] = b.indices[i];
                BOOST_TEST(b.lengths[i] == all.lengths[r + 3 * i]);  // still longest first
            }
            if (b.size()) BOOST_TEST(b.tokens.shape(1) == b.lengths.front());
            // scale / rows = N / n: the ranks' scaled mean losses average to the global mean
            BOOST_TEST(b.loss_scale * double(all.size()) == 3.0 * double(b.size()), boost::test_tools::tolerance(1e-12));
        }
        BOOST_CHECK(joined == all.indices);
    }
    // the last batch has 67 - 64 = 3 rows: one each; a batch of 1 leaves two ranks empty
    BucketIterator one(make_encoded({4}), BucketIteratorOptions(8).shard({2, 3}));
    BOOST_TEST(one.batch({0}).size() == 0u);
    BOOST_TEST(one.batch({0}).loss_scale == 0.0);
    BOOST_CHECK_EXCEPTION(BucketIterator(make_encoded({4}), BucketIteratorOptions(8).shard({3, 3})), xg::Error,
                          test::message_has("shard rank 3 of world size 3"));
}

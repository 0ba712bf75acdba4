// Language-model batch iterators against d2l's seq_data_iter_random/_sequential, and the
// generic BatchSampler. The expected batches come from running d2l's functions on
// corpus = list(range(35)), batch_size 2, num_steps 5, with the offset fixed.
#define BOOST_TEST_MODULE data_iterators
#include "common.hpp"

#include <algorithm>
#include <numeric>
#include <set>

#include "data/lm_iterator.hpp"
#include "data/loader.hpp"

using namespace xg::data;
using Ids = std::vector<std::int64_t>;
using Rows = std::vector<Ids>;

namespace {

const std::string kTimeMachine = test::source_file("data/corpora/timemachine.txt");

Ids range(std::int64_t n) {
    Ids v(std::size_t(n), 0);
    std::iota(v.begin(), v.end(), std::int64_t(0));
    return v;
}

Rows rows(const xg::IndexArray& a) {
    BOOST_REQUIRE(a.dimension() == 2u);
    Rows out(a.shape(0));
    for (std::size_t r = 0; r < a.shape(0); ++r) out[r].assign(a.data() + r * a.shape(1), a.data() + (r + 1) * a.shape(1));
    return out;
}

// Every target is its input shifted by one, within the row: Y[r, t] == X[r, t + 1].
void check_shifted(const LMBatch& b) {
    BOOST_TEST(xg::shape_str(b.X.shape()) == xg::shape_str(b.Y.shape()));
    for (std::size_t r = 0; r < b.X.shape(0); ++r)
        for (std::size_t t = 0; t + 1 < b.X.shape(1); ++t) BOOST_TEST(b.Y(r, t) == b.X(r, t + 1));
}

std::vector<Rows> all_x(const std::vector<LMBatch>& bs) {
    std::vector<Rows> out;
    for (const auto& b : bs) out.push_back(rows(b.X));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lm_iterators)

BOOST_AUTO_TEST_CASE(sequential_matches_d2l) {
    const Ids corpus = range(35);
    // d2l.seq_data_iter_sequential(list(range(35)), 2, 5) with offset = 5
    auto b = seq_data_iter_sequential(corpus, 2, 5, 5);
    BOOST_REQUIRE(b.size() == 2u);
    BOOST_TEST(xg::shape_str(b[0].X.shape()) == "(2, 5)");
    BOOST_CHECK(rows(b[0].X) == (Rows{{5, 6, 7, 8, 9}, {19, 20, 21, 22, 23}}));
    BOOST_CHECK(rows(b[0].Y) == (Rows{{6, 7, 8, 9, 10}, {20, 21, 22, 23, 24}}));
    BOOST_CHECK(rows(b[1].X) == (Rows{{10, 11, 12, 13, 14}, {24, 25, 26, 27, 28}}));
    BOOST_CHECK(rows(b[1].Y) == (Rows{{11, 12, 13, 14, 15}, {25, 26, 27, 28, 29}}));
    // offset 0: three batches, rows of 17 tokens
    b = seq_data_iter_sequential(corpus, 2, 5, 0);
    BOOST_REQUIRE(b.size() == 3u);
    BOOST_CHECK(rows(b[0].X) == (Rows{{0, 1, 2, 3, 4}, {17, 18, 19, 20, 21}}));
    BOOST_CHECK(rows(b[2].X) == (Rows{{10, 11, 12, 13, 14}, {27, 28, 29, 30, 31}}));
    BOOST_CHECK(rows(b[2].Y) == (Rows{{11, 12, 13, 14, 15}, {28, 29, 30, 31, 32}}));
    // offset 2
    b = seq_data_iter_sequential(corpus, 2, 5, 2);
    BOOST_REQUIRE(b.size() == 3u);
    BOOST_CHECK(rows(b[0].X) == (Rows{{2, 3, 4, 5, 6}, {18, 19, 20, 21, 22}}));
    BOOST_CHECK(rows(b[2].Y) == (Rows{{13, 14, 15, 16, 17}, {29, 30, 31, 32, 33}}));
    BOOST_TEST(num_batches_sequential(35, 2, 5, 5) == 2u);
    BOOST_TEST(num_batches_sequential(35, 2, 5, 0) == 3u);
}

BOOST_AUTO_TEST_CASE(random_partitions_as_d2l) {
    xg::manual_seed(3);
    const Ids corpus = range(35);
    // offset 2: d2l's initial_indices are 0, 5, ..., 25 after dropping 2 tokens, so the
    // subsequences start at 2, 7, 12, 17, 22, 27, in a shuffled order, two per batch.
    const auto b = seq_data_iter_random(corpus, 2, 5, 2);
    BOOST_REQUIRE(b.size() == 3u);
    std::multiset<std::int64_t> starts;
    for (const auto& batch : b) {
        BOOST_TEST(xg::shape_str(batch.X.shape()) == "(2, 5)");
        for (const auto& row : rows(batch.X)) {
            starts.insert(row[0]);
            for (std::size_t t = 0; t < row.size(); ++t) BOOST_TEST(row[t] == row[0] + std::int64_t(t));
        }
        for (std::size_t r = 0; r < 2; ++r) BOOST_TEST(batch.Y(r, 4) == batch.X(r, 4) + 1);
        check_shifted(batch);
    }
    BOOST_CHECK(starts == (std::multiset<std::int64_t>{2, 7, 12, 17, 22, 27}));
    BOOST_TEST(num_batches_random(35, 2, 5, 2) == 3u);
    BOOST_TEST(num_batches_random(35, 2, 5, 4) == 3u);  // (35 - 4 - 1) // 5 = 6 subsequences
    BOOST_TEST(num_batches_random(35, 4, 5, 4) == 1u);
}

BOOST_AUTO_TEST_CASE(reproducible_under_manual_seed) {
    const Ids corpus = range(1000);
    for (const bool random : {true, false}) {
        const SeqDataLoader loader(corpus, Vocab(), 4, 7, random);
        xg::manual_seed(11);
        const auto a1 = all_x(loader.epoch());
        const auto a2 = all_x(loader.epoch());
        xg::manual_seed(11);
        BOOST_CHECK(all_x(loader.epoch()) == a1);
        BOOST_CHECK(all_x(loader.epoch()) == a2);
        if (random) BOOST_CHECK(a1 != a2);  // a new offset and order each epoch: 7 * 35! choices
    }
}

BOOST_AUTO_TEST_CASE(time_machine_loader_like_d2l) {
    // d2l.load_data_time_machine(32, 35): 10,000 char tokens, 8 batches per epoch.
    for (const bool random : {false, true}) {
        xg::manual_seed(5);
        const SeqDataLoader loader(kTimeMachine, 32, 35, random, 10000);
        BOOST_TEST(loader.corpus().size() == 10000u);
        BOOST_TEST(loader.vocab().size() == 28u);
        BOOST_TEST(loader.num_batches() == 8u);
        for (int e = 0; e < 3; ++e) {
            const auto batches = loader.epoch();
            BOOST_TEST(batches.size() >= loader.num_batches());
            BOOST_TEST(batches.size() <= loader.num_batches() + 1);
            for (std::size_t i = 0; i < batches.size(); ++i) {
                const auto& b = batches[i];
                BOOST_TEST(xg::shape_str(b.X.shape()) == "(32, 35)");
                check_shifted(b);
                if (!random && i + 1 < batches.size())  // sequential: row r continues in the next batch
                    for (std::size_t r = 0; r < 32; ++r) BOOST_TEST(batches[i + 1].X(r, 0) == b.Y(r, 34));
            }
        }
    }
    // Words instead of chars: 32,775 tokens in all, the vocabulary of 4,580.
    const SeqDataLoader words(kTimeMachine, 8, 10, true, 0, TokenKind::word);
    BOOST_TEST(words.corpus().size() == 32775u);
    BOOST_TEST(words.vocab().size() == 4580u);
}

BOOST_AUTO_TEST_CASE(targets_follow_inputs_in_the_corpus) {
    // Check the positions, not just the shift inside a row: Y's last column is the token
    // after X's last one in the corpus.
    const Ids corpus = [] {
        Ids c(500);
        for (std::size_t i = 0; i < c.size(); ++i) c[i] = std::int64_t((i * 7919) % 101);  // not monotonic
        return c;
    }();
    xg::manual_seed(1);
    for (const bool random : {true, false}) {
        const SeqDataLoader loader(corpus, Vocab(), 3, 6, random);
        for (const auto& b : loader.epoch())
            for (std::size_t r = 0; r < 3; ++r) {
                // find the row's position: the first 6 tokens identify it (the sequence never repeats within 101)
                const auto row = rows(b.X)[r];
                const auto it = std::search(corpus.begin(), corpus.end(), row.begin(), row.end());
                BOOST_REQUIRE(it != corpus.end());
                BOOST_TEST(b.Y(r, 5) == *(it + 6));
            }
    }
}

BOOST_AUTO_TEST_CASE(too_short_or_bad_arguments_throw) {
    const Ids corpus = range(35);
    CHECK_THROWS_WITH(seq_data_iter_random(corpus, 8, 5, 0), "too short for batch_size 8 and num_steps 5");
    CHECK_THROWS_WITH(seq_data_iter_sequential(corpus, 2, 20, 0), "too short");
    CHECK_THROWS_WITH(seq_data_iter_random(corpus, 2, 5, 5), "offset 5 must be in [0, 4]");
    CHECK_THROWS_WITH(seq_data_iter_sequential(corpus, 2, 5, 6), "offset 6 must be in [0, 5]");
    CHECK_THROWS_WITH(seq_data_iter_sequential(corpus, 0, 5, 0), "must be positive");
    BOOST_CHECK_THROW(SeqDataLoader(corpus, Vocab(), 6, 5, false), xg::Error);
    CHECK_THROWS_WITH(SeqDataLoader(corpus, Vocab(), 7, 5, true), "needs at least 40 tokens");
    BOOST_CHECK_NO_THROW(SeqDataLoader(range(30), Vocab(), 5, 5, true));  // (5 + 1) * 5 = 30 is just enough
    BOOST_CHECK_THROW(SeqDataLoader(range(30), Vocab(), 5, 5, false), xg::Error);
    CHECK_THROWS_WITH(SeqDataLoader(kTimeMachine, 1000, 35, false, 10000), "corpus of 10000 tokens is too short");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(batch_sampler)

BOOST_AUTO_TEST_CASE(in_order_without_shuffle) {
    BatchSampler s(10, BatchSamplerOptions(3));
    BOOST_TEST(s.num_batches() == 4u);
    const auto b = s.epoch();
    BOOST_CHECK(b == (std::vector<std::vector<std::size_t>>{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}}));
    BatchSampler d(10, BatchSamplerOptions(3).drop_last(true));
    BOOST_TEST(d.num_batches() == 3u);
    BOOST_TEST(d.epoch().size() == 3u);
    BOOST_TEST(BatchSampler(0, BatchSamplerOptions(3)).epoch().empty());
    BOOST_CHECK_THROW(BatchSampler(5, BatchSamplerOptions(0)), xg::Error);
}

BOOST_AUTO_TEST_CASE(shuffle_covers_every_index_once_and_is_seeded) {
    auto flat = [](const std::vector<std::vector<std::size_t>>& b) {
        std::vector<std::size_t> v;
        for (const auto& x : b) v.insert(v.end(), x.begin(), x.end());
        return v;
    };
    BatchSampler s(103, BatchSamplerOptions(10).shuffle(true).seed(42));
    const auto e1 = s.epoch();
    const auto e2 = s.epoch();
    BOOST_TEST(e1.size() == 11u);
    BOOST_TEST(e1.back().size() == 3u);
    auto sorted = flat(e1);
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::size_t> all(103);
    std::iota(all.begin(), all.end(), std::size_t(0));
    BOOST_CHECK(sorted == all);
    BOOST_CHECK(flat(e1) != all);   // 103! orders: the identity is no real chance
    BOOST_CHECK(flat(e1) != flat(e2));
    // The same seed gives the same sequence of epochs.
    BatchSampler again(103, BatchSamplerOptions(10).shuffle(true).seed(42));
    BOOST_CHECK(again.epoch() == e1);
    BOOST_CHECK(again.epoch() == e2);
    // Without a seed: xg::generator(), so xg::manual_seed decides.
    BatchSampler g(103, BatchSamplerOptions(10).shuffle(true));
    xg::manual_seed(9);
    const auto g1 = g.epoch();
    xg::manual_seed(9);
    BOOST_CHECK(g.epoch() == g1);
    // drop_last with shuffle drops only the short tail.
    BatchSampler d(103, BatchSamplerOptions(10).shuffle(true).drop_last(true).seed(1));
    const auto de = d.epoch();
    BOOST_TEST(de.size() == 10u);
    BOOST_TEST(flat(de).size() == 100u);
    const auto kept = flat(de);
    BOOST_TEST(std::set<std::size_t>(kept.begin(), kept.end()).size() == 100u);
}

// Data parallel: each rank's sampler yields its rows of the same batches; together, every
// index once per epoch.
BOOST_AUTO_TEST_CASE(batch_sampler_shards_are_disjoint_and_cover) {
    BatchSampler whole(103, BatchSamplerOptions(10).shuffle(true).seed(42));
    const auto all = whole.epoch();
    std::vector<std::size_t> seen;
    for (std::size_t r = 0; r < 4; ++r) {
        BatchSampler s(103, BatchSamplerOptions(10).shuffle(true).seed(42).shard({r, 4}));
        const auto mine = s.epoch();
        BOOST_REQUIRE(mine.size() == all.size());
        for (std::size_t k = 0; k < all.size(); ++k) {
            BOOST_TEST(mine[k].size() == shard_rows(all[k].size(), {r, 4}));
            for (std::size_t i = 0; i < mine[k].size(); ++i) BOOST_TEST(mine[k][i] == all[k][r + 4 * i]);
            seen.insert(seen.end(), mine[k].begin(), mine[k].end());
        }
    }
    std::sort(seen.begin(), seen.end());
    std::vector<std::size_t> every(103);
    std::iota(every.begin(), every.end(), std::size_t(0));
    BOOST_CHECK(seen == every);
    BOOST_CHECK_EXCEPTION(BatchSampler(5, BatchSamplerOptions(2).shard({1, 1})), xg::Error,
                          test::message_has("shard rank 1 of world size 1"));
}

BOOST_AUTO_TEST_SUITE_END()

// Sharded language-model batches: rank r holds rows r, r + N, ... of the global batch.
BOOST_AUTO_TEST_CASE(lm_iterator_shards_take_every_nth_row) {
    const Ids corpus = range(200);
    for (const bool random : {false, true}) {
        xg::manual_seed(5);
        const auto whole = random ? seq_data_iter_random(corpus, 4, 5) : seq_data_iter_sequential(corpus, 4, 5);
        for (std::size_t r = 0; r < 2; ++r) {
            xg::manual_seed(5);  // the same draws on every rank
            const auto mine = random ? seq_data_iter_random(corpus, 4, 5, std::nullopt, {r, 2})
                                     : seq_data_iter_sequential(corpus, 4, 5, std::nullopt, {r, 2});
            BOOST_REQUIRE(mine.size() == whole.size());
            for (std::size_t k = 0; k < whole.size(); ++k) {
                const Rows w = rows(whole[k].X), m = rows(mine[k].X);
                BOOST_REQUIRE(m.size() == 2u);
                BOOST_CHECK(m[0] == w[r] && m[1] == w[r + 2]);
                check_shifted(mine[k]);
            }
        }
    }
    BOOST_CHECK_EXCEPTION(seq_data_iter_sequential(corpus, 4, 5, 0, {0, 3}), xg::Error,
                          test::message_has("batch_size 4 does not split evenly over 3 ranks"));
}

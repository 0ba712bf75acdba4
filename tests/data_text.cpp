// Tokenizers, Vocab and the time-machine corpus against d2l. The numbers were computed by
// running d2l's own read_time_machine / tokenize / Vocab / load_corpus_time_machine on
// data/corpora/timemachine.txt (sha1 090b5e7e...).
#define BOOST_TEST_MODULE data_text
#include "common.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include "data/time_machine.hpp"
#include "data/tokenizer.hpp"
#include "data/vocab.hpp"

namespace fs = std::filesystem;
using namespace xg::data;
using Strings = std::vector<std::string>;

namespace {

const std::string kTimeMachine = test::source_file("data/corpora/timemachine.txt");

// A fresh folder under the system temp dir, removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("xgrad_data_text_" + std::to_string(std::random_device{}()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace

BOOST_AUTO_TEST_SUITE(tokenizer)

BOOST_AUTO_TEST_CASE(split_words_is_python_str_split) {
    BOOST_TEST(split_words("the time  machine") == (Strings{"the", "time", "machine"}));
    BOOST_TEST(split_words("  \t\n ").empty());
    BOOST_TEST(split_words("").empty());
    // Python's str.split() also splits on \x1c-\x1f and Unicode spaces (U+00A0, U+0085,
    // U+2009, U+3000), which aclImdb has; other multi-byte characters stay inside words.
    BOOST_TEST(split_words(" a\xc2\xa0" "b\xc2\x85" "c\x1c" "d\xe2\x80\x89" "e\xe3\x80\x80" "f\r\v\fg ") ==
               (Strings{"a", "b", "c", "d", "e", "f", "g"}));
    BOOST_TEST(split_words("caf\xc3\xa9 na\xc3\xafve") == (Strings{"caf\xc3\xa9", "na\xc3\xafve"}));
}

BOOST_AUTO_TEST_CASE(split_chars_is_one_token_per_code_point) {
    BOOST_TEST(split_chars("a b") == (Strings{"a", " ", "b"}));
    BOOST_TEST(split_chars("\xc3\xa9t\xe2\x82\xac") == (Strings{"\xc3\xa9", "t", "\xe2\x82\xac"}));
    BOOST_TEST(split_chars("\xff" "a") == (Strings{"\xff", "a"}));  // not UTF-8: the byte alone
    BOOST_TEST(split_chars("").empty());
}

BOOST_AUTO_TEST_CASE(tokenize_by_kind) {
    const Strings lines = {"the time", "", "machine"};
    const auto words = tokenize(lines, TokenKind::word);
    BOOST_TEST(words.size() == 3u);
    BOOST_TEST(words[0] == (Strings{"the", "time"}));
    BOOST_TEST(words[1].empty());
    const auto chars = tokenize(lines, parse_token_kind("char"));
    BOOST_TEST(chars[0] == (Strings{"t", "h", "e", " ", "t", "i", "m", "e"}));
    BOOST_TEST(chars[1].empty());
    BOOST_CHECK(parse_token_kind("word") == TokenKind::word);
    CHECK_THROWS_WITH(parse_token_kind("bytes"), "unknown token type 'bytes'");
}

BOOST_AUTO_TEST_CASE(time_machine_preprocessing) {
    // re.sub('[^A-Za-z]+', ' ', line).strip().lower()
    BOOST_TEST(preprocess_time_machine_line("The Time Machine, by H. G. Wells [1898]\n") == "the time machine by h g wells");
    BOOST_TEST(preprocess_time_machine_line("  --I--  ") == "i");
    BOOST_TEST(preprocess_time_machine_line("1898") == "");
    BOOST_TEST(preprocess_time_machine_line("don't \xc3\xa9t\xc3\xa9") == "don t t");
}

BOOST_AUTO_TEST_CASE(word_tokenizer_default_lowers_and_splits) {
    const WordTokenizer tok;
    BOOST_TEST(tok("A <br /><br />GREAT film!") == (Strings{"a", "<br", "/><br", "/>great", "film!"}));
    BOOST_TEST(tok("\xc3\x89T\xc3\x89 \xc3\x97") == (Strings{"\xc3\xa9t\xc3\xa9", "\xc3\x97"}));  // ÉTÉ -> été, × stays
    BOOST_TEST(WordTokenizer(WordTokenizerOptions().lower(false))("The End") == (Strings{"The", "End"}));
}

BOOST_AUTO_TEST_CASE(word_tokenizer_clean_splits_punctuation_and_drops_breaks) {
    const WordTokenizer tok(WordTokenizerOptions::clean());
    BOOST_TEST(tok("A <br /><br />GREAT film!<BR>Don't miss it (really).") ==
               (Strings{"a", "great", "film", "!", "don't", "miss", "it", "(", "really", ")", "."}));
    BOOST_TEST(tok("'quoted' well-made 90's, <br/>end") ==
               (Strings{"'", "quoted", "'", "well", "-", "made", "90's", ",", "end"}));
    // Only breaks go; other tags are punctuation and words.
    BOOST_TEST(tok("<i>x</i>") == (Strings{"<", "i", ">", "x", "<", "/", "i", ">"}));
    const WordTokenizer breaks_only(WordTokenizerOptions().drop_html_breaks(true));
    BOOST_TEST(breaks_only("a<br />b <br / > c!") == (Strings{"a", "b", "c!"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(vocab)

BOOST_AUTO_TEST_CASE(frequency_order_ties_in_first_appearance_order) {
    // Counter: b 2, a 2, c 1, d 1 in that order of appearance; the stable sort keeps it.
    const std::vector<Strings> lines = {{"b", "a", "c"}, {"a", "b", "d"}};
    const Vocab v(lines);
    BOOST_TEST(v.idx_to_token() == (Strings{"<unk>", "b", "a", "c", "d"}));
    BOOST_TEST(v.size() == 5u);
    BOOST_TEST(v["a"] == 2);
    BOOST_TEST(v.index("zzz") == Vocab::unk());
    BOOST_TEST(v.unk() == 0);
    BOOST_TEST(v.frequency("b") == 2u);
    BOOST_TEST(v.frequency("zzz") == 0u);
    BOOST_CHECK(v.token_freqs() == (std::vector<Vocab::TokenFreq>{{"b", 2}, {"a", 2}, {"c", 1}, {"d", 1}}));
    BOOST_TEST(v.encode({"d", "x", "b"}) == (std::vector<std::int64_t>{4, 0, 1}));
    BOOST_TEST(v.decode({4, 0, 1}) == (Strings{"d", "<unk>", "b"}));
    BOOST_TEST(v.decode_joined({1, 2}, " ") == "b a");
    BOOST_TEST(v.token(3) == "c");
    CHECK_THROWS_WITH(v.token(5), "id 5 out of range for a vocabulary of 5 tokens");
    CHECK_THROWS_WITH(v.token(-1), "id -1 out of range");
    // A flat token list gives the same vocabulary.
    BOOST_CHECK(Vocab(Strings{"b", "a", "c", "a", "b", "d"}) == v);
}

BOOST_AUTO_TEST_CASE(min_freq_and_reserved_tokens) {
    const Strings tokens = {"x", "y", "x", "z", "y", "x", "<pad>"};
    // x 3, y 2, z 1, <pad> 1: min_freq 2 stops at z; a reserved token is never added twice.
    const Vocab v(tokens, 2, {"<pad>", "y"});
    BOOST_TEST(v.idx_to_token() == (Strings{"<unk>", "<pad>", "y", "x"}));
    BOOST_TEST(v["z"] == 0);
    BOOST_TEST(v.frequency("z") == 1u);  // counted, though not in the vocabulary
    BOOST_TEST(Vocab().idx_to_token() == (Strings{"<unk>"}));
    BOOST_CHECK_THROW(Vocab(tokens, 0, {"<pad>", "<pad>"}), xg::Error);
}

BOOST_AUTO_TEST_CASE(many_tokens_and_copies) {
    // Token i appears i % 5 + 1 times: the table grows many times and ties are many.
    Strings tokens;
    for (int i = 0; i < 20000; ++i)
        for (int k = 0; k <= i % 5; ++k) tokens.push_back(std::string("t").append(std::to_string(i)));
    Vocab v(tokens);
    BOOST_TEST(v.size() == 20001u);
    Vocab copy = v;
    v = Vocab();  // the copy owns its table
    std::size_t wrong = 0;
    for (std::int64_t id = 1; id < std::int64_t(copy.size()); ++id) {
        const std::string& t = copy.token(id);
        if (copy[t] != id || copy.frequency(t) != std::size_t(std::stoi(t.substr(1)) % 5 + 1)) ++wrong;
    }
    BOOST_TEST(wrong == 0u);
    // Most frequent first, ties in order of appearance: t4, t9, t14, ...
    BOOST_TEST(copy.token(1) == "t4");
    BOOST_TEST(copy.token(2) == "t9");
    BOOST_TEST(copy.token(4001) == "t3");
    BOOST_TEST(copy["t20000"] == 0);
}

BOOST_AUTO_TEST_CASE(save_load_round_trip) {
    TempDir dir;
    const Vocab v(tokenize(read_time_machine(kTimeMachine), TokenKind::word), 3, {"<pad>", "<bos>"});
    const std::string path = dir.file("words.vocab.json");
    v.save(path);
    const Vocab back = Vocab::load(path);
    BOOST_CHECK(back == v);
    BOOST_TEST(back.size() == v.size());
    BOOST_TEST(back["traveller"] == v["traveller"]);
    BOOST_TEST(back.frequency("the") == 2261u);
    // Saving over an existing file replaces it and leaves no temporary file behind.
    Vocab(Strings{"a", "b"}).save(path);
    BOOST_TEST(Vocab::load(path).size() == 3u);
    BOOST_TEST(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

BOOST_AUTO_TEST_CASE(load_errors_name_the_file) {
    TempDir dir;
    const std::string missing = dir.file("missing.json");
    CHECK_THROWS_WITH(Vocab::load(missing), missing);
    BOOST_CHECK_THROW(Vocab::load(missing), xg::IOError);

    const std::vector<std::pair<std::string, std::string>> bad = {
        {"{\"format\": \"xgrad.vocab\", \"version\": 1, \"idx_to", "not valid JSON"},
        {"[1, 2]", "not an xgrad vocabulary"},
        {"[1e999]", "not valid JSON"},  // a number out of range: nlohmann's out_of_range (found by tests/fuzz)
        {R"({"format": "xgrad.vocab", "version": 2, "idx_to_token": [], "token_freqs": []})", "unsupported version 2"},
        {R"({"format": "xgrad.vocab", "version": 1e40, "idx_to_token": [], "token_freqs": []})", "unsupported version 1e+40"},
        {R"({"format": "xgrad.vocab", "version": 1, "token_freqs": []})", "\"idx_to_token\" missing"},
        {R"({"format": "xgrad.vocab", "version": 1, "idx_to_token": ["a"], "token_freqs": []})", "must start with '<unk>'"},
        {R"({"format": "xgrad.vocab", "version": 1, "idx_to_token": ["<unk>", "a", "a"], "token_freqs": []})",
         "'a' appears twice"},
        {R"({"format": "xgrad.vocab", "version": 1, "idx_to_token": ["<unk>", 3], "token_freqs": []})", "not a string"},
        {R"({"format": "xgrad.vocab", "version": 1, "idx_to_token": ["<unk>"], "token_freqs": [["a", -1]]})",
         "not [token, count]"},
        {R"({"format": 7})", "not an xgrad vocabulary"},
    };
    for (std::size_t i = 0; i < bad.size(); ++i) {
        const std::string path = dir.file("bad" + std::to_string(i) + ".json");
        write(path, bad[i].first);
        CHECK_THROWS_WITH(Vocab::load(path), path);
        CHECK_THROWS_WITH(Vocab::load(path), bad[i].second);
        BOOST_CHECK_THROW(Vocab::load(path), xg::FormatError);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(time_machine)

BOOST_AUTO_TEST_CASE(char_vocab_matches_d2l) {
    const Corpus c = load_corpus_time_machine(kTimeMachine);
    BOOST_TEST(c.vocab.idx_to_token() == (Strings{"<unk>", " ", "e", "t", "a", "i", "n", "o", "s", "h", "r", "d", "l", "m",
                                                   "u", "c", "f", "w", "g", "y", "p", "b", "v", "k", "x", "z", "j", "q"}));
    BOOST_TEST(c.ids.size() == 170580u);
    // "the time machine": d2l's corpus[:10]
    BOOST_TEST((std::vector<std::int64_t>(c.ids.begin(), c.ids.begin() + 10)) ==
               (std::vector<std::int64_t>{3, 9, 2, 1, 3, 5, 13, 2, 1, 13}));
    BOOST_TEST(c.vocab.decode_joined({c.ids.begin(), c.ids.begin() + 16}) == "the time machine");
}

BOOST_AUTO_TEST_CASE(max_tokens_cuts_the_corpus_not_the_vocab) {
    const Corpus c = load_corpus_time_machine(kTimeMachine, 10000);
    BOOST_TEST(c.ids.size() == 10000u);
    BOOST_TEST(c.vocab.size() == 28u);
}

BOOST_AUTO_TEST_CASE(word_corpus_matches_d2l) {
    const auto lines = read_time_machine(kTimeMachine);
    BOOST_TEST(lines.size() == 3221u);
    BOOST_TEST(lines[0] == "the time machine by h g wells");
    BOOST_TEST(lines[10] == "twinkled and his usually pale face was flushed and animated the");
    const Corpus c = load_corpus_time_machine(kTimeMachine, 0, TokenKind::word);
    BOOST_TEST(c.ids.size() == 32775u);
    BOOST_TEST(c.vocab.size() == 4580u);
    BOOST_TEST((Strings(c.vocab.idx_to_token().begin(), c.vocab.idx_to_token().begin() + 12)) ==
               (Strings{"<unk>", "the", "i", "and", "of", "a", "to", "was", "in", "that", "my", "it"}));
    BOOST_TEST(c.vocab.frequency("the") == 2261u);
    BOOST_TEST(c.vocab.frequency("i") == 1267u);
    BOOST_TEST(Vocab(tokenize(lines, TokenKind::word), 5).size() == 825u);
}

BOOST_AUTO_TEST_CASE(line_endings_as_python_text_mode) {
    TempDir dir;
    // \r\n and a lone \r end lines too; lines join without a separator in the corpus.
    write(dir.file("crlf.txt"), "Ab,c\r\nd\re\n\nF");
    BOOST_TEST(read_time_machine(dir.file("crlf.txt")) == (Strings{"ab c", "d", "e", "", "f"}));
    const Corpus c = load_corpus_time_machine(dir.file("crlf.txt"));
    BOOST_TEST(c.vocab.decode_joined(c.ids) == "ab cdef");
}

BOOST_AUTO_TEST_CASE(missing_or_empty_corpus_names_the_path) {
    TempDir dir;
    const std::string missing = dir.file("nope.txt");
    CHECK_THROWS_WITH(read_time_machine(missing), missing);
    CHECK_THROWS_WITH(load_corpus_time_machine(missing), "No such file");
    write(dir.file("digits.txt"), "1898\n--\n");
    CHECK_THROWS_WITH(load_corpus_time_machine(dir.file("digits.txt")), dir.file("digits.txt"));
    BOOST_CHECK_THROW(load_corpus_time_machine(dir.file("digits.txt")), xg::FormatError);
    BOOST_CHECK_THROW(load_corpus_time_machine(missing), xg::IOError);
    CHECK_THROWS_WITH(read_time_machine(dir.path.string()), "Is a directory");
}

BOOST_AUTO_TEST_SUITE_END()

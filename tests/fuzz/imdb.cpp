// read_imdb on a folder tree made from the input (fuzz.hpp's format: "train/pos/3_8.txt",
// stray files, folders where files belong), then what the IMDB example does with what it
// reads: both tokenizers, a vocabulary, encoding and length-bucketed batches. Errors must
// be xg::Error naming the path.
#include <xgrad.hpp>

#include "fuzz.hpp"

namespace d = xg::data;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto dir = fuzz::Scratch::get().fresh("aclImdb");
    fuzz::write_parts(dir, fuzz::split_parts(fuzz::text(data, size)));
    for (const char* split : {"train", "test"}) {
        std::vector<d::Review> reviews;
        try {
            reviews = d::read_imdb(dir.string(), split);
        } catch (const xg::Error&) {
            continue;
        }
        for (std::size_t i = 0; i < reviews.size(); ++i) {
            const auto& r = reviews[i];
            FUZZ_CHECK(r.label == (r.path.find("/pos/") != std::string::npos ? 1 : 0), r.path);
            FUZZ_CHECK(r.rating >= 0 && r.rating <= 10 && r.text.find('\n') == std::string::npos, r.path);
            FUZZ_CHECK(i == 0 || reviews[i - 1].label != r.label || reviews[i - 1].id <= r.id, r.path);  // in order of ID
        }
        for (const auto& tokenizer : {d::WordTokenizer(), d::WordTokenizer(d::WordTokenizerOptions::clean())}) {
            const auto tokens = d::tokenize_reviews(reviews, tokenizer);
            const auto vocab = d::build_imdb_vocab(tokens, 1);
            auto encoded = d::encode_reviews(tokens, d::labels_of(reviews), vocab, 8);
            if (encoded.size() == 0) continue;
            d::BucketIterator it(std::move(encoded), d::BucketIteratorOptions(2).bucket_batches(2).seed(0));
            for (const auto& b : it.epoch())
                for (std::size_t i = 0; i < b.lengths.size(); ++i) FUZZ_CHECK(b.lengths[i] >= 1 && b.lengths[i] <= 8, "length");
        }
    }
    return 0;
}

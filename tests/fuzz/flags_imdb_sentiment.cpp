// imdb_sentiment's flag parsing (examples/imdb_sentiment_flags.hpp) on any command line (see flags.hpp).
#include "examples/imdb_sentiment_flags.hpp"

#include "flags.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fuzz::flags("imdb_sentiment", data, size, parse_flags);
}

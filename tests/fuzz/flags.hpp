// What the two flag targets share: an input cut at NUL bytes into a command line, parsed by
// an example's parse_flags. A bad command line must be support::FlagError (which main()
// prints as one line); a training command that parses must pass the checks main() relies on.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "examples/support.hpp"
#include "fuzz.hpp"

namespace fuzz {

template <class ParseFlags>
int flags(const char* program, const std::uint8_t* data, std::size_t size, ParseFlags parse_flags) {
    std::vector<std::string> args{program};
    const std::string_view in = text(data, size);
    for (std::size_t at = 0; at <= in.size() && args.size() < 64;) {
        const std::size_t end = std::min(in.find('\0', at), in.size());
        args.emplace_back(in.substr(at, end - at));
        at = end + 1;
    }
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    decltype(parse_flags(0, argv.data())) f;
    try {
        f = parse_flags(int(argv.size()), argv.data());
    } catch (const support::FlagError&) {
        return 0;
    }
    if (!f.help.empty() || f.command != "train") return 0;
    const auto& o = f.o;
    FUZZ_CHECK(o.epochs > 0 && o.batch_size > 0 && o.num_steps > 0, "a size of 0 passed");
    FUZZ_CHECK(std::isfinite(o.lr) && o.lr > 0 && std::isfinite(o.clip), "a bad lr or clip passed");
    FUZZ_CHECK(o.threads >= 0 && o.threads <= 256, "a bad thread count passed");
    return 0;
}

}  // namespace fuzz

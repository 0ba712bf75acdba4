// time_machine's flag parsing (examples/time_machine_flags.hpp) on any command line: the input is
// cut at NUL bytes into arguments. A bad command line must be support::FlagError (which
// main() prints as one line); what parses must pass the checks main() relies on.
#include "examples/time_machine_flags.hpp"

#include <cmath>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args{"time_machine"};
    const std::string_view in = fuzz::text(data, size);
    for (std::size_t at = 0; at <= in.size() && args.size() < 64;) {
        const std::size_t end = std::min(in.find('\0', at), in.size());
        args.emplace_back(in.substr(at, end - at));
        at = end + 1;
    }
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    Flags f;
    try {
        f = parse_flags(int(argv.size()), argv.data());
    } catch (const support::FlagError&) {
        return 0;
    }
    if (!f.help.empty() || f.command != "train") return 0;
    const Options& o = f.o;
    FUZZ_CHECK(o.epochs > 0 && o.batch_size > 0 && o.num_steps > 0, "a size of 0 passed");
    FUZZ_CHECK(std::isfinite(o.lr) && o.lr > 0 && std::isfinite(o.clip), "a bad lr or clip passed");
    FUZZ_CHECK(o.threads >= 0 && o.threads <= 256, "a bad thread count passed");
    return 0;
}

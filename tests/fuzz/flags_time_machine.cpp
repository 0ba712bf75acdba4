// time_machine's flag parsing (examples/time_machine_flags.hpp) on any command line (see flags.hpp).
#include "examples/time_machine_flags.hpp"

#include "flags.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fuzz::flags("time_machine", data, size, parse_flags);
}

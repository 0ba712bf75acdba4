#!/usr/bin/env bash
# A user's program built with nothing but what pkg-config says about xgrad (straight from
# the build folder, as the README describes) compiles, links and runs: the flags that
# change xtensor's types (-DXTENSOR_USE_XSIMD, -march) must reach the user.
# Usage: pkg_config.sh BUILD_DIR
set -eu
build=${1:?usage: pkg_config.sh BUILD_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/user.cpp" <<'CPP'
#include <xgrad.hpp>
#include <cstdio>

int main() {
    xg::manual_seed(0);
    xg::nn::LSTM lstm(xg::nn::LSTMOptions(4, 5).proj_size(3));
    xg::Tensor x = xg::randn({3, 2, 4}, true);
    auto [out, state] = lstm.forward(x);
    xg::Tensor loss = xg::sum(out * out);
    loss.backward();
    std::printf("%zu %zu %zu\n", out.size(2), state.c.size(2), x.grad().size());
}
CPP
flags=$(PKG_CONFIG_PATH="$build/meson-uninstalled" pkg-config --cflags --libs xgrad)
${CXX:-c++} "$work/user.cpp" -o "$work/user" $flags  # pkg-config's flags alone, -std=c++20 among them
out=$("$work/user")
[ "$out" = "3 5 24" ] || { echo "unexpected output: $out"; exit 1; }
echo "ok - a program built with pkg-config's flags links and runs ($out)"

# Without those flags xtensor's types differ from the library's: the link must fail and
# name the cause rather than leave a program that corrupts memory.
plain=$(echo " $flags " | sed 's/ -DXTENSOR_USE_XSIMD / /; s/ -march=[^ ]* / /g')
if ${CXX:-c++} -std=c++20 "$work/user.cpp" -o "$work/plain" $plain 2> "$work/link.err"; then
    echo "a program built without -DXTENSOR_USE_XSIMD linked against xgrad"; exit 1
fi
grep -q "xg::build_flags::xtensor_array_type(std::allocator<float>" "$work/link.err" || { echo "unexpected error:"; head -5 "$work/link.err"; exit 1; }
echo "ok - a program built without xgrad's flags fails to link, naming its array allocator"

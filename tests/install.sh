#!/usr/bin/env bash
# xgrad as an installed library: `meson install` into a temporary root, then one small user
# project built twice from that install alone, once with CMake (find_package(xgrad CONFIG),
# target xgrad::xgrad) and once with pkg-config, and run. The install is relocated: the
# pkg-config file's prefix is pointed at the temporary root, the CMake package finds its
# paths from its own location.
# Usage: install.sh BUILD_DIR
set -eu
build=${1:?usage: install.sh BUILD_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$work/root" > "$work/install.log"
pc=$(find "$work/root" -name xgrad.pc | head -n 1)
config=$(find "$work/root" -name xgradConfig.cmake | head -n 1)
[ -n "$pc" ] && [ -n "$config" ] || { echo "install: no xgrad.pc or xgradConfig.cmake under $work/root"; exit 1; }
prefix="$work/root$(sed -n 's/^prefix=//p' "$pc")"
sed -i "s|^prefix=.*|prefix=$prefix|" "$pc"

mkdir -p "$work/user"
cat > "$work/user/user.cpp" <<'CPP'
#include <xgrad.hpp>
#include <cstdio>

int main() {
    xg::manual_seed(0);
    xg::nn::LSTM lstm(xg::nn::LSTMOptions(4, 5, 2));
    xg::nn::CrossEntropyLoss criterion;
    xg::Tensor x = xg::randn({3, 2, 4}, true);
    auto [out, state] = lstm(x);
    xg::Tensor loss = criterion(xg::reshape(out, {6, 5}), xg::IndexArray{0, 1, 2, 3, 4, 0});
    loss.backward();
    std::printf("%zu %zu %d\n", out.size(2), state.h.size(0), loss.item<float>() > 0);
}
CPP
cat > "$work/user/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(user CXX)
find_package(xgrad CONFIG REQUIRED)
add_executable(user user.cpp)
target_link_libraries(user PRIVATE xgrad::xgrad)
CMAKE

expect="5 2 1"
cmake -S "$work/user" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER="${CXX:-c++}" > "$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
cmake --build "$work/cmake-build" > "$work/cmake-build.log" 2>&1 || { cat "$work/cmake-build.log"; exit 1; }
out=$("$work/cmake-build/user")
[ "$out" = "$expect" ] || { echo "CMake consumer printed: $out"; exit 1; }
echo "ok - a CMake project builds against the installed xgrad (find_package, xgrad::xgrad) and runs ($out)"

flags=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags --libs xgrad)
${CXX:-c++} -O1 "$work/user/user.cpp" -o "$work/pkg-user" $flags
out=$("$work/pkg-user")
[ "$out" = "$expect" ] || { echo "pkg-config consumer printed: $out"; exit 1; }
echo "ok - a program built with the installed xgrad's pkg-config flags runs ($out)"

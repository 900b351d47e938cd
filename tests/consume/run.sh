#!/usr/bin/env bash
# Installs the build into a private prefix, as `make install PREFIX=DIR` does, and uses it the
# ways a user would, with no LD_LIBRARY_PATH: builds tests/consume with find_package(smx) (no C++
# standard set by the consumer: the compiler's default, C++17 for GCC 11 and later) and runs it,
# then again as C++20; builds the same program with pkg-config as C++17 and as C++20 and runs
# them; runs the installed smx tool. Arguments after the build directory go to the consumer's CMake
# configure step (an instrumented build passes its -fsanitize flags).
set -euo pipefail
build_dir=$1
shift
source_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
extra_flags=""  # an instrumented build's -fsanitize flags, for the pkg-config build too
for arg in "$@"; do
    case "$arg" in -DCMAKE_CXX_FLAGS=*) extra_flags="${arg#-DCMAKE_CXX_FLAGS=}" ;; esac
done
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
unset LD_LIBRARY_PATH

# CMake: find_package(smx), target_link_libraries(... smx::smx), nothing else; then with the
# consumer's standard set to C++20.
cmake -S "$source_dir" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" "$@" >/dev/null
cmake --build "$work/build" -j2 >/dev/null
"$work/build/consumer" | tee "$work/out_default"
grep -q "(C++ 201703)" "$work/out_default" || { echo "FAIL: the default build is not C++17" >&2; exit 1; }
cmake -S "$source_dir" -B "$work/build20" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_STANDARD=20 "$@" >/dev/null
cmake --build "$work/build20" -j2 >/dev/null
"$work/build20/consumer" | tee "$work/out_20"
grep -q "(C++ 202002)" "$work/out_20" || { echo "FAIL: the C++20 build is not C++20" >&2; exit 1; }

# pkg-config: the .pc file finds its prefix from its own place.
pc_dir=$(dirname "$(find "$prefix" -name smx.pc -print -quit)")
[ -n "$pc_dir" ] || { echo "FAIL: no smx.pc installed under $prefix" >&2; exit 1; }
export PKG_CONFIG_PATH="$pc_dir"
libdir=$(pkg-config --variable=libdir smx)
# shellcheck disable=SC2046
for std in c++17 c++20; do
    # shellcheck disable=SC2046
    ${CXX:-c++} -std=$std -Wall -Wextra -Wpedantic -Werror $extra_flags "$source_dir/main.cpp" -o "$work/consumer_pc" \
        $(pkg-config --cflags --libs smx) "-Wl,-rpath,$libdir"
    "$work/consumer_pc"
done

# The installed tool runs from its prefix (RUNPATH $ORIGIN/../lib...), no LD_LIBRARY_PATH.
if [ -x "$prefix/bin/smx" ]; then
    "$prefix/bin/smx" --version
    "$prefix/bin/smx" list >/dev/null
    # Captured first: `readelf | grep -q` under pipefail fails whenever grep's early exit breaks the pipe.
    dynamic=$(readelf -d "$prefix/bin/smx")
    grep -q 'RUNPATH.*\$ORIGIN' <<<"$dynamic" || { echo "FAIL: installed smx has no \$ORIGIN RUNPATH" >&2; exit 1; }
fi
echo "PASS: the installed package works through find_package(smx) and pkg-config, as C++17 and C++20, and the installed smx tool"

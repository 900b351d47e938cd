#!/usr/bin/env bash
# Installs the build into a private prefix, builds tests/consume against it with
# find_package(smx), and runs the consumer. Arguments after the build directory go to the
# consumer's CMake configure step (an instrumented build passes its -fsanitize flags).
set -euo pipefail
build_dir=$1
shift
source_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" "$@" >/dev/null
cmake --build "$work/build" -j2 >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib:$work/prefix/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/build/consumer"

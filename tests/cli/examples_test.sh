#!/bin/sh
# The C++ examples as the README runs them: the camera writer and the pinning reader stream
# frames between two processes; an option or a bad count gets the usage (exit 0 for --help, 2
# otherwise), never a writer on a topic called "--help".
#
# usage: examples_test.sh <bin dir>
set -u
bin="$1"
topic="examples_$$"
dir=$(mktemp -d)
writer_pid=""
cleanup() {
    [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null && wait "$writer_pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

for ex in camera_writer camera_reader typed_camera_writer typed_camera_reader; do
    "$bin/smx_example_$ex" --help >"$dir/out" 2>&1 || fail "$ex --help exited $?"
    grep -q "^usage: .*smx_example_$ex \[TOPIC\] \[FRAMES\]" "$dir/out" || fail "$ex --help: $(cat "$dir/out")"
    "$bin/smx_example_$ex" --topic x >"$dir/out" 2>&1
    [ $? -eq 2 ] || fail "$ex --topic x: expected the usage and status 2: $(cat "$dir/out")"
    "$bin/smx_example_$ex" "$topic" lots >"$dir/out" 2>&1
    [ $? -eq 2 ] || fail "$ex TOPIC lots: expected the usage and status 2: $(cat "$dir/out")"
done
ls /dev/shm | grep -q -- "--help\|\.x$" && fail "an example made a segment for an option"

"$bin/smx_example_camera_writer" "$topic" 300 >"$dir/writer.txt" 2>&1 &
writer_pid=$!
timeout 60 "$bin/smx_example_camera_reader" "$topic" 10 >"$dir/reader.txt" 2>&1 || fail "reader exited $?: $(cat "$dir/reader.txt")"
[ "$(grep -c '^frame ' "$dir/reader.txt")" -eq 10 ] || fail "reader: $(cat "$dir/reader.txt")"
kill -INT "$writer_pid"
wait "$writer_pid"
status=$?
writer_pid=""
[ "$status" -eq 0 ] || fail "writer stopped by Ctrl-C exited $status: $(cat "$dir/writer.txt")"
ls /dev/shm | grep -q "$topic" && fail "the writer left its segment: $(ls /dev/shm | grep "$topic")"
# The typed pair: the typed reader checks the writer's schema and reads its members; the
# untyped camera writer's frames (the same FrameBuffer layout) are read by the typed reader too.
"$bin/smx_example_typed_camera_writer" "$topic" 300 >"$dir/writer.txt" 2>&1 &
writer_pid=$!
timeout 60 "$bin/smx_example_typed_camera_reader" "$topic" 10 >"$dir/reader.txt" 2>&1 || fail "typed reader exited $?: $(cat "$dir/reader.txt")"
[ "$(grep -c '^frame [0-9]*  depth(240, 424)=[0-9]*  color(240, 424)=([0-9]*, 240, 149)  fx=600 ' "$dir/reader.txt")" -eq 10 ] ||
    fail "typed reader: $(cat "$dir/reader.txt")"
timeout 60 "$bin/smx_example_camera_reader" "$topic" 3 >"$dir/reader.txt" 2>&1 || fail "untyped reader of the typed writer exited $?: $(cat "$dir/reader.txt")"
[ "$(grep -c '^frame ' "$dir/reader.txt")" -eq 3 ] || fail "untyped reader of the typed writer: $(cat "$dir/reader.txt")"
kill -INT "$writer_pid"
wait "$writer_pid"
status=$?
writer_pid=""
[ "$status" -eq 0 ] || fail "typed writer stopped by Ctrl-C exited $status: $(cat "$dir/writer.txt")"
"$bin/smx_example_camera_writer" "$topic" 300 >"$dir/writer.txt" 2>&1 &
writer_pid=$!
timeout 60 "$bin/smx_example_typed_camera_reader" "$topic" 3 >"$dir/reader.txt" 2>&1 || fail "typed reader of the untyped writer exited $?: $(cat "$dir/reader.txt")"
[ "$(grep -c '^frame ' "$dir/reader.txt")" -eq 3 ] || fail "typed reader of the untyped writer: $(cat "$dir/reader.txt")"
kill -INT "$writer_pid"
wait "$writer_pid"
writer_pid=""
ls /dev/shm | grep -q "$topic" && fail "a writer left its segment: $(ls /dev/shm | grep "$topic")"
echo "PASS: the camera examples (untyped and typed) stream frames to each other, and their usage comes for --help, options and bad counts"

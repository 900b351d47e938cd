#!/bin/sh
# The OpenCV example over the typed camera: cv::Mat headers over the pinned slot (zero copy)
# give the depth range and mean colours the typed writer drew: depth 500..3499 mm, the second
# channel the row (mod 256: mean 120.0), the third 255 - x/4 (mean 149.5).
#
# usage: examples_opencv_test.sh <bin dir>
set -u
bin="$1"
topic="examples_cv_$$"
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
"$bin/smx_example_typed_camera_writer" "$topic" 300 >"$dir/writer.txt" 2>&1 &
writer_pid=$!
timeout 60 "$bin/smx_example_opencv_depth" "$topic" 5 >"$dir/cv.txt" 2>&1 || fail "opencv example exited $?: $(cat "$dir/cv.txt")"
cat "$dir/cv.txt"
[ "$(grep -Ec '^frame [0-9]+  depth [0-9]+\.\.[0-9]+ mm  mean colour \([0-9.]+, 120\.0, 149\.5\)  848x480  zero-copy yes$' "$dir/cv.txt")" -eq 5 ] ||
    fail "unexpected output"
grep -E '^frame ' "$dir/cv.txt" | while read -r _ _ _ range _; do
    lo=${range%%..*}
    hi=${range##*..}
    [ "$lo" -ge 500 ] && [ "$hi" -le 3499 ] && [ "$hi" -gt "$lo" ] || fail "depth range $range is not the writer's ramp"
done || exit 1
kill -INT "$writer_pid"
wait "$writer_pid"
writer_pid=""
echo "PASS: OpenCV reads the typed camera's slot without a copy"

#!/bin/sh
# `smx demo` end to end: a writer and two reader processes for 3 s. Passes if the demo exits 0,
# its summary shows torn-accepted 0 for each of the two readers, and neither a shared memory
# object nor a process of this run is left behind.
#
# usage: demo_test.sh <path of the smx executable>
set -u
smx="$1"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$smx" demo --seconds 3 --readers 2 >"$out" 2>&1
status=$?
cat "$out"
[ "$status" -eq 0 ] || fail "smx demo exited with status $status, expected 0"

# The run's own topic (unique per run): checking only its names keeps a demo that runs
# concurrently elsewhere on this host from failing this test.
topic=$(sed -n "s/^smx demo: topic '\([^']*\)'.*/\1/p" "$out")
[ -n "$topic" ] || fail "the output does not name the demo's topic"

awk '
    $1 == "role" { for (i = 1; i <= NF; i++) if ($i == "torn-accepted") col = i; next }
    col && $1 ~ /^reader-[0-9]+$/ { rows++; if ($col != "0") bad = bad " " $1 }
    END {
        if (!col) { print "no summary table with a torn-accepted column"; exit 1 }
        if (rows != 2) { print "expected 2 reader rows in the summary, found " rows + 0; exit 1 }
        if (bad != "") { print "torn frames accepted by" bad; exit 1 }
    }' "$out" || fail "summary check"

# Segment names are "smx.<domain>.<topic>", plus "~t<hex>" while a writer creates one.
leftover=$(ls /dev/shm | grep -E "^smx\.[0-9]+\.${topic}(~|\$)")
[ -z "$leftover" ] || fail "left in /dev/shm: $leftover"

if pgrep -f -- "--topic ${topic} " >/dev/null; then
    fail "processes of topic $topic still run: $(pgrep -af -- "--topic ${topic} ")"
fi
echo "PASS: exit 0, torn-accepted 0 for both readers, nothing of topic $topic left behind"

#!/bin/sh
# Builds the slot protocol model (slots.pml) with spin and checks it exhaustively.
#
#   run.sh SPIN MODEL WORKDIR pass|fail[:PATTERN] [-DNAME[=VALUE] ...]
#
# pass: the search must complete with "errors: 0" (and must not be cut by the depth limit).
# fail: spin must report an error; with :PATTERN, pan's message must contain PATTERN (the
#       property that the defect breaks), so the model demonstrably catches that defect.
# The -D options go to spin (the model's switches, see slots.pml). MEMORY_MB (default 4096)
# bounds pan's memory; a search that runs out of it fails.
set -eu

if [ $# -lt 4 ]; then
    echo "usage: $0 SPIN MODEL WORKDIR pass|fail[:PATTERN] [-DNAME[=VALUE] ...]" >&2
    exit 2
fi
spin=$1 model=$2 work=$3 expect=$4
shift 4

if ! command -v "$spin" >/dev/null 2>&1; then
    echo "FAIL: spin not found ('$spin'); it is in the Makefile's PACKAGES: run make deps" >&2
    exit 1
fi
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || cc=gcc

rm -rf "$work"
mkdir -p "$work"
cp "$model" "$work/model.pml"
cd "$work"

echo "spin -a $* model.pml"
"$spin" -a "$@" model.pml >spin.out 2>&1 || { cat spin.out; echo "FAIL: spin could not parse the model" >&2; exit 1; }
# SAFETY: assertions and invalid end states (no never claim); COLLAPSE: compressed state
# vectors, still an exhaustive search (no bitstate hashing).
"$cc" -O2 -w -DSAFETY -DCOLLAPSE -DMEMLIM="${MEMORY_MB:-4096}" -o pan pan.c

start=$(date +%s)
# -m: search depth bound (the run fails below if it was reached); -w: initial hash table size.
status=0
./pan -m2000000 -w"${PAN_W:-25}" >pan.out 2>&1 || status=$?
end=$(date +%s)
cat pan.out
echo "pan exit status $status, $((end - start)) s"

errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' pan.out | head -n 1)
if [ -z "$errors" ]; then
    echo "FAIL: pan did not report its result" >&2
    exit 1
fi

case $expect in
pass)
    if [ "$errors" != 0 ]; then
        echo "FAIL: the model found an error; the counter-example:" >&2
        "$spin" -t -p -g -l "$@" model.pml 2>&1 | tail -n 120 >&2 || true
        exit 1
    fi
    if grep -q -e "max search depth too small" -e "out of memory" -e "Search not completed" pan.out; then
        echo "FAIL: the search was not exhaustive" >&2
        exit 1
    fi
    echo "PASS: exhaustive search, errors: 0"
    ;;
fail*)
    pattern=${expect#fail}
    pattern=${pattern#:}
    if [ "$errors" = 0 ]; then
        echo "FAIL: the model should have found an error here and did not" >&2
        exit 1
    fi
    if [ -n "$pattern" ] && ! grep -F -q -e "$pattern" pan.out; then
        echo "FAIL: the model found an error, but not the expected one ('$pattern')" >&2
        exit 1
    fi
    echo "PASS: the model finds the defect"
    "$spin" -t -p -g -l "$@" model.pml >trail.txt 2>&1 || true
    echo "(counter-example in $work/trail.txt)"
    ;;
*)
    echo "usage: expectation must be pass or fail[:PATTERN]" >&2
    exit 2
    ;;
esac

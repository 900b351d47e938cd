#!/bin/sh
# The configurations of the slot protocol model (slots.pml) and what spin must say about each.
#
#   check.sh SPIN WORKDIR NAME...
#
# NAME is one configuration below, or `ctest` (those make test runs, under a minute on two
# cores), `larger` (bigger ones and the mutations; `make model` runs ctest and larger), or
# `all`. Each runs in WORKDIR/NAME through run.sh; the script fails if any does.
set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 SPIN WORKDIR NAME..." >&2
    exit 2
fi
spin=$1 work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)

# Two readers on two slots: reader 0 calls next() (view or copy), reader 1 latest() with a pin.
TWO="-DNS=2 -DMAXF=2 -DMAXAB=1 -DR0MODES=4 -DR1MODES=2"
# Three slots, four frames: what next() going back needs (a frame pinned by the other reader).
THREE="-DNS=3 -DMAXF=4 -DMAXAB=1 -DR0MODES=4 -DR1MODES=2 -DWAITFULL=0"

CTEST="two_readers_full_wait two_readers_reader_crash one_reader_every_call
       finds_torn_accept_with_old_abandon finds_next_going_back_with_the_old_fallback"
LARGER="two_readers_every_call two_readers_crash_and_full_wait one_reader_three_slots_crashes
        next_fallback_with_bell_check fine_snapshot
        mutant_no_recheck mutant_ring_early mutant_gen_late mutant_no_unchanged mutant_wait_late"

run_one() {
    name=$1
    case $name in
    # ---- make test ----
    two_readers_full_wait)          set -- pass $TWO -DLCALLS=2 -DWAITFULL=1 ;;
    two_readers_reader_crash)       set -- pass $TWO -DLCALLS=0 -DWAITFULL=0 -DRCRASH=1 -DVICTIM=1 ;;
    one_reader_every_call)          set -- pass -DONE_READER -DNS=3 -DMAXF=3 -DMAXAB=1 -DR0MODES=15 -DLCALLS=0 -DRTIMEOUT=1 ;;
    finds_torn_accept_with_old_abandon)
                                    set -- "fail:assertion violated ((x1==bf)&&(x2==bf))" $TWO -DLCALLS=2 -DWAITFULL=1 -DOLD_ABANDON ;;
    finds_next_going_back_with_the_old_fallback)
                                    set -- "fail:assertion violated ( !(next_mode)||(bf>hi[r]))" $THREE -DLCALLS=0 -DFALLBACK=1 ;;
    # ---- make model ----
    two_readers_every_call)         set -- pass -DNS=2 -DMAXF=2 -DMAXAB=1 -DR0MODES=12 -DR1MODES=3 -DLCALLS=2 -DWAITFULL=0 ;;
    two_readers_crash_and_full_wait) set -- pass $TWO -DLCALLS=2 -DWAITFULL=1 -DRCRASH=1 -DVICTIM=1 ;;
    one_reader_three_slots_crashes) set -- pass -DONE_READER -DNS=3 -DMAXF=3 -DMAXAB=1 -DR0MODES=15 -DLCALLS=0 -DRTIMEOUT=1 -DRCRASH=1 -DVICTIM=0 -DWCRASH=1 ;;
    next_fallback_with_bell_check)  set -- pass $THREE -DLCALLS=1 -DHOLD=1 -DFALLBACK=2 ;;
    fine_snapshot)                  set -- pass $TWO -DLCALLS=2 -DWAITFULL=1 -DFINE_SNAPSHOT ;;
    mutant_no_recheck)              set -- "fail:assertion violated ((held[0]!=got)&&(held[1]!=got))" $TWO -DLCALLS=2 -DMUT_NO_RECHECK ;;
    mutant_ring_early)              set -- "fail:assertion violated (( !(queued[0])||(seen[0]==bell))" $TWO -DLCALLS=2 -DMUT_RING_EARLY ;;
    mutant_gen_late)                set -- "fail:assertion violated (exhausted||(rung<=hi[r]))" $TWO -DLCALLS=2 -DMUT_GEN_LATE ;;
    mutant_no_unchanged)            set -- "fail:assertion violated ((x1==bf)&&(x2==bf))" $TWO -DLCALLS=2 -DMUT_NO_UNCHANGED ;;
    mutant_wait_late)               set -- "fail:assertion violated (wdead||(wdone&&" $TWO -DLCALLS=2 -DWAITFULL=1 -DMUT_WAIT_LATE ;;
    *) echo "unknown configuration '$name'" >&2; return 2 ;;
    esac
    echo "==== $name"
    sh "$here/run.sh" "$spin" "$here/slots.pml" "$work/$name" "$@"
}

names=""
for n in "$@"; do
    case $n in
    ctest) names="$names $CTEST" ;;
    larger) names="$names $LARGER" ;;
    all) names="$names $CTEST $LARGER" ;;
    *) names="$names $n" ;;
    esac
done

failed=""
for n in $names; do
    run_one "$n" || failed="$failed $n"
done
if [ -n "$failed" ]; then
    echo "FAILED:$failed" >&2
    exit 1
fi
echo "all passed:$names" | tr -s ' \n' ' '
echo

#!/usr/bin/env bash
# `pip install .` gives the Python package *and* the smx command: installs this source tree into a
# private folder (--target) from the already-configured build (SMX_PREBUILT, so the test does not
# compile everything again; setup.py's own build runs the same install step), then runs the
# `smx` entry point and `python -m smx` with no LD_LIBRARY_PATH, and checks that the bundled tool
# finds the libsmx installed beside the package. Arguments: build directory, source directory,
# the Python interpreter.
set -euo pipefail
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
python=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset LD_LIBRARY_PATH

# pip builds in the source tree: setup.py's build base is build-pip/ (ignored by git, like build/).
SMX_PREBUILT="$build_dir" "$python" -m pip install --quiet --no-build-isolation --no-deps --no-index \
    --target "$work/site" "$source_dir" >"$work/pip.log" 2>&1 || { cat "$work/pip.log" >&2; exit 1; }

fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$work/site/bin/smx" ] || fail "pip installed no smx entry point (site/bin/smx)"
[ -x "$work/site/smx/_bin/smx" ] || fail "the smx tool is not in the package (smx/_bin/smx)"
# Captured first: `ldd | grep -q` under pipefail fails whenever grep's early exit breaks ldd's pipe.
libs=$(ldd "$work/site/smx/_bin/smx")
case "$libs" in
    *"libsmx.so.0."*" => $work/site/smx/_bin/../libsmx.so.0."*) ;;
    *) fail "the bundled tool does not find the package's libsmx: $(printf '%s\n' "$libs" | grep smx)" ;;
esac

version=$(PYTHONPATH="$work/site" "$work/site/bin/smx" --version 2>&1) || fail "smx --version: $version"
[ "$version" = "$(PYTHONPATH="$work/site" "$python" -c 'import smx; print(smx.__version__)')" ] \
    || fail "smx --version said '$version'"
[ "$(PYTHONPATH="$work/site" "$python" -m smx --version)" = "$version" ] || fail "python -m smx --version"
# A real subcommand through the entry point.
PYTHONPATH="$work/site" "$work/site/bin/smx" list --no-dds >"$work/list.out" 2>&1 \
    || fail "smx list through the entry point: $(cat "$work/list.out")"
status=0
PYTHONPATH="$work/site" "$python" -m smx no-such-command 2>/dev/null || status=$?
[ "$status" = 2 ] || fail "python -m smx with a bad command exited $status, not 2 (usage)"
echo "pip install: entry point and python -m smx run smx $version from the package"

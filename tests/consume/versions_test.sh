#!/usr/bin/env bash
# One version everywhere: the CMake project (libsmx, `smx --version`), the Python package
# (pyproject.toml, smx.__version__) and the newest release in CHANGELOG.md agree, and a git tag
# v<version>, where the clone has tags, names a commit that is an ancestor of this one (a release
# is tagged as CHANGELOG.md's "Releases" paragraph says). Arguments: build directory, source
# directory, the Python interpreter.
set -euo pipefail
build_dir=$1
source_dir=$2
python=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

tool=$("$build_dir/bin/smx" --version)
package=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$source_dir/pyproject.toml")
module=$(PYTHONPATH="$build_dir/python" "$python" -c 'import smx; print(smx.__version__)')
changelog=$(sed -n 's/^## \([0-9][0-9.]*\) .*/\1/p' "$source_dir/CHANGELOG.md" | head -1)
[ "$tool" = "$package" ] || fail "smx --version says $tool, pyproject.toml $package"
[ "$module" = "$tool" ] || fail "smx.__version__ is $module, smx --version $tool"
[ "$changelog" = "$tool" ] || fail "the newest release in CHANGELOG.md is $changelog, the build is $tool"
if git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1 && git -C "$source_dir" rev-parse -q --verify "refs/tags/v$tool" >/dev/null; then
    git -C "$source_dir" merge-base --is-ancestor "v$tool" HEAD || fail "tag v$tool is not an ancestor of HEAD"
fi
echo "version $tool in the tool, the Python package and CHANGELOG.md"

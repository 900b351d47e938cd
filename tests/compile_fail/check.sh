#!/bin/sh
# Compiles one file of tests/compile_fail as C++17 and C++20 against smx's headers. A file whose
# first line is "// expect: REGEX" must fail to compile with a diagnostic matching REGEX (the
# check the typed API promises); "// expect: compiles" must compile (the control: the harness
# itself works, so a failure elsewhere is the check's, not a broken include path).
#
# usage: check.sh CXX FILE -I... (the include flags)
set -u
cxx=$1
file=$2
shift 2
expect=$(head -1 "$file" | sed -n 's|^// expect: ||p')
[ -n "$expect" ] || { echo "FAIL: $file has no '// expect:' first line"; exit 1; }
for std in c++17 c++20; do
    # The control also compiles warning-free (-Wpedantic: a one-field SMX_FRAME once warned in C++17).
    warnings=""
    [ "$expect" = "compiles" ] && warnings="-Wall -Wextra -Wpedantic -Werror"
    out=$("$cxx" -std=$std -fsyntax-only $warnings "$@" "$file" 2>&1)
    status=$?
    if [ "$expect" = "compiles" ]; then
        [ $status -eq 0 ] || { echo "FAIL ($std): $file should compile:"; echo "$out"; exit 1; }
    else
        [ $status -ne 0 ] || { echo "FAIL ($std): $file compiled; expected an error matching: $expect"; exit 1; }
        echo "$out" | grep -Eq -- "$expect" || { echo "FAIL ($std): $file failed, but not with: $expect"; echo "$out"; exit 1; }
    fi
done
echo "PASS: $(basename "$file") ($expect)"

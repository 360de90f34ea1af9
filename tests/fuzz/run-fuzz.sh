#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# run-fuzz.sh SECONDS - builds the policy fuzzer in its own build directory
# (build-fuzz, clang with -fsanitize=fuzzer,address,undefined) and runs it
# for SECONDS. The corpus is kept in build-fuzz/corpus between runs; crash
# inputs land in build-fuzz/artifacts/. CI: `tests/fuzz/run-fuzz.sh 60`.
set -eu
seconds=${1:?usage: run-fuzz.sh SECONDS}
root=$(realpath "$(dirname "$0")/../..")
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
# Absolute: fuzz-corpus-run.sh runs the fuzzer from the examples' directory.
case $build in /*) ;; *) build=$PWD/$build ;; esac
if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" "$root" -Dfuzz=true -Dtests=disabled \
		-Dbuildtype=debugoptimized
fi
ninja -C "$build" tests/fuzz/fuzz_policy
mkdir -p "$build/artifacts" "$build/corpus"
FUZZ_ARTIFACTS="$build/artifacts/" exec "$root/tests/fuzz/fuzz-corpus-run.sh" \
	"$build/tests/fuzz/fuzz_policy" "$root" "$seconds" "$build/corpus"

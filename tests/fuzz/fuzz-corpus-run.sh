#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# fuzz-corpus-run.sh FUZZER SOURCE_ROOT SECONDS [CORPUS_DIR]
# Runs the policy fuzzer for SECONDS on a corpus seeded with the shipped
# policies (examples, default), from the examples' directory so their
# relative certificate paths resolve. Exit status: the fuzzer's (0 = no crash).
set -eu
fuzzer=$(realpath "$1")
root=$(realpath "$2")
seconds=$3
corpus=${4:-}
if [ -z "$corpus" ]; then
	corpus=$(mktemp -d /tmp/keygate-fuzz-corpus.XXXXXX)
	trap 'rm -rf "$corpus"' EXIT
fi
mkdir -p "$corpus"
i=0
for seed in "$root"/policy/default.yaml "$root"/policy/examples/*.yaml \
	"$root"/policy/examples/*/policy.yaml "$root"/policy/examples/*/policy.d/*.yaml \
	"$root"/policy/examples/certs/*; do
	[ -f "$seed" ] || continue
	cp "$seed" "$corpus/seed-$i"
	i=$((i + 1))
done
cd "$root/policy/examples/signed-apps"
artifacts=${FUZZ_ARTIFACTS:-$corpus/}
exec "$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$artifacts" "$corpus"

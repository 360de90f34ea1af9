#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# cli-log.sh KEYGATE AUDIT_BENCH: `keygate log` end to end on a log written
# by the real writer (audit-bench), rotated and gzipped, with a corrupt
# line: -j output must be valid JSON (checked with python3 when present),
# filters and summary must count what was written.
set -u
keygate=$1
bench=$2
dir=$(mktemp -d /tmp/kg-cli-log.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 3 files of 1000 records (each with agent start/stop): .2.gz, .1, live.
"$bench" "$dir/w/audit.log" 1000 >/dev/null || fail "audit-bench"
gzip -c "$dir/w/audit.log" >"$dir/audit.log.2.gz"
cp "$dir/w/audit.log" "$dir/audit.log.1"
echo '{"schema":1,"type":"decision","time":"2026-' >>"$dir/audit.log.1"
cp "$dir/w/audit.log" "$dir/audit.log"

"$keygate" -j log -f "$dir/audit.log" >"$dir/all.json" 2>"$dir/err" || fail "keygate -j log"
grep -q "audit.log.1:1003: skipped: truncated record" "$dir/err" || fail "corrupt line not reported: $(cat "$dir/err")"
if command -v python3 >/dev/null; then
	python3 - "$dir/all.json" <<'PY' || fail "-j output is not the expected JSON array"
import json, sys
records = json.load(open(sys.argv[1]))
assert isinstance(records, list) and len(records) == 3 * 1002, len(records)
assert sum(r["type"] == "decision" for r in records) == 3000
assert all(r["schema"] == 1 for r in records)
times = [r["time"] for r in records if r["type"] == "decision"][:1000]
assert times == sorted(times)
PY
fi

n=$("$keygate" -j log -f "$dir/audit.log" --verdict deny --op exec 2>/dev/null | grep -c '"type":"decision"')
[ "$n" -gt 0 ] || fail "no denied exec decisions"
all=$("$keygate" log -f "$dir/audit.log" --verdict deny 2>/dev/null | grep -c ' deny ')
exec_only=$("$keygate" log -f "$dir/audit.log" --verdict deny --op exec 2>/dev/null | grep -c ' deny ')
mmap_only=$("$keygate" log -f "$dir/audit.log" --verdict deny --op mmap_exec 2>/dev/null | grep -c ' deny ')
[ $((exec_only + mmap_only)) -eq "$all" ] || fail "op filters do not partition the denies"
[ "$exec_only" -eq "$n" ] || fail "table and JSON disagree ($exec_only vs $n)"

"$keygate" -j log summary -f "$dir/audit.log" >"$dir/summary.json" 2>/dev/null || fail "summary"
grep -q '"records":3006,"decisions":3000' "$dir/summary.json" || fail "summary counts: $(cat "$dir/summary.json")"
grep -q '"corrupt_lines":1' "$dir/summary.json" || fail "summary corrupt count"
"$keygate" -j log -f "$dir/nope.log" >"$dir/err.json" && fail "missing log accepted"
grep -q '^{"error":' "$dir/err.json" || fail "error is not JSON"
"$keygate" log -f "$dir/audit.log" --since nonsense 2>/dev/null
[ $? -eq 2 ] || fail "bad --since is not a usage error"

# A logged path with a newline and a fake decision after it, a comm that
# clears the screen: the table shows each escaped, on one line.
mkdir "$dir/forged"
printf '%s\n' '{"schema":1,"type":"decision","time":"2026-11-21T19:33:09.000000Z","host":"h","policy":null,"generation":1,"op":"exec","verdict":"deny","reason":"no-signature","rule":null,"rule_id":null,"source":null,"anchor":null,"pid":7,"tgid":7,"uid":0,"comm":"\u001b[2J\u001b[Hx","path":"/tmp/a\n2026-11-21 19:33:09  allow   exec \\ok","dev":"8:1","ino":1,"digest":null}' \
	>"$dir/forged/audit.log"
"$keygate" log -f "$dir/forged/audit.log" >"$dir/forged/out" 2>&1 || fail "keygate log of the forged record"
[ "$(grep -c . "$dir/forged/out")" -eq 2 ] || fail "forged record took more than one line: $(cat "$dir/forged/out")"
grep -q "$(printf '\033')" "$dir/forged/out" && fail "an escape sequence reached the table"
grep -qF '\x1b[2J\x1b[Hx' "$dir/forged/out" || fail "comm not shown escaped: $(cat "$dir/forged/out")"
grep -qF '/tmp/a\x0a2026-11-21 19:33:09  allow   exec \x5cok' "$dir/forged/out" ||
	fail "path not shown escaped: $(cat "$dir/forged/out")"
echo "ok: $n denied execs, 3 files, 1 corrupt line, a forged path and comm shown escaped"

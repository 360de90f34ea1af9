#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# quickstart.sh - README Quick start command 1 (fresh Debian 12, as root):
# installs the dependencies, builds keygate, asks the kernel what it supports
# (`keygate probe`) and then runs the agent on its built-in default policy:
#  - here, in the foreground, when this kernel can enforce (Ctrl-C stops it,
#    then `keygate stop` ends the enforcement it leaves pinned);
#  - otherwise in the bundled VM (qemu, Debian's 6.12 kernel), after saying
#    why, with a short demo of what the agent reports.
#
#   scripts/quickstart.sh [BUILD_DIR]     (default: build)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$src/build}

if [ "$(id -u)" != 0 ]; then
	echo "quickstart: run as root (it installs packages and loads BPF programs)" >&2
	exit 1
fi

echo "== 1/4 dependencies"
"$src/scripts/install-deps.sh"

echo "== 2/4 build ($build)"
[ -f "$build/build.ninja" ] || meson setup "$build" "$src" >/dev/null
ninja -C "$build" >/dev/null
keygate=$build/cli/keygate

echo "== 3/4 keygate probe (this machine, kernel $(uname -r))"
set +e
"$keygate" probe
probe_status=$?
set -e

if [ "$probe_status" != 3 ] || "$keygate" -j probe | grep -q '"can_enforce":true'; then
	echo "== 4/4 keygate run: the agent on its built-in default policy (Ctrl-C to stop)"
	# The agent leaves its policy pinned in force when it exits (keygate(8),
	# PERSISTENCE); a demo ends enforcement too.
	"$keygate" run || true
	echo "== keygate stop: ending enforcement"
	exec "$keygate" stop
fi

reason=$("$keygate" probe | sed -n 's/^keygate cannot enforce on this kernel: //p' || true)
echo
echo "== 4/4 this kernel cannot run keygate's programs: $reason"
echo "   Running the agent inside the bundled VM instead (qemu, Debian's 6.12 cloud kernel):"
echo "   tests/vm/run-vm.sh -v tests/vm/demo/demo-default-policy.sh"
echo
"$src/tests/vm/run-vm.sh" --build "$build" --no-build -v "$src/tests/vm/demo/demo-default-policy.sh" |
	sed -u -e 's/\r//g' -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' |
	grep --line-buffered -vE '^KG-|^\[ *[0-9.]+\]|^SeaBIOS|^Booting from|^$'

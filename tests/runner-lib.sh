# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# runner-lib.sh - what the host runners of the VM tier (tests/vm/run-vm.sh)
# and the system tier (tests/system/run-system.sh) share: their usage text,
# the options both take, the failure that still prints a summary line, and
# the checks for tools and the build directory. Sourced (not run) after the
# runner sets RUNNER (its name in messages), TIER (the summary's prefix)
# and RUNNER_USAGE (the line range of its header comment that is its usage).

runner_usage() { # runner_usage STATUS
	sed -n "${RUNNER_USAGE}p" "$0" | sed 's/^# \{0,1\}//'
	exit "$1"
}

# Every way of not running is a failure with its reason, never a skip.
runner_die() {
	echo "$RUNNER: FAIL: $*" >&2
	echo "$TIER: 0 passed, 1 failed"
	exit 1
}

# runner_option ARG [VALUE]: the options both runners take, into $build,
# $timeout and $verbose. Sets runner_shift to the words it used; 0 when ARG
# is not one of them.
runner_option() {
	runner_shift=1
	case $1 in
	--build | --timeout)
		[ $# -ge 2 ] || { echo "$RUNNER: $1 needs a value" >&2; runner_usage 2; }
		if [ "$1" = --build ]; then build=$2; else timeout=$2; fi
		runner_shift=2
		;;
	-v | --verbose) verbose=1 ;;
	-h | --help) runner_usage 0 ;;
	*) runner_shift=0 ;;
	esac
}

# runner_parse ARG...: every argument. What runner_option does not take
# goes to the runner's own_option ARG [VALUE], which sets runner_shift the
# same way; 0 there is a usage error.
runner_parse() {
	while [ $# -gt 0 ]; do
		runner_option "$@"
		[ "$runner_shift" -gt 0 ] || own_option "$@"
		[ "$runner_shift" -gt 0 ] || { echo "$RUNNER: unknown argument $1" >&2; runner_usage 2; }
		shift "$runner_shift"
	done
}

runner_require_tools() { # runner_require_tools TOOL...
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || runner_die "$tool not found; run scripts/install-deps.sh"
	done
}

# The build directory as an absolute path, or the runner fails.
runner_build_dir() {
	build=$(cd "$build" 2>/dev/null && pwd) || runner_die "build directory not found (meson setup build first)"
}

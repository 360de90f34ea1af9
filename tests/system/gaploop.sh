#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# gaploop.sh DIR: every 0.1 s, try to run the unsigned /opt/kgsys/kg-true
# (covered by the test policy) until DIR/stop exists; keeps "RAN DENIED"
# in DIR/count. RAN is the number of unsigned programs that got through.
# Two programs per try (the test program and sleep): under TCG each costs
# tens of milliseconds, so the loop stays light enough not to slow a boot.
dir=$1
ran=0
denied=0
mkdir -p "$dir"
while [ ! -e "$dir/stop" ]; do
	if /opt/kgsys/kg-true 2>/dev/null; then
		ran=$((ran + 1))
	else
		denied=$((denied + 1))
	fi
	echo "$ran $denied" >"$dir/count"
	sleep 0.1
done

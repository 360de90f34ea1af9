# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# demo-default-policy: what scripts/quickstart.sh shows when the host kernel
# cannot enforce. Starts the agent on its built-in default policy (audit
# mode: nothing is denied, would-be denials are reported), then does what
# that policy watches: runs a program copied to /tmp and loads a kernel
# module, and shows the agent's decisions. Not part of the test batch.
# kg-timeout: 300

echo "=== keygate probe (inside the VM, kernel $(uname -r)) ==="
keygate probe
echo

if ! kg_keygate_has run; then
	echo "keygate run is not built yet in this checkout: the probe above is what exists."
	kg_pass
fi

echo "=== keygate run (built-in default policy) ==="
kg_start_agent run
echo "agent started:"
sed 's/^/  | /' "$KG_AGENT_LOG"
echo

echo "=== action 1: run a program from /tmp (the policy audits exec from world-writable dirs) ==="
cp /usr/bin/xz /tmp/demo-tool
/tmp/demo-tool --version | head -n1
echo "  /tmp/demo-tool ran (audit mode allows; the agent reports it)"
echo

echo "=== action 2: load a kernel module (the policy logs every module load, naming the module) ==="
if /usr/sbin/modprobe dummy; then
	echo "  module 'dummy' loaded (audit mode allows; the agent reports its decision)"
	/usr/sbin/modprobe -r dummy
else
	echo "  modprobe dummy failed"
fi
echo

sleep 2
kg_stop_agent
echo "=== the agent's output: its decisions ==="
sed 's/^/  | /' "$KG_AGENT_LOG"

# private-bus.sh: sourced by demo/demo.sh and bench/ — runs a private dbus-daemon that activates the build tree's daemons under a relocated root.
#
# private_bus_start BUILD_DIR TMP_DIR   exports VMMD_BUS_ADDRESS and VMMD_ROOT=TMP_DIR/root, sets BUS_PID
# private_bus_stop                      stops the bus, the daemons it activated and their QEMUs
# private_bus_qemu_pids                 pids of the QEMUs running under this VMMD_ROOT

BUS_PID=
BUS_LOG=

private_bus_start() {
	local build=$1 tmp=$2
	local services=$build/busconfig/services

	[[ -e $services/org.vmmd.qemu1.service ]] || {
		echo "$services/org.vmmd.qemu1.service is missing; build first: meson compile -C $build" >&2
		return 1
	}
	command -v dbus-daemon >/dev/null || { echo "dbus-daemon is not installed (apt-get install dbus-daemon)" >&2; return 1; }

	cat > "$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$tmp/bus</listen>
  <servicedir>$services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
	export VMMD_ROOT=$tmp/root
	export VMMD_BUS_ADDRESS=unix:path=$tmp/bus
	BUS_LOG=$tmp/bus.log
	# Activated daemons inherit this environment: that is how VMMD_ROOT reaches vmmd-qemu.
	dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile >"$BUS_LOG" 2>&1 &
	BUS_PID=$!
	# The socket file appears at bind(), before dbus-daemon listens: wait for an answer instead.
	for _ in $(seq 50); do
		[[ -S $tmp/bus ]] && busctl --address="$VMMD_BUS_ADDRESS" call org.freedesktop.DBus \
			/org/freedesktop/DBus org.freedesktop.DBus GetId >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "dbus-daemon did not start:" >&2
	cat "$BUS_LOG" >&2
	return 1
}

# QEMU inherits the daemon's environment, so VMMD_ROOT tells ours from anyone else's.
private_bus_qemu_pids() {
	local p pid
	[[ -n ${VMMD_ROOT:-} ]] || return 0
	for p in /proc/[0-9]*; do
		[[ $(cat "$p/comm" 2>/dev/null) == qemu-system* ]] || continue
		tr '\0' '\n' < "$p/environ" 2>/dev/null | grep -qxF "VMMD_ROOT=$VMMD_ROOT" || continue
		pid=${p#/proc/}
		echo "$pid"
	done
}

private_bus_stop() {
	local daemon_pid= pid
	[[ -n $BUS_PID ]] || return 0
	# The daemon the bus activated is ours too; find it before its bus goes away.
	daemon_pid=$(busctl --address="$VMMD_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus GetConnectionUnixProcessID s org.vmmd.qemu1 2>/dev/null | awk '{print $2}') || true
	kill "$BUS_PID" 2>/dev/null || true
	wait "$BUS_PID" 2>/dev/null || true
	BUS_PID=
	if [[ -n $daemon_pid ]]; then
		# Without its bus the daemon exits by itself; give it a moment before insisting.
		for _ in $(seq 10); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.2; done
		kill "$daemon_pid" 2>/dev/null || true
	fi
	# Guests outlive their daemon by design (it re-attaches when restarted); here nobody will.
	for pid in $(private_bus_qemu_pids); do
		echo "stopping QEMU $pid left running under $VMMD_ROOT" >&2
		kill -9 "$pid" 2>/dev/null || true
	done
}

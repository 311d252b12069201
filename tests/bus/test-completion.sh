#!/bin/bash
# test-completion.sh: vmmctl's bash completion offers commands, options and the names that are on the bus.
#
# Usage: test-completion.sh BUILD_DIR SOURCE_DIR
# A private bus activates the build's daemons under a temporary root; a domain, a pool, a
# volume and a snapshot are made, then the completion function is called as bash would.
set -uo pipefail

BUILD=$1 SOURCE=$2
# shellcheck source=demo/private-bus.sh
source "$SOURCE/demo/private-bus.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-test-completion.XXXXXX")
trap 'private_bus_stop; rm -rf "$TMP"' EXIT
private_bus_start "$BUILD" "$TMP" || exit 1
VMMCTL=$BUILD/tools/vmmctl/vmmctl
PATH=$BUILD/tools/vmmctl:$PATH

cat > "$TMP/d.xml" <<'XML'
<domain type='qemu'><name>alpha</name><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>
XML
mkdir "$TMP/pool"
{
	vmmctl define "$TMP/d.xml" &&
	vmmctl pool-define-as pool1 dir --target "$TMP/pool" && vmmctl pool-start pool1 &&
	vmmctl vol-create-as pool1 disk1.raw 1M --format raw
} >/dev/null || { echo "Bail out! could not make the objects"; exit 1; }
cat > "$TMP/s.xml" <<XML
<domainsnapshot><name>snap1</name><state>shutoff</state><creationTime>1</creationTime>
<domain type='qemu'><name>alpha</name><uuid>$(vmmctl uuid alpha)</uuid><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='pc'>hvm</type></os></domain></domainsnapshot>
XML
vmmctl snapshot-create alpha "$TMP/s.xml" --redefine >/dev/null || { echo "Bail out! no snapshot"; exit 1; }

# shellcheck source=completion/vmmctl.bash
source "$SOURCE/completion/vmmctl.bash"
n=0 failures=0
# complete_has WANT WORDS...: the word being completed is the last one, or word $AT when
# set; WANT must be offered (with WANT "!X", X must not be)
complete_has() {
	local want=$1
	shift
	COMP_WORDS=("$@") COMP_CWORD=${AT:-$(($# - 1))} COMPREPLY=()
	_vmmctl
	n=$((n + 1))
	local got=" ${COMPREPLY[*]} " ok=0
	if [[ $want == '!'* ]]; then [[ $got != *" ${want#!} "* ]] && ok=1; else [[ $got == *" $want "* ]] && ok=1; fi
	local what="'$*'${AT:+ at word $AT} offers $want"
	if ((ok)); then echo "ok $n - $what"; else
		echo "not ok $n - $what: got [${COMPREPLY[*]}]"
		failures=$((failures + 1))
	fi
}
complete_has start vmmctl st
complete_has pool-list vmmctl pool-
complete_has '!start' vmmctl pool-
complete_has --connect vmmctl --co
complete_has dbus:session vmmctl -c dbus:s
complete_has snapshot-revert vmmctl help snapshot-r
complete_has alpha vmmctl start ''
complete_has alpha vmmctl -c "dbus:$VMMD_BUS_ADDRESS" dominfo a
complete_has --paused vmmctl start alpha --p
complete_has --autodestroy vmmctl start --
complete_has pool1 vmmctl pool-info ''
complete_has pool1 vmmctl vol-create-as ''
complete_has pool1 vmmctl vol-info disk1.raw --pool ''
complete_has disk1.raw vmmctl vol-info --pool pool1 ''
AT=2 complete_has disk1.raw vmmctl vol-info d --pool pool1
complete_has snap1 vmmctl snapshot-revert alpha ''
complete_has snap1 vmmctl snapshot-list alpha --from ''
complete_has '!alpha' vmmctl start alpha ''
echo "1..$n"
((failures == 0))

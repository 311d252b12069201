#!/bin/bash
# install-check.sh: checks what `meson install` puts where, builds the .deb, installs it and runs the installed-layout test; prints TAP lines.
#
# Usage: scripts/install-check.sh [BUILD_DIR]     (default build/ or $VMMD_BUILD_DIR)
#
# 1. `meson install --destdir` of BUILD_DIR: every file lands where the README says
#    (relative to the build's prefix), every activation file's Exec= and every unit's
#    ExecStart= is an installed program, every daemon is started by an activation file or a
#    socket unit (vmmd-dispatch), and `systemd-analyze verify` accepts every system and user unit.
# 2. The .deb: `DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b` in a copy of the
#    tree (the test suite already ran; the copy keeps build files out of the checkout).
# 3. As root only: install the .deb, check the vmmd group and the files under /usr, verify
#    the installed units, run tests/install/test-installed.py against the installed
#    files, then remove the package again if it was not installed before.
# Which daemons to expect comes from the build (meson introspect), so a new daemon needs no
# change here. The output is TAP ("ok N - ..."); the exit status is 1 if anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-${VMMD_BUILD_DIR:-$ROOT/build}}" && pwd) || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vmmd-install-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
n=0 failures=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $*"; }
check() { # WHAT COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
# show a failing command's output as TAP comments
quiet() { local out; out=$("$@" 2>&1) || { sed 's/^/#   /' <<<"$out"; return 1; }; }

# --- 1. meson install --destdir --------------------------------------------------------
DEST=$TMP/dest
opt() { meson introspect "$BUILD" --buildoptions | python3 -c "import json,sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name'] == '$1'))"; }
PREFIX=$(opt prefix) LIBEXEC=$(opt libexecdir) BINDIR=$(opt bindir) DATADIR=$(opt datadir) MANDIR=$(opt mandir)
[[ $LIBEXEC == /* ]] || LIBEXEC=$PREFIX/$LIBEXEC
[[ $BINDIR == /* ]] || BINDIR=$PREFIX/$BINDIR
[[ $DATADIR == /* ]] || DATADIR=$PREFIX/$DATADIR
[[ $MANDIR == /* ]] || MANDIR=$PREFIX/$MANDIR
check "meson install --destdir" quiet meson install -C "$BUILD" --destdir "$DEST" --no-rebuild

# the daemons the build makes: executables installed into libexec, except the helpers
# daemons run themselves (named *-helper, e.g. dnsmasq's vmmd-leases-helper), which have no
# unit, activation file or page of their own
mapfile -t DAEMONS < <(meson introspect "$BUILD" --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t.get("installed") and any("/libexec/" in f for f in t.get("install_filename", [])) \
            and not t["name"].endswith("-helper"):
        print(t["name"])')
check "the build installs daemons (${DAEMONS[*]})" test ${#DAEMONS[@]} -gt 0
check "vmmctl in $BINDIR" test -x "$DEST$BINDIR/vmmctl"
check "vmmctl(1)" test -s "$DEST$MANDIR/man1/vmmctl.1"
check "bash completion" test -s "$DEST$DATADIR/bash-completion/completions/vmmctl"
for d in "${DAEMONS[@]}"; do
	check "$d in $LIBEXEC" test -x "$DEST$LIBEXEC/$d"
	check "$d(8)" test -s "$DEST$MANDIR/man8/$d.8"
	check "$d's systemd unit" test -s "$DEST$PREFIX/lib/systemd/system/$d.service"
done
for f in "$DEST$DATADIR"/dbus-1/system-services/*.service; do
	bus=$(basename "$f" .service)
	exe=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$f")
	check "$bus: system activation file runs an installed daemon ($exe)" test -x "$DEST$exe"
	check "$bus: policy in share/dbus-1/system.d" test -s "$DEST$DATADIR/dbus-1/system.d/$bus.conf"
	check "$bus: policy is well-formed XML" quiet xmllint --noout "$DEST$DATADIR/dbus-1/system.d/$bus.conf"
	check "$bus: session activation file" grep -q "^Exec=$exe --session" "$DEST$DATADIR/dbus-1/services/$bus.service"
	check "$bus: interface XML" quiet compgen -G "$DEST$DATADIR/dbus-1/interfaces/$bus.*.xml"
done
# every daemon is started by something: the bus (an activation file runs it) or a socket unit
# (vmmd-dispatch: its Service= runs it); no two activation files for one daemon
started_by() { # DAEMON
	local how=""
	for f in "$DEST$DATADIR"/dbus-1/system-services/*.service; do
		grep -q "^Exec=$LIBEXEC/$1\( \|$\)" "$f" && how+=" ${f##*/}"
	done
	for f in "$DEST$PREFIX"/lib/systemd/system/*.socket; do
		[[ -e $f ]] && grep -qx "Service=$1.service" "$f" && how+=" ${f##*/}"
	done
	echo "${how# }"
}
for d in "${DAEMONS[@]}"; do
	how=$(started_by "$d")
	check "$d is started by an activation file or a socket unit (${how:-nothing})" test -n "$how"
done
check "one system activation file per bus-activated daemon" test "$(ls "$DEST$DATADIR"/dbus-1/system-services/*.service | wc -l)" -eq \
	"$(for d in "${DAEMONS[@]}"; do started_by "$d"; done | grep -o '[^ ]*\.service' | wc -l)"
for f in "$DEST$PREFIX"/lib/systemd/system/*.socket "$DEST$PREFIX"/lib/systemd/user/*.socket; do
	[[ -e $f ]] || continue
	svc=$(sed -n 's/^Service=//p' "$f")
	check "${f##*/}: Service= is an installed unit ($svc)" test -s "$(dirname "$f")/$svc"
	check "${f##*/}: names its descriptor (FileDescriptorName=)" grep -q '^FileDescriptorName=.' "$f"
done
# the libvirt-protocol sockets where the README and vmmd-dispatch(8) say
if [[ " ${DAEMONS[*]} " == *" vmmd-dispatch "* ]]; then
	for s in libvirt-sock libvirt-sock-ro; do
		check "a system socket unit listens on /run/vmmd/$s" \
			grep -qx "ListenStream=/run/vmmd/$s" $(ls "$DEST$PREFIX"/lib/systemd/system/*.socket)
	done
	check "the user unit listens at libvirt's session socket path" \
		grep -qx 'ListenStream=%t/libvirt/libvirt-sock' $(ls "$DEST$PREFIX"/lib/systemd/user/*.socket)
fi
# systemd-analyze verify checks ExecStart= on the real file system: point it into DEST
mkdir -p "$TMP/units" "$TMP/user-units"
for u in "$DEST$PREFIX"/lib/systemd/system/*; do
	sed "s|^ExecStart=|ExecStart=$DEST|" "$u" > "$TMP/units/${u##*/}"
done
for u in "$TMP"/units/*; do
	check "systemd-analyze verify ${u##*/}" quiet systemd-analyze verify --man=no "$u"
done
for u in "$DEST$PREFIX"/lib/systemd/user/*; do
	[[ -e $u ]] || continue
	sed "s|^ExecStart=|ExecStart=$DEST|" "$u" > "$TMP/user-units/${u##*/}"
done
for u in "$TMP"/user-units/*; do
	[[ -e $u ]] || continue
	check "systemd-analyze verify ${u##*/} (user unit)" quiet systemd-analyze verify --man=no "$u"
done

# --- 2. the .deb -------------------------------------------------------------------------
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$ROOT/debian/changelog")
SRC=$TMP/deb/vmmd-$VERSION
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp -a --parents -t "$SRC")
else
	tar -C "$ROOT" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$SRC" -xf -
fi
if (cd "$SRC" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$TMP/deb/build.log" 2>&1); then
	ok "dpkg-buildpackage -us -uc -b"
else
	fail "dpkg-buildpackage -us -uc -b"
	tail -n 30 "$TMP/deb/build.log" | sed 's/^/#   /'
fi
DEB=$(ls "$TMP"/deb/vmmd_*.deb 2>/dev/null | head -n 1)
check "a vmmd .deb was built" test -n "$DEB"
if [[ -n $DEB ]]; then
	contents=$(dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|')
	for d in "${DAEMONS[@]}"; do
		check "the .deb holds /usr/libexec/$d" grep -qx "/usr/libexec/$d" <<<"$contents"
		check "the .deb holds $d(8)" grep -q "^/usr/share/man/man8/$d\.8" <<<"$contents"
	done
	check "the .deb holds /usr/bin/vmmctl" grep -qx /usr/bin/vmmctl <<<"$contents"
	check "the .deb holds the system bus policy" grep -q '^/usr/share/dbus-1/system.d/org.vmmd' <<<"$contents"
	for u in "$DEST$PREFIX"/lib/systemd/system/* "$DEST$PREFIX"/lib/systemd/user/*; do
		[[ -e $u ]] || continue
		rel=${u#"$DEST$PREFIX"}
		check "the .deb holds /usr$rel" grep -qx "/usr$rel" <<<"$contents"
	done
	[[ -n ${VMMD_DEB_OUT:-} ]] && cp "$DEB" "$VMMD_DEB_OUT/"
fi

# --- 3. installed, as root -------------------------------------------------------------
if [[ -n $DEB ]] && ((EUID == 0)); then
	was_installed=$(dpkg-query -W -f='${Status}' vmmd 2>/dev/null | grep -c 'install ok installed')
	if quiet dpkg -i "$DEB"; then
		ok "dpkg -i $(basename "$DEB")"
		check "postinst created the group vmmd" quiet getent group vmmd
		for u in "$TMP"/units/*; do
			check "systemd-analyze verify /usr/lib/systemd/system/${u##*/} (installed)" \
				quiet systemd-analyze verify "/usr/lib/systemd/system/${u##*/}"
		done
		"$ROOT/tests/install/test-installed.py" /usr | sed -E 's/^(not ok|ok) [0-9]+ - /\1 - installed: /;/^1\.\./d' >"$TMP/installed.tap"
		while IFS= read -r line; do
			case $line in
			"ok - "*) ok "${line#ok - }" ;;
			"not ok - "*) fail "${line#not ok - }" ;;
			"Bail out!"*) fail "$line" ;;
			*) echo "$line" ;;
			esac
		done <"$TMP/installed.tap"
		grep -q '^ok - installed' "$TMP/installed.tap" || fail "tests/install/test-installed.py ran no checks"
		if ((was_installed == 0)); then
			check "dpkg --purge vmmd" quiet dpkg --purge vmmd
		fi
	else
		fail "dpkg -i $(basename "$DEB")"
	fi
elif ((EUID != 0)); then
	echo "# the installed-layout test needs root; skipped"
fi

echo "1..$n"
((failures == 0))

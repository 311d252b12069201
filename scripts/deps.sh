#!/bin/bash
# deps.sh: installs what building, testing and demoing vmmd needs on Debian 12, skipping what is already there.
#
# Usage: scripts/deps.sh [--with-fuzz] [--with-packaging]
#   --with-fuzz adds clang for the libFuzzer targets, --with-packaging what
#   scripts/install-check.sh needs (debhelper, systemd-analyze, setpriv, gdbus)
# Runs apt-get as root, through sudo when not root.
set -euo pipefail

packages=(
	meson ninja-build gcc pkg-config
	libsystemd-dev libglib2.0-dev libxml2-dev libxml2-utils
	libprotobuf-c-dev protobuf-c-compiler libjson-glib-dev libgnutls28-dev
	libtirpc-dev rpcsvc-proto
	qemu-system-x86 qemu-utils ovmf
	dbus dbus-daemon
	busybox-static xz-utils cpio e2fsprogs iproute2
	scdoc
	# real libvirt clients for tests/interop (vmmd-dispatch)
	libvirt-clients python3-libvirt virtinst libvirt-dbus systemd
	# bench/compare.sh drives both sides with the same dbus-python client
	python3-dbus
	# vmmd-network: DHCP/DNS and the NAT rules
	dnsmasq-base nftables
)
for arg in "$@"; do
	case $arg in
	# the libFuzzer targets (tests/fuzz) need clang and its runtime; scripts/test.sh runs them
	--with-fuzz) packages+=(clang libclang-rt-14-dev) ;;
	# the install checks and the .deb (scripts/install-check.sh, debian/; gdbus calls
	# methods with typed arguments and prints error names)
	--with-packaging) packages+=(debhelper dpkg-dev fakeroot systemd util-linux libglib2.0-bin) ;;
	*) echo "deps: unknown option $arg" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${packages[@]}"; do
	# dpkg-query says "install ok installed" only for a fully installed package.
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
if (( ${#missing[@]} == 0 )); then
	echo "deps: all ${#packages[@]} packages are installed"
	exit 0
fi

SUDO=()
if (( EUID != 0 )); then
	command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	SUDO=(sudo)
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine (or container) often has no package lists yet.
if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
	"${SUDO[@]}" apt-get update -q
fi
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	# Stale lists give 404s for packages that moved; refresh once and retry.
	"${SUDO[@]}" apt-get update -q
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# libvirt-private.sh: sourced by bench scripts — prepares a private mount namespace for a libvirtd beside vmmd.
#
# libvirt_private_prepare TMP   (inside `unshare -m -n --propagation private`, as root) puts tmpfs over
#   libvirt's state directories, bind-mounts a copy of /etc/libvirt without domains, pools or
#   autostart links whose qemu.conf logs to files and runs QEMU as root (without these every call
#   here takes tens of seconds), and brings lo up. libvirt_private_cleanup undoes the bind mount.

libvirt_private_prepare() {
	local tmp=$1 d
	for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
		mkdir -p "$d"
		mount -t tmpfs tmpfs "$d"
	done
	cp -a /etc/libvirt "$tmp/etc"
	rm -rf "$tmp/etc/qemu/autostart" "$tmp/etc/qemu/"*.xml "$tmp/etc/qemu/networks/autostart" \
		"$tmp/etc/storage" 2>/dev/null || true
	cat >> "$tmp/etc/qemu.conf" <<-CONF
	stdio_handler = "file"
	user = "root"
	group = "root"
	CONF
	mount --bind "$tmp/etc" /etc/libvirt
	ip link set lo up
}

libvirt_private_cleanup() {
	umount /etc/libvirt 2>/dev/null || true
}

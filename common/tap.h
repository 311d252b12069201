/* Tap devices for guest NICs: created through /dev/net/tun, alive as long as their fd is open. */
#pragma once

/* Opens a new tap device named after template (a printf-like name with "%d", e.g.
 * "vmmdtap%d", which the kernel numbers; or a fixed name). The device is not persistent: it
 * goes away when the last fd to it closes, so a guest's tap cannot outlive its QEMU and
 * vmmd. ret_name (g_free) gets the kernel's name. Returns the fd (O_CLOEXEC; the caller
 * decides to hand it on) or a negative errno. */
int vmmd_tap_open(const char *name_template, char **ret_name);

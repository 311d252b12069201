/* The guest CPU in save images and running snapshots (spec C3, D16): a cookie recording the CPU QEMU gave the guest, and the -cpu that gives it again. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "qemu-monitor.h"

/* "<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>base</model>
 * <property name='family' value='15'/>…<feature policy='require' name='cmov'/>…</cpu>":
 * QEMU's static expansion of the guest CPU, every property and feature. */
char *cpu_cookie_format(const QemuMonitorCpuModel *model);

/* The -cpu argument giving the guest the CPU a cookie records. xml is a <cpu> element or
 * holds one (a save image's <cookie>…</cookie>). *ret_arg is NULL when there is no <cpu>
 * (an image or snapshot made before cookies, or by another tool); a <cpu> that cannot be
 * turned into a -cpu argument is an error. */
bool cpu_cookie_to_qemu_arg(const char *xml, char **ret_arg, GError **error);

/* Splits a -cpu argument ("qemu64,svm=on,x2apic=off") into the model and the features it
 * turns on and off; false for one that cannot be split that way (a value with a comma). */
bool cpu_cookie_split_arg(const char *arg, char **ret_model, GPtrArray *on, GPtrArray *off);

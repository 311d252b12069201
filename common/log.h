/* Logging: to the journal when run by systemd, to stderr otherwise. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <syslog.h>

void vmmd_log_setup(const char *ident, bool verbose);
void vmmd_log(int priority, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#define log_debug(...) vmmd_log(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) vmmd_log(LOG_INFO, __VA_ARGS__)
#define log_warning(...) vmmd_log(LOG_WARNING, __VA_ARGS__)
#define log_error(...) vmmd_log(LOG_ERR, __VA_ARGS__)

/* Logging: to the journal when run by systemd, to stderr otherwise. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-journal.h>

static const char *log_ident = "vmmd";
static bool log_verbose;
static bool log_journal;

void vmmd_log_setup(const char *ident, bool verbose) {
        log_ident = ident;
        log_verbose = verbose;
        /* systemd sets JOURNAL_STREAM when stderr is connected to the journal */
        log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void vmmd_log(int priority, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        if (priority >= LOG_DEBUG && !log_verbose)
                return;
        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        if (log_journal)
                sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", priority,
                                "SYSLOG_IDENTIFIER=%s", log_ident, NULL);
        else
                fprintf(stderr, "%s[%d]: %s\n", log_ident, (int) getpid(), msg);
}

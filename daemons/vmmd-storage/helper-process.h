/* Helper processes for long storage work: a forked C function or an exec'd program, watched on sd-event. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

typedef struct Helper Helper;

/* Runs in the forked child with stderr on a pipe to the daemon. Returns the exit code:
 * 0 for success, else a VmmdErrorCode whose message the function wrote to stderr. */
typedef int (*HelperFunc)(void *data);

/* Called once when the child has exited: exit_code is its exit status (-1 when it was
 * killed by a signal); output is what it wrote to stderr (and stdout for programs). */
typedef void (*HelperDoneFunc)(Helper *h, int exit_code, const char *output, void *userdata);

/* Forks a child running fn(data). The child dies with the daemon (PR_SET_PDEATHSIG), so a
 * killed daemon leaves no half-finished copy running behind its back. The child keeps no
 * descriptor of the daemon's but *keep_fd (if given), which it sees as fd 3 (and *keep_fd
 * is set to 3 in the child): a client's pipe must not stay open in another transfer's child. */
int helper_start(sd_event *event, HelperFunc fn, void *data, int *keep_fd, HelperDoneFunc done, void *userdata,
                 Helper **ret);

/* Runs argv (argv[0] searched on PATH) the same way; stdout and stderr are captured. */
int helper_exec(sd_event *event, const char *const *argv, HelperDoneFunc done, void *userdata, Helper **ret);

/* Kills a child that still runs (without calling done) and frees the helper. */
void helper_free(Helper *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Helper, helper_free)

/* Runs argv synchronously with a bounded wait (the child is killed at the deadline).
 * Returns the exit code (-1 for a signal, -ETIMEDOUT, or -errno when it cannot run);
 * stdout and stderr are returned separately when asked. */
int helper_run_sync(const char *const *argv, unsigned timeout_ms, char **ret_out, char **ret_err);

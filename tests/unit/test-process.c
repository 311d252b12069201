/* common/process.c: helpers run on sd-event with their output captured, their exit seen through a pidfd, and a deadline. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cleanup.h"
#include "process.h"

typedef struct {
        sd_event *event;
        bool done;
        int code;
        char *out;
        char *err;
} Result;

static void on_done(VmmdProcess *p, int exit_code, const char *out, const char *err, void *userdata) {
        Result *res = userdata;

        res->done = true;
        res->code = exit_code;
        res->out = g_strdup(out);
        res->err = g_strdup(err);
        (void) sd_event_exit(res->event, 0);
}

static void result_clear(Result *res) {
        g_free(res->out);
        g_free(res->err);
}

/* runs the loop until done, bounded so that a lost exit fails the test instead of hanging it */
static void run_loop(Result *res) {
        sd_event_source *guard = NULL;

        g_assert_cmpint(sd_event_add_time_relative(res->event, &guard, CLOCK_MONOTONIC, 60 * G_USEC_PER_SEC, 0, NULL,
                                                   NULL), >=, 0);
        g_assert_cmpint(sd_event_loop(res->event), >=, 0);
        sd_event_source_disable_unref(guard);
        g_assert_true(res->done);
}

static void test_run_captures_both_streams(void) {
        g_autoptr(sd_event) event = NULL;
        g_autoptr(VmmdProcess) p = NULL;
        const char *const argv[] = { "sh", "-c", "echo to-out; echo to-err >&2; exit 3", NULL };
        Result res = { 0 };

        g_assert_cmpint(sd_event_new(&event), >=, 0);
        res.event = event;
        g_assert_cmpint(vmmd_process_run(event, argv, 30 * G_USEC_PER_SEC, on_done, &res, &p), ==, 0);
        run_loop(&res);
        g_assert_cmpint(res.code, ==, 3);
        g_assert_cmpstr(res.out, ==, "to-out\n");
        g_assert_cmpstr(res.err, ==, "to-err");
        result_clear(&res);
}

static void test_run_deadline_kills(void) {
        g_autoptr(sd_event) event = NULL;
        g_autoptr(VmmdProcess) p = NULL;
        const char *const argv[] = { "sleep", "600", NULL };
        Result res = { 0 };

        g_assert_cmpint(sd_event_new(&event), >=, 0);
        res.event = event;
        g_assert_cmpint(vmmd_process_run(event, argv, G_USEC_PER_SEC / 10, on_done, &res, &p), ==, 0);
        run_loop(&res);
        g_assert_cmpint(res.code, ==, -ETIMEDOUT);
        result_clear(&res);
}

static void test_run_missing_program(void) {
        g_autoptr(sd_event) event = NULL;
        g_autoptr(VmmdProcess) p = NULL;
        const char *const argv[] = { "/nonexistent/vmmd-no-such-helper", NULL };
        Result res = { 0 };

        g_assert_cmpint(sd_event_new(&event), >=, 0);
        res.event = event;
        g_assert_cmpint(vmmd_process_run(event, argv, 30 * G_USEC_PER_SEC, on_done, &res, &p), ==, 0);
        run_loop(&res);
        g_assert_cmpint(res.code, ==, 127);
        g_assert_nonnull(strstr(res.err, "cannot execute /nonexistent/vmmd-no-such-helper"));
        result_clear(&res);
}

static int child_fn(void *data) {
        fprintf(stderr, "%s\n", (const char *) data);
        return 7;
}

static void test_fork_function(void) {
        g_autoptr(sd_event) event = NULL;
        g_autoptr(VmmdProcess) p = NULL;
        Result res = { 0 };

        g_assert_cmpint(sd_event_new(&event), >=, 0);
        res.event = event;
        g_assert_cmpint(vmmd_process_fork(event, child_fn, "from the child", NULL, on_done, &res, &p), ==, 0);
        run_loop(&res);
        g_assert_cmpint(res.code, ==, 7);
        g_assert_cmpstr(res.err, ==, "from the child");
        result_clear(&res);
}

static void on_pid_exit(VmmdPidWatch *w, int exit_code, void *userdata) {
        Result *res = userdata;

        res->done = true;
        res->code = exit_code;
        (void) sd_event_exit(res->event, 0);
}

/* a process killed through the watch is seen to exit, and a signal is not an exit code */
static void test_pid_watch_kill(void) {
        g_autoptr(sd_event) event = NULL;
        g_autoptr(VmmdPidWatch) w = NULL;
        Result res = { 0 };
        pid_t pid = fork();

        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                pause();
                _exit(0);
        }
        g_assert_cmpint(sd_event_new(&event), >=, 0);
        res.event = event;
        g_assert_cmpint(vmmd_pid_watch_new(event, pid, on_pid_exit, &res, &w), ==, 0);
        g_assert_cmpint(vmmd_pid_watch_pid(w), ==, pid);
        g_assert_cmpint(vmmd_pid_watch_kill(w, SIGKILL), ==, 0);
        run_loop(&res);
        g_assert_cmpint(res.code, ==, -1);
        g_assert_cmpint(kill(pid, 0), <, 0);   /* reaped: no zombie left */
}

static void test_run_sync(void) {
        const char *const ok[] = { "sh", "-c", "printf out; echo err >&2", NULL };
        const char *const slow[] = { "sleep", "600", NULL };
        g_autofree char *out = NULL, *err = NULL;

        g_assert_cmpint(vmmd_process_run_sync(ok, 30000, &out, &err), ==, 0);
        g_assert_cmpstr(out, ==, "out");
        g_assert_cmpstr(err, ==, "err");
        g_assert_cmpint(vmmd_process_run_sync(slow, 100, NULL, NULL), ==, -ETIMEDOUT);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/process/run/captures-both-streams", test_run_captures_both_streams);
        g_test_add_func("/process/run/deadline-kills", test_run_deadline_kills);
        g_test_add_func("/process/run/missing-program", test_run_missing_program);
        g_test_add_func("/process/fork/function", test_fork_function);
        g_test_add_func("/process/pid-watch/kill", test_pid_watch_kill);
        g_test_add_func("/process/run-sync", test_run_sync);
        return g_test_run();
}

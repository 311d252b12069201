/* Group commit of definition files: a worker thread makes the files of many defines durable with shared fsyncs. */
#include "define-commit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "test-fault.h"

typedef struct Job {
        char *path, *data, *tmp;
        int fd;   /* the temp file, between its write and its fsync */
        int r;
        DefineCommitDone done;
        void *userdata;
} Job;

struct DefineCommit {
        sd_event_source *source;
        sd_event_source *exit_source;
        int efd;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;        /* the worker waits on it for jobs (or stop, or exiting) */
        pthread_cond_t batch_done;  /* the loop, while exiting, waits on it for a batch */
        GPtrArray *queued;   /* Job*, under lock: waiting for the worker */
        GPtrArray *done;     /* Job*, under lock: written, callback not yet run */
        bool stop;
        bool exiting;        /* under lock: the loop is exiting and waits for the writes */
        unsigned pending;    /* loop only */
};

static void job_free(Job *j) {
        g_free(j->path);
        g_free(j->data);
        g_free(j->tmp);
        g_free(j);
}

/* Creates and fills the temp file; its fd stays open in j->fd for the fsync phase */
static int write_temp(Job *j) {
        g_autofree char *dir = g_path_get_dirname(j->path);
        g_autofree char *base = g_path_get_basename(j->path);
        size_t len = strlen(j->data);
        const char *p = j->data;

        /* the name vmmd_is_atomic_temp_name knows, so a killed daemon's leftovers go at start */
        j->tmp = g_strdup_printf("%s/.#%s.XXXXXX", dir, base);
        j->fd = mkostemp(j->tmp, O_CLOEXEC);
        if (j->fd < 0) {
                g_clear_pointer(&j->tmp, g_free);
                return -errno;
        }
        while (len > 0) {
                ssize_t n = write(j->fd, p, len);
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n > 0) {
                        p += n;
                        len -= (size_t) n;
                }
        }
        /* start the data's writeback now: with delayed allocation a file's blocks join the
         * journal only at writeback, and the batch's files must all be in the transaction
         * the first fsync commits, or every fsync commits its own */
        (void) sync_file_range(j->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        return 0;
}

static int sync_temp(Job *j) {
        int r = 0;

        if (fsync(j->fd) < 0)
                r = -errno;
        if (close(j->fd) < 0 && r == 0)
                r = -errno;
        j->fd = -1;
        return r;
}

static int fsync_dir(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

static void write_batch(GPtrArray *batch) {
        g_autoptr(GHashTable) dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GHashTableIter it;
        gpointer dir;

        for (guint i = 0; i < batch->len; i++) {
                Job *j = g_ptr_array_index(batch, i);
                j->fd = -1;
                j->r = write_temp(j);
        }
        /* the end of each file's writeback (its on-disk size) also goes to the journal:
         * wait for all of them before the first fsync */
        for (guint i = 0; i < batch->len; i++) {
                Job *j = g_ptr_array_index(batch, i);
                if (j->fd >= 0)
                        (void) sync_file_range(j->fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                                                    SYNC_FILE_RANGE_WAIT_AFTER);
        }
        /* the first fsync commits the journal for every file of the batch: the others find
         * nothing left to do */
        for (guint i = 0; i < batch->len; i++) {
                Job *j = g_ptr_array_index(batch, i);
                if (j->fd >= 0) {
                        int r = sync_temp(j);
                        if (j->r == 0)
                                j->r = r;
                }
        }
        /* in queue order, so a later write of the same path wins as it would one at a time */
        for (guint i = 0; i < batch->len; i++) {
                Job *j = g_ptr_array_index(batch, i);
                if (j->r == 0 && rename(j->tmp, j->path) < 0)
                        j->r = -errno;
                if (j->r < 0 && j->tmp)
                        unlink(j->tmp);
                if (j->r == 0)
                        g_hash_table_add(dirs, g_path_get_dirname(j->path));
        }
        g_hash_table_iter_init(&it, dirs);
        while (g_hash_table_iter_next(&it, &dir, NULL)) {
                int r = fsync_dir(dir);
                if (r == 0)
                        continue;
                for (guint i = 0; i < batch->len; i++) {
                        Job *j = g_ptr_array_index(batch, i);
                        g_autofree char *d = g_path_get_dirname(j->path);
                        if (j->r == 0 && g_str_equal(d, dir))
                                j->r = r;
                }
        }
}

static void *worker(void *userdata) {
        DefineCommit *c = userdata;

        pthread_mutex_lock(&c->lock);
        for (;;) {
                g_autoptr(GPtrArray) batch = NULL;
                uint64_t one = 1;

                while (c->queued->len == 0 && !c->stop)
                        pthread_cond_wait(&c->cond, &c->lock);
                if (c->queued->len == 0)
                        break;
                batch = g_steal_pointer(&c->queued);
                c->queued = g_ptr_array_new();
                /* a test build may hold a batch until the daemon stops (test-fault.h), so that a test
                 * stops it with a write pending here; bounded, for a daemon that never stops */
                if (vmmd_test_fault("define-commit-hold")) {
                        struct timespec until;

                        clock_gettime(CLOCK_REALTIME, &until);
                        until.tv_sec += 60;
                        while (!c->exiting && !c->stop && pthread_cond_timedwait(&c->cond, &c->lock, &until) == 0)
                                ;
                }
                pthread_mutex_unlock(&c->lock);

                write_batch(batch);

                pthread_mutex_lock(&c->lock);
                g_ptr_array_extend_and_steal(c->done, g_steal_pointer(&batch));
                (void) !write(c->efd, &one, sizeof(one));
                pthread_cond_signal(&c->batch_done);
        }
        pthread_mutex_unlock(&c->lock);
        return NULL;
}

static void run_callbacks(DefineCommit *c) {
        g_autoptr(GPtrArray) done = NULL;

        pthread_mutex_lock(&c->lock);
        done = g_steal_pointer(&c->done);
        c->done = g_ptr_array_new();
        pthread_mutex_unlock(&c->lock);

        for (guint i = 0; i < done->len; i++) {
                Job *j = g_ptr_array_index(done, i);
                c->pending--;
                j->done(j->r, j->userdata);
                job_free(j);
        }
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        DefineCommit *c = userdata;
        uint64_t n;

        (void) !read(c->efd, &n, sizeof(n));
        run_callbacks(c);
        return 0;
}

/* The loop is exiting (SIGTERM): every write queued goes on disk and its callback runs now, while the bus
 * connection is still open, so that each caller hears back; a callback may queue another write (a define
 * that waited for this one), which is waited for too. Blocks the loop, which has nothing else left to do. */
static int on_loop_exit(sd_event_source *s, void *userdata) {
        DefineCommit *c = userdata;

        pthread_mutex_lock(&c->lock);
        c->exiting = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
        while (c->pending > 0) {
                pthread_mutex_lock(&c->lock);
                while (c->done->len == 0)
                        pthread_cond_wait(&c->batch_done, &c->lock);
                pthread_mutex_unlock(&c->lock);
                run_callbacks(c);
        }
        return 0;
}

int define_commit_new(sd_event *event, DefineCommit **ret) {
        g_autofree DefineCommit *c = g_new0(DefineCommit, 1);
        int r;

        c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (c->efd < 0)
                return -errno;
        r = sd_event_add_io(event, &c->source, c->efd, EPOLLIN, on_done, c);
        if (r < 0) {
                close(c->efd);
                return r;
        }
        /* before sd-bus's own exit handler (at the bus's priority), which flushes and closes the connection */
        r = sd_event_add_exit(event, &c->exit_source, on_loop_exit, c);
        if (r >= 0)
                r = sd_event_source_set_priority(c->exit_source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0) {
                sd_event_source_disable_unref(c->exit_source);
                sd_event_source_unref(c->source);
                close(c->efd);
                return r;
        }
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->cond, NULL);
        pthread_cond_init(&c->batch_done, NULL);
        c->queued = g_ptr_array_new();
        c->done = g_ptr_array_new();
        r = -pthread_create(&c->thread, NULL, worker, c);
        if (r < 0) {
                sd_event_source_disable_unref(c->exit_source);
                sd_event_source_unref(c->source);
                close(c->efd);
                g_ptr_array_unref(c->queued);
                g_ptr_array_unref(c->done);
                return r;
        }
        *ret = g_steal_pointer(&c);
        return 0;
}

void define_commit_free(DefineCommit *c) {
        if (!c)
                return;
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
        g_ptr_array_set_free_func(c->done, (GDestroyNotify) job_free);
        g_ptr_array_unref(c->done);
        g_ptr_array_unref(c->queued);
        sd_event_source_disable_unref(c->exit_source);
        sd_event_source_disable_unref(c->source);
        close(c->efd);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->cond);
        pthread_cond_destroy(&c->batch_done);
        g_free(c);
}

void define_commit_queue(DefineCommit *c, const char *path, char *data, DefineCommitDone done, void *userdata) {
        Job *j = g_new0(Job, 1);

        j->path = g_strdup(path);
        j->data = data;
        j->done = done;
        j->userdata = userdata;
        c->pending++;
        pthread_mutex_lock(&c->lock);
        g_ptr_array_add(c->queued, j);
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
}

unsigned define_commit_pending(const DefineCommit *c) {
        return c ? c->pending : 0;
}

/* Group commit of definition files: a worker thread makes the files of many defines durable with shared fsyncs. */
#pragma once

#include <glib.h>
#include <systemd/sd-event.h>

typedef struct DefineCommit DefineCommit;

/* Called on the loop once path holds data durably (r == 0) or the write failed (-errno;
 * path is then unchanged unless only the directory fsync failed). */
typedef void (*DefineCommitDone)(int r, void *userdata);

/* A worker that never touches sd-bus: it wakes the loop of event through an eventfd. When the loop exits
 * (sd_event_exit), the writes queued finish and their callbacks run before sd-bus closes an attached
 * connection, so that replies sent from them still go out. */
int define_commit_new(sd_event *event, DefineCommit **ret);
/* Waits for the writes already queued (their callbacks are not called), stops the worker. */
void define_commit_free(DefineCommit *c);

/* Queues an atomic write of data (taken) to path, mode 0600. Every write queued in one
 * loop iteration goes in one batch: temp files, fsyncs, renames, one fsync per directory. */
void define_commit_queue(DefineCommit *c, const char *path, char *data, DefineCommitDone done, void *userdata);
/* Writes queued or done whose callback has not run yet. */
unsigned define_commit_pending(const DefineCommit *c);

/* Copying QEMU's migration stream between a pipe and an O_DIRECT file in aligned blocks, on sd-event (BYPASS_CACHE). */
#pragma once

#include <glib.h>
#include <systemd/sd-event.h>

typedef struct DirectCopy DirectCopy;
/* error: 0 at the end of the stream, else -errno */
typedef void (*DirectCopyDone)(DirectCopy *c, int error, void *userdata);

/* pipe_in → file_fd (positioned at an aligned offset, O_DIRECT). Takes pipe_in. */
int direct_copy_to_file(sd_event *event, int pipe_in, int file_fd, DirectCopyDone done, void *userdata,
                        DirectCopy **ret);
/* file_fd (positioned at an aligned offset) → pipe_out, reading with O_DIRECT. Takes pipe_out. */
int direct_copy_from_file(sd_event *event, int file_fd, int pipe_out, DirectCopyDone done, void *userdata,
                          DirectCopy **ret);
void direct_copy_free(DirectCopy *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DirectCopy, direct_copy_free)

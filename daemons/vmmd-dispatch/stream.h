/* Streams: a console or a volume transfer carried as STREAM messages, between the client and a file descriptor a daemon handed over or reads. */
#pragma once

#include "dispatch.h"

typedef struct Stream Stream;

/* A stream for the call `call` (its procedure and serial) over fd (taken). tx: bytes from fd
 * go to the client; rx: bytes from the client go to fd. Nothing flows before stream_start(),
 * which comes after the call's own reply. */
Stream *stream_new(Client *c, const vr_header *call, int fd, bool tx, bool rx);
void stream_start(Stream *s);
/* Sends the daemon's transfer call; its reply ends the stream (error or success). */
int stream_send_job(Stream *s, sd_bus_message *m);
/* A STREAM (or STREAM_HOLE) message from the client. */
void stream_from_client(Client *c, const vr_header *h, const uint8_t *body, size_t len);
/* The client's output queue drained: streams held back may read again. */
void streams_resume(Client *c);
void streams_free(Client *c);
void stream_free(Stream *s);

/* vmmd-dispatch's server: the RW and RO sockets (socket activation by name, or bound with --listen), accepting clients, idle exit. */
#pragma once

#include "dispatch.h"

/* DIR/run/vmmd under a root, $XDG_RUNTIME_DIR/vmmd for a session, else /run/vmmd */
char *server_socket_dir(const char *root, bool session);
int server_init(Server *s, sd_event *event, sd_bus *bus, uint64_t idle_usec, bool session);
/* Binds DIR/libvirt-sock and DIR/libvirt-sock-ro. */
int server_listen(Server *s, const char *dir);
/* Takes the sockets systemd passed; returns how many. */
int server_listen_activated(Server *s);
int server_run(Server *s);
void server_done(Server *s);

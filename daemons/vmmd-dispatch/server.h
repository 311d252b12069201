/* vmmd-dispatch's server: the RW and RO sockets (socket activation by name, or bound with --listen), accepting clients; the process around it is common/daemon.c's. */
#pragma once

#include "dispatch.h"

/* DIR/run/vmmd under a root, $XDG_RUNTIME_DIR/vmmd for a session, else /run/vmmd */
char *server_socket_dir(const char *root, bool session);
int server_init(Server *s, sd_event *event, sd_bus *bus, bool session);
/* Binds DIR/libvirt-sock and DIR/libvirt-sock-ro. */
int server_listen(Server *s, const char *dir);
/* Takes the sockets systemd passed; returns how many. */
int server_listen_activated(Server *s);
/* True while a client is connected: the daemon does not exit idle then. */
bool server_busy(Server *s);
void server_done(Server *s);

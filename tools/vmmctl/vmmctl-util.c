/* vmmctl helpers: connecting, calling the daemon, error output, domain lookup, state names. */
#include "vmmctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"

/* Starting or saving a domain can take far longer than sd-bus's 25 s default. */
#define CTL_CALL_TIMEOUT_USEC (10ULL * 60 * 1000 * 1000)

void ctl_error(const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        fprintf(stderr, "error: %s\n", msg);
}

void ctl_print_bus_error(const sd_bus_error *error, int r) {
        if (error && sd_bus_error_is_set(error))
                fprintf(stderr, "error: %s: %s\n", error->name, error->message ? error->message : "");
        else
                fprintf(stderr, "error: %s\n", g_strerror(r < 0 ? -r : r));
}

/* Turns what -c / $VMMD_BUS_ADDRESS said into a connected bus. Accepted: dbus:session,
 * dbus:system, dbus:ADDRESS, a bare D-Bus address, virsh's qemu:///session|system, and
 * ssh://[user@]host (also qemu+ssh://[user@]host/system): the remote host's system bus through
 * sd-bus's own ssh transport (ssh … systemd-stdio-bridge, as busctl -H does). */
int ctl_connect(Ctl *ctl) {
        g_autoptr(sd_bus) bus = NULL;
        const char *uri = ctl->uri;
        const char *addr = NULL;
        int r;

        if (ctl->bus)
                return 0;

        if (!uri || !*uri)
                uri = geteuid() == 0 ? "dbus:system" : "dbus:session";

        if (g_str_equal(uri, "dbus:session") || g_str_equal(uri, "qemu:///session"))
                r = sd_bus_open_user(&bus);
        else if (g_str_equal(uri, "dbus:system") || g_str_equal(uri, "qemu:///system"))
                r = sd_bus_open_system(&bus);
        else if (g_str_has_prefix(uri, "ssh://") || g_str_has_prefix(uri, "qemu+ssh://")) {
                const char *rest = strstr(uri, "://") + 3;
                g_autofree char *host = g_strndup(rest, strcspn(rest, "/?"));
                const char *path = rest + strlen(host);

                if (!*host || (*path && !g_str_equal(path, "/") && !g_str_equal(path, "/system"))) {
                        ctl_error("unsupported connection URI '%s' (use ssh://[user@]host: the remote system bus)", uri);
                        return -EINVAL;
                }
                r = sd_bus_open_system_remote(&bus, host);
        } else {
                addr = g_str_has_prefix(uri, "dbus:") ? uri + strlen("dbus:") : uri;
                if (!strchr(addr, ':')) {
                        ctl_error("unsupported connection URI '%s' (use dbus:session, dbus:system or dbus:ADDRESS)", uri);
                        return -EINVAL;
                }
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, addr);
                /* A private bus is still a message bus: we want Hello() and a unique name. */
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, 1);
                if (r >= 0)
                        r = sd_bus_start(bus);
        }
        if (r < 0) {
                ctl_error("cannot connect to the bus (%s): %s", uri, g_strerror(-r));
                return r;
        }
        (void) sd_bus_set_method_call_timeout(bus, CTL_CALL_TIMEOUT_USEC);
        ctl->bus = g_steal_pointer(&bus);
        return 0;
}

static int ctl_callv(Ctl *ctl, const char *path, const char *iface, const char *member,
                     sd_bus_error *ret_error, sd_bus_message **ret_reply, const char *types, va_list ap) {
        int r = ctl_connect(ctl);

        if (r < 0)
                return r;
        return sd_bus_call_methodv(ctl->bus, QEMU_BUS_NAME, path, iface, member, ret_error, ret_reply,
                                   types, ap);
}

int ctl_call(Ctl *ctl, const char *path, const char *iface, const char *member,
             sd_bus_message **ret_reply, const char *types, ...) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        if (!ctl->bus && (r = ctl_connect(ctl)) < 0)
                return r;
        va_start(ap, types);
        r = ctl_callv(ctl, path, iface, member, &error, ret_reply, types, ap);
        va_end(ap);
        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

int ctl_call_manager(Ctl *ctl, const char *member, sd_bus_message **ret_reply, const char *types, ...) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        if (!ctl->bus && (r = ctl_connect(ctl)) < 0)
                return r;
        va_start(ap, types);
        r = ctl_callv(ctl, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, member, &error, ret_reply, types, ap);
        va_end(ap);
        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

bool ctl_is_uuid(const char *s) {
        size_t n = 0;

        /* The daemon accepts both the dashed and the plain 32-digit form (spec 0.12). */
        for (const char *p = s; *p; p++) {
                if (*p == '-')
                        continue;
                if (!g_ascii_isxdigit(*p))
                        return false;
                n++;
        }
        return n == 32 && (strlen(s) == 32 || strlen(s) == 36);
}

static bool is_number(const char *s) {
        if (!*s)
                return false;
        for (const char *p = s; *p; p++)
                if (!g_ascii_isdigit(*p))
                        return false;
        return strlen(s) < 10;
}

int ctl_read_path(sd_bus_message *reply, char **ret_path) {
        const char *path = NULL;
        int r = sd_bus_message_read(reply, "o", &path);

        if (r < 0)
                return r;
        *ret_path = g_strdup(path);
        return 0;
}

static int lookup_one(Ctl *ctl, const char *member, sd_bus_error *error, char **ret_path,
                      const char *types, ...) {
        g_autoptr(sd_bus_message) reply = NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = ctl_callv(ctl, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, member, error, &reply, types, ap);
        va_end(ap);
        if (r < 0)
                return r;
        return ctl_read_path(reply, ret_path);
}

static int lookup_at(Ctl *ctl, const CtlLookup *l, const char *member, const char *arg, sd_bus_error *error,
                     char **ret_path) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = sd_bus_call_method(ctl->bus, l->bus_name, l->manager_path, l->manager_iface, member, error, &reply, "s",
                               arg);
        if (r < 0)
                return r;
        return ctl_read_path(reply, ret_path);
}

int ctl_lookup_name_or_uuid(Ctl *ctl, const CtlLookup *l, const char *arg, char **ret_path) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        int r;

        if ((r = ctl_connect(ctl)) < 0)
                return r;
        r = lookup_at(ctl, l, l->by_name, arg, &error, ret_path);
        if (r >= 0)
                return 0;
        if (sd_bus_error_has_name(&error, l->not_found) && ctl_is_uuid(arg)) {
                g_auto(sd_bus_error) uuid_error = SD_BUS_ERROR_NULL;

                /* a miss by UUID too: the by-name error is the one shown ("no network named …") */
                r = lookup_at(ctl, l, l->by_uuid, arg, &uuid_error, ret_path);
                if (r >= 0)
                        return 0;
        }
        ctl_print_bus_error(&error, r);
        return r;
}

/* virsh tries Id, UUID, then name; we try the name first so a domain named like a number
 * or a UUID is still found by the name its owner gave it. */
int ctl_domain_lookup(Ctl *ctl, const char *arg, char **ret_path) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        int r;

        if ((r = ctl_connect(ctl)) < 0)
                return r;

        r = lookup_one(ctl, "DomainLookupByName", &error, ret_path, "s", arg);
        if (r >= 0)
                return 0;
        if (!sd_bus_error_has_name(&error, VMMD_DBUS_ERROR_NO_DOMAIN))
                goto fail;

        if (ctl_is_uuid(arg)) {
                sd_bus_error_free(&error);
                r = lookup_one(ctl, "DomainLookupByUUID", &error, ret_path, "s", arg);
                if (r >= 0)
                        return 0;
        } else if (is_number(arg)) {
                g_auto(sd_bus_error) id_error = SD_BUS_ERROR_NULL;

                /* Keep the by-name error: "domain '3' not found" reads better than an Id message. */
                r = lookup_one(ctl, "DomainLookupByID", &id_error, ret_path, "i", (int32_t) atoi(arg));
                if (r >= 0)
                        return 0;
        }
fail:
        ctl_print_bus_error(&error, r);
        return r;
}

int ctl_call_domain(Ctl *ctl, const char *arg, const char *member, sd_bus_message **ret_reply,
                    const char *types, ...) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        va_list ap;
        int r;

        r = ctl_domain_lookup(ctl, arg, &path);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = ctl_callv(ctl, path, QEMU_DOMAIN_INTERFACE, member, &error, ret_reply, types, ap);
        va_end(ap);
        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

void ctl_domain_info_free(CtlDomainInfo *info) {
        if (!info)
                return;
        g_free(info->path);
        g_free(info->name);
        g_free(info->uuid);
        g_free(info);
}

static int read_bool_variant(sd_bus_message *m, bool *ret) {
        int b = 0;
        int r = sd_bus_message_read(m, "v", "b", &b);

        *ret = b;
        return r;
}

/* One GetAll rather than a call per property: `list` does this for every domain. Properties
 * the daemon does not have yet are skipped, so an older daemon still lists. */
int ctl_domain_info_get_full(Ctl *ctl, const char *path, bool quiet, CtlDomainInfo **ret_info) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autoptr(CtlDomainInfo) info = g_new0(CtlDomainInfo, 1);
        int r;

        info->path = g_strdup(path);
        info->id = -1;
        r = ctl_connect(ctl);
        if (r < 0)
                return r;
        r = sd_bus_call_method(ctl->bus, QEMU_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", QEMU_DOMAIN_INTERFACE);
        if (r < 0) {
                if (!quiet)
                        ctl_print_bus_error(&error, r);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                goto bad;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key = NULL, *s = NULL;

                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        goto bad;
                if (g_str_equal(key, "Name") || g_str_equal(key, "UUID")) {
                        r = sd_bus_message_read(reply, "v", "s", &s);
                        if (r >= 0)
                                *(g_str_equal(key, "Name") ? &info->name : &info->uuid) = g_strdup(s);
                } else if (g_str_equal(key, "Id"))
                        r = sd_bus_message_read(reply, "v", "i", &info->id);
                else if (g_str_equal(key, "State"))
                        r = sd_bus_message_read(reply, "v", "(ii)", &info->state, &info->reason);
                else if (g_str_equal(key, "Active"))
                        r = read_bool_variant(reply, &info->active);
                else if (g_str_equal(key, "Persistent"))
                        r = read_bool_variant(reply, &info->persistent);
                else if (g_str_equal(key, "Autostart"))
                        r = read_bool_variant(reply, &info->autostart);
                else if (g_str_equal(key, "Updated"))
                        r = read_bool_variant(reply, &info->updated);
                else if (g_str_equal(key, "HasManagedSaveImage"))
                        r = read_bool_variant(reply, &info->has_managed_save);
                else if (g_str_equal(key, "HasCurrentSnapshot"))
                        r = read_bool_variant(reply, &info->has_current_snapshot);
                else
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        goto bad;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto bad;
        }
        if (r < 0)
                goto bad;
        if (!info->name)
                info->name = g_strdup("");
        if (!info->uuid)
                info->uuid = g_strdup("");
        *ret_info = g_steal_pointer(&info);
        return 0;
bad:
        ctl_error("cannot parse the properties of %s: %s", path, g_strerror(-r));
        return r;
}

int ctl_domain_info_get(Ctl *ctl, const char *path, CtlDomainInfo **ret_info) {
        return ctl_domain_info_get_full(ctl, path, false, ret_info);
}

int ctl_print_string_reply(sd_bus_message *reply) {
        const char *s = NULL;
        int r = sd_bus_message_read(reply, "s", &s);

        if (r < 0) {
                ctl_error("unexpected reply: %s", g_strerror(-r));
                return r;
        }
        fputs(s, stdout);
        if (!*s || s[strlen(s) - 1] != '\n')
                fputc('\n', stdout);
        return 0;
}

/* The daemon cannot see our working directory (spec 0.11). */
char *ctl_absolute_path(const char *path) {
        return g_canonicalize_filename(path, NULL);
}

char *ctl_read_file(const char *path) {
        g_autoptr(GError) error = NULL;
        char *contents = NULL;

        if (g_str_equal(path, "-")) {
                g_autoptr(GString) s = g_string_new(NULL);
                char buf[4096];
                size_t n;

                while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
                        g_string_append_len(s, buf, n);
                return g_string_free(g_steal_pointer(&s), FALSE);
        }
        if (!g_file_get_contents(path, &contents, NULL, &error)) {
                ctl_error("%s", error->message);
                return NULL;
        }
        return contents;
}

int ctl_read_opt_xml(const CtlArgs *args, const char *opt, char **ret_xml) {
        const char *file = ctl_args_get(args, opt);

        if (!file) {
                *ret_xml = g_strdup("");
                return 0;
        }
        *ret_xml = ctl_read_file(file);
        return *ret_xml ? 0 : -EIO;
}

int ctl_run_editor(const char *file) {
        g_autoptr(GError) error = NULL;
        const char *editor = g_getenv("VISUAL");
        g_autofree char *script = NULL;
        int status = 0;

        if (!editor || !*editor)
                editor = g_getenv("EDITOR");
        if (!editor || !*editor)
                editor = "vi";
        /* Through the shell, so EDITOR='code --wait' works as it does for git and virsh. */
        script = g_strdup_printf("%s \"$1\"", editor);
        const char *argv[] = { "/bin/sh", "-c", script, "sh", file, NULL };
        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL,
                          &status, &error)) {
                ctl_error("cannot run editor '%s': %s", editor, error->message);
                return -1;
        }
        if (!g_spawn_check_wait_status(status, &error)) {
                ctl_error("editor '%s' failed: %s", editor, error->message);
                return -1;
        }
        return 0;
}

/* virsh's words, so output compares line by line with virsh's. */
static const char *const state_names[] = {
        [0] = "no state", [1] = "running", [2] = "idle", [3] = "paused",
        [4] = "in shutdown", [5] = "shut off", [6] = "crashed", [7] = "pmsuspended",
};

static const char *const reason_running[] = {
        "unknown", "booted", "migrated", "restored", "from snapshot", "unpaused",
        "migration canceled", "save canceled", "event wakeup", "crashed", "post-copy",
        "post-copy failed",
};
static const char *const reason_paused[] = {
        "unknown", "user", "migrating", "saving", "dumping", "I/O error", "watchdog",
        "from snapshot", "shutting down", "creating snapshot", "crashed", "starting up",
        "post-copy", "post-copy failed", "api error",
};
static const char *const reason_shutdown[] = { "unknown", "user" };
static const char *const reason_shutoff[] = {
        "unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
        "from snapshot", "daemon",
};
static const char *const reason_crashed[] = { "unknown", "panicked" };
static const char *const reason_unknown_only[] = { "unknown" };

const char *ctl_state_to_string(int state) {
        if (state < 0 || (size_t) state >= G_N_ELEMENTS(state_names))
                return "unknown";
        return state_names[state];
}

const char *ctl_state_reason_to_string(int state, int reason) {
        const char *const *table = reason_unknown_only;
        size_t n = G_N_ELEMENTS(reason_unknown_only);

        switch (state) {
        case 1: table = reason_running; n = G_N_ELEMENTS(reason_running); break;
        case 3: table = reason_paused; n = G_N_ELEMENTS(reason_paused); break;
        case 4: table = reason_shutdown; n = G_N_ELEMENTS(reason_shutdown); break;
        case 5: table = reason_shutoff; n = G_N_ELEMENTS(reason_shutoff); break;
        case 6: table = reason_crashed; n = G_N_ELEMENTS(reason_crashed); break;
        default: break;
        }
        if (reason < 0 || (size_t) reason >= n)
                return "unknown";
        return table[reason];
}

bool ctl_args_has(const CtlArgs *args, const char *opt) {
        return g_hash_table_contains(args->opts, opt);
}

const char *ctl_args_get(const CtlArgs *args, const char *opt) {
        return g_hash_table_lookup(args->opts, opt);
}

const char *ctl_args_pos(const CtlArgs *args, unsigned i) {
        return i < args->pos->len ? g_ptr_array_index(args->pos, i) : NULL;
}

const char **ctl_args_get_all(const CtlArgs *args, const char *opt) {
        GPtrArray *all = g_ptr_array_new();

        for (guint i = 0; args->seq && i + 1 < args->seq->len; i += 2)
                if (g_str_equal(g_ptr_array_index(args->seq, i), opt))
                        g_ptr_array_add(all, g_ptr_array_index(args->seq, i + 1));
        g_ptr_array_add(all, NULL);
        return (const char **) g_ptr_array_free(all, FALSE);
}

void ctl_json_list_begin(CtlJsonList *j) {
        *j = (CtlJsonList) { .text = g_string_new("[") };
}

void ctl_json_list_object(CtlJsonList *j) {
        g_string_append(j->text, j->objects++ ? "\n  },\n  {" : "\n  {");
        j->members = 0;
}

static void json_member(CtlJsonList *j, const char *name) {
        g_string_append_printf(j->text, "%s\n    \"%s\" : ", j->members++ ? "," : "", name);
}

void ctl_json_list_string(CtlJsonList *j, const char *name, const char *value) {
        json_member(j, name);
        if (!value) {
                g_string_append(j->text, "null");
                return;
        }
        g_string_append_c(j->text, '"');
        for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
                switch (*p) {
                case '"': g_string_append(j->text, "\\\""); break;
                case '\\': g_string_append(j->text, "\\\\"); break;
                case '\b': g_string_append(j->text, "\\b"); break;
                case '\f': g_string_append(j->text, "\\f"); break;
                case '\n': g_string_append(j->text, "\\n"); break;
                case '\r': g_string_append(j->text, "\\r"); break;
                case '\t': g_string_append(j->text, "\\t"); break;
                default:
                        /* the other control characters as \u escapes; UTF-8 passes as it is */
                        if (*p < 0x20)
                                g_string_append_printf(j->text, "\\u%04x", *p);
                        else
                                g_string_append_c(j->text, (char) *p);
                }
        }
        g_string_append_c(j->text, '"');
}

void ctl_json_list_int(CtlJsonList *j, const char *name, gint64 value) {
        json_member(j, name);
        g_string_append_printf(j->text, "%" G_GINT64_FORMAT, value);
}

void ctl_json_list_bool(CtlJsonList *j, const char *name, bool value) {
        json_member(j, name);
        g_string_append(j->text, value ? "true" : "false");
}

void ctl_json_list_print(CtlJsonList *j) {
        g_string_append(j->text, j->objects ? "\n  }\n]" : "]");
        printf("%s\n", j->text->str);
        g_string_free(g_steal_pointer(&j->text), TRUE);
}

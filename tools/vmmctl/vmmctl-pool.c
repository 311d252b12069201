/* vmmctl commands about storage pools (vmmd-storage, spec storage.md §1–§2): define, create, build, start,
 * destroy, delete, undefine, list, info, dumpxml, refresh, autostart, uuid, name. */
#include "vmmctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* --- shared with vmmctl-vol.c --- */

static int storage_callv(Ctl *ctl, const char *path, const char *iface, const char *member, sd_bus_error *error,
                         sd_bus_message **ret_reply, const char *types, va_list ap) {
        int r = ctl_connect(ctl);

        if (r < 0)
                return r;
        return sd_bus_call_methodv(ctl->bus, STORAGE_BUS_NAME, path, iface, member, error, ret_reply, types, ap);
}

int ctl_storage_call(Ctl *ctl, const char *path, const char *iface, const char *member,
                     sd_bus_message **ret_reply, const char *types, ...) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = storage_callv(ctl, path, iface, member, &error, ret_reply, types, ap);
        va_end(ap);
        if (r < 0 && (ctl->bus || sd_bus_error_is_set(&error)))
                ctl_print_bus_error(&error, r);
        return r;
}

/* virsh tries the UUID first; the name first means a pool named like a UUID is still found by
 * the name its owner gave it (the same order as ctl_domain_lookup). */
int ctl_pool_lookup(Ctl *ctl, const char *arg, char **ret_path) {
        static const CtlLookup lookup = {
                STORAGE_BUS_NAME, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE,
                "StoragePoolLookupByName", "StoragePoolLookupByUUID", VMMD_DBUS_ERROR_NO_STORAGE_POOL,
        };

        return ctl_lookup_name_or_uuid(ctl, &lookup, arg, ret_path);
}

/* Strings and object paths alike (a volume's Pool is an 'o'). */
int ctl_storage_get_string(Ctl *ctl, const char *path, const char *iface, const char *prop, char **ret) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *contents = NULL, *s = NULL;
        char type = 0;
        int r;

        if ((r = ctl_connect(ctl)) < 0)
                return r;
        r = sd_bus_call_method(ctl->bus, STORAGE_BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get",
                               &error, &reply, "ss", iface, prop);
        if (r < 0) {
                ctl_print_bus_error(&error, r);
                return r;
        }
        r = sd_bus_message_peek_type(reply, &type, &contents);
        if (r >= 0 && (type != 'v' || !contents || (contents[0] != 's' && contents[0] != 'o') || contents[1]))
                r = -EBADMSG;
        if (r >= 0)
                r = sd_bus_message_read(reply, "v", contents, &s);
        if (r < 0) {
                ctl_error("cannot read property %s of %s: %s", prop, path, g_strerror(-r));
                return r;
        }
        *ret = g_strdup(s);
        return 0;
}

/* libvirt's virScaleInteger: no suffix or b/byte/bytes is bytes; one letter or letter + "iB" is a
 * power of 1024; letter + "B" a power of 1000. */
int ctl_parse_size(const char *s, uint64_t *ret) {
        static const char units[] = "kmgtpe";
        const char *p;
        char *end = NULL;
        uint64_t value, base, scale = 1;

        if (!s || !g_ascii_isdigit(*s)) {
                ctl_error("invalid size '%s'", s ? s : "");
                return -EINVAL;
        }
        errno = 0;
        value = g_ascii_strtoull(s, &end, 10);
        if (errno == ERANGE) {
                ctl_error("size '%s' is too large", s);
                return -ERANGE;
        }
        if (*end && g_ascii_strcasecmp(end, "b") && g_ascii_strcasecmp(end, "byte") &&
            g_ascii_strcasecmp(end, "bytes")) {
                if (!end[1] || g_ascii_strcasecmp(end + 1, "iB") == 0)
                        base = 1024;
                else if (g_ascii_tolower(end[1]) == 'b' && !end[2])
                        base = 1000;
                else
                        goto bad;
                p = strchr(units, g_ascii_tolower(*end));
                if (!p || !*end)
                        goto bad;
                for (const char *u = units; u <= p; u++)
                        scale *= base;
        }
        if (value > UINT64_MAX / scale || value * scale > (uint64_t) INT64_MAX) {
                ctl_error("size '%s' is too large", s);
                return -ERANGE;
        }
        *ret = value * scale;
        return 0;
bad:
        ctl_error("invalid size '%s' (use a number with an optional suffix such as 16M, 1G or 500MB)", s);
        return -EINVAL;
}

/* virsh's vshPrettyCapacity with its "%.2lf %s". */
char *ctl_pretty_capacity(uint64_t bytes) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double v = (double) bytes;
        size_t i = 0;

        while (v >= 1024.0 && i + 1 < G_N_ELEMENTS(units)) {
                v /= 1024.0;
                i++;
        }
        return g_strdup_printf("%.2f %s", v, units[i]);
}

/* --- pool properties --- */

typedef struct PoolInfo {
        char *path;
        char *name;
        char *uuid;
        char *type;
        bool active;
        bool persistent;
        bool autostart;
        uint64_t capacity;
        uint64_t allocation;
        uint64_t available;
} PoolInfo;

static void pool_info_free(PoolInfo *p) {
        if (!p)
                return;
        g_free(p->path);
        g_free(p->name);
        g_free(p->uuid);
        g_free(p->type);
        g_free(p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PoolInfo, pool_info_free)

static int read_bool(sd_bus_message *m, bool *ret) {
        int b = 0;
        int r = sd_bus_message_read(m, "v", "b", &b);

        *ret = b;
        return r;
}

static int read_string(sd_bus_message *m, char **ret) {
        const char *s = NULL;
        int r = sd_bus_message_read(m, "v", "s", &s);

        if (r >= 0) {
                g_free(*ret);
                *ret = g_strdup(s);
        }
        return r;
}

/* One GetAll; quiet: a pool that vanished since it was listed is not worth an error line. */
static int pool_info_get(Ctl *ctl, const char *path, bool quiet, PoolInfo **ret_info) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autoptr(PoolInfo) info = g_new0(PoolInfo, 1);
        int r;

        info->path = g_strdup(path);
        if ((r = ctl_connect(ctl)) < 0)
                return r;
        r = sd_bus_call_method(ctl->bus, STORAGE_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", STORAGE_POOL_INTERFACE);
        if (r < 0) {
                if (!quiet)
                        ctl_print_bus_error(&error, r);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                goto bad;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key = NULL;

                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        goto bad;
                if (g_str_equal(key, "Name"))
                        r = read_string(reply, &info->name);
                else if (g_str_equal(key, "UUID"))
                        r = read_string(reply, &info->uuid);
                else if (g_str_equal(key, "Type"))
                        r = read_string(reply, &info->type);
                else if (g_str_equal(key, "Active"))
                        r = read_bool(reply, &info->active);
                else if (g_str_equal(key, "Persistent"))
                        r = read_bool(reply, &info->persistent);
                else if (g_str_equal(key, "Autostart"))
                        r = read_bool(reply, &info->autostart);
                else if (g_str_equal(key, "Capacity"))
                        r = sd_bus_message_read(reply, "v", "t", &info->capacity);
                else if (g_str_equal(key, "Allocation"))
                        r = sd_bus_message_read(reply, "v", "t", &info->allocation);
                else if (g_str_equal(key, "Available"))
                        r = sd_bus_message_read(reply, "v", "t", &info->available);
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
        if (!info->type)
                info->type = g_strdup("");
        *ret_info = g_steal_pointer(&info);
        return 0;
bad:
        ctl_error("cannot parse the properties of %s: %s", path, g_strerror(-r));
        return r;
}

static const char *pool_state_to_string(int state) {
        static const char *const names[] = { "inactive", "building", "running", "degraded", "inaccessible" };

        return state >= 0 && (size_t) state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

/* A pool named on the command line: its path and its name as the daemon spells it. */
static int pool_resolve(Ctl *ctl, const char *arg, char **ret_path, char **ret_name) {
        g_autofree char *path = NULL;
        int r;

        r = ctl_pool_lookup(ctl, arg, &path);
        if (r < 0)
                return r;
        if (ret_name) {
                r = ctl_storage_get_string(ctl, path, STORAGE_POOL_INTERFACE, "Name", ret_name);
                if (r < 0)
                        return r;
        }
        *ret_path = g_steal_pointer(&path);
        return 0;
}

/* Calls a method on the pool named by arg; *ret_name (optional) is the pool's name. */
static int call_pool(Ctl *ctl, const char *arg, const char *member, char **ret_name, sd_bus_message **ret_reply,
                     const char *types, ...) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        va_list ap;
        int r;

        r = pool_resolve(ctl, arg, &path, ret_name);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = storage_callv(ctl, path, STORAGE_POOL_INTERFACE, member, &error, ret_reply, types, ap);
        va_end(ap);
        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

/* A Manager call that answers a pool path; prints "Pool NAME <what>". */
static int define_or_create(Ctl *ctl, const char *member, const char *xml, uint32_t flags, const char *what) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *name = NULL;
        const char *path = NULL;
        int r;

        r = ctl_storage_call(ctl, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, member, &reply, "su", xml,
                             flags);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = ctl_storage_get_string(ctl, path, STORAGE_POOL_INTERFACE, "Name", &name);
        if (r < 0)
                return r;
        printf("Pool %s %s\n", name, what);
        return 0;
}

/* --- commands --- */

static int cmd_pool_define(Ctl *ctl, const CtlArgs *args) {
        const char *file = ctl_args_pos(args, 0);
        g_autofree char *xml = ctl_read_file(file);
        g_autofree char *what = g_strdup_printf("defined from %s", file);

        if (!xml)
                return -EIO;
        return define_or_create(ctl, "StoragePoolDefineXML", xml, args->flags, what);
}

/* pool-start and pool-create: --build, --overwrite, --no-overwrite become the CREATE_WITH_BUILD* flags. */
static uint32_t create_flags(const CtlArgs *args) {
        uint32_t flags = 0;

        if (ctl_args_has(args, "build"))
                flags |= POOL_CREATE_WITH_BUILD;
        if (ctl_args_has(args, "overwrite"))
                flags |= POOL_CREATE_WITH_BUILD_OVERWRITE;
        if (ctl_args_has(args, "no-overwrite"))
                flags |= POOL_CREATE_WITH_BUILD_NO_OVERWRITE;
        return flags;
}

static int cmd_pool_create(Ctl *ctl, const CtlArgs *args) {
        const char *file = ctl_args_pos(args, 0);
        g_autofree char *xml = ctl_read_file(file);
        g_autofree char *what = g_strdup_printf("created from %s", file);

        if (!xml)
                return -EIO;
        return define_or_create(ctl, "StoragePoolCreateXML", xml, create_flags(args), what);
}

/* pool-define-as / pool-create-as: the XML virsh builds from options (target made absolute). */
static char *pool_xml_from_args(const CtlArgs *args) {
        g_autoptr(GString) xml = g_string_new(NULL);
        g_autofree char *name = g_markup_escape_text(ctl_args_pos(args, 0), -1);
        g_autofree char *type = g_markup_escape_text(ctl_args_pos(args, 1), -1);
        const char *target = ctl_args_get(args, "target");
        const char *source_dev = ctl_args_get(args, "source-dev");
        const char *source_path = ctl_args_get(args, "source-path");
        const char *source_format = ctl_args_get(args, "source-format");

        g_string_append_printf(xml, "<pool type='%s'>\n  <name>%s</name>\n", type, name);
        if (source_dev || source_path || source_format) {
                g_string_append(xml, "  <source>\n");
                if (source_dev) {
                        g_autofree char *abs = ctl_absolute_path(source_dev);
                        g_autofree char *e = g_markup_escape_text(abs, -1);
                        g_string_append_printf(xml, "    <device path='%s'/>\n", e);
                }
                if (source_path) {
                        g_autofree char *e = g_markup_escape_text(source_path, -1);
                        g_string_append_printf(xml, "    <dir path='%s'/>\n", e);
                }
                if (source_format) {
                        g_autofree char *e = g_markup_escape_text(source_format, -1);
                        g_string_append_printf(xml, "    <format type='%s'/>\n", e);
                }
                g_string_append(xml, "  </source>\n");
        }
        if (target) {
                g_autofree char *abs = ctl_absolute_path(target);
                g_autofree char *e = g_markup_escape_text(abs, -1);
                g_string_append_printf(xml, "  <target>\n    <path>%s</path>\n  </target>\n", e);
        }
        g_string_append(xml, "</pool>\n");
        return g_string_free(g_steal_pointer(&xml), FALSE);
}

static int cmd_pool_define_as(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *xml = pool_xml_from_args(args);

        if (ctl_args_has(args, "print-xml")) {
                fputs(xml, stdout);
                return 0;
        }
        return define_or_create(ctl, "StoragePoolDefineXML", xml, 0, "defined");
}

static int cmd_pool_create_as(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *xml = pool_xml_from_args(args);

        if (ctl_args_has(args, "print-xml")) {
                fputs(xml, stdout);
                return 0;
        }
        return define_or_create(ctl, "StoragePoolCreateXML", xml, create_flags(args), "created");
}

static int cmd_pool_build(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *name = NULL;
        int r;

        r = call_pool(ctl, ctl_args_pos(args, 0), "Build", &name, NULL, "u", args->flags);
        if (r < 0)
                return r;
        printf("Pool %s built\n", name);
        return 0;
}

static int cmd_pool_start(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *name = NULL;
        int r;

        r = call_pool(ctl, ctl_args_pos(args, 0), "Create", &name, NULL, "u", create_flags(args));
        if (r < 0)
                return r;
        printf("Pool %s started\n", name);
        return 0;
}

/* destroy, delete, undefine, refresh: one call, one line of output. */
static int simple_pool_call(Ctl *ctl, const CtlArgs *args, const char *member, bool with_flags, const char *what) {
        g_autofree char *name = NULL;
        int r;

        if (with_flags)
                r = call_pool(ctl, ctl_args_pos(args, 0), member, &name, NULL, "u", args->flags);
        else
                r = call_pool(ctl, ctl_args_pos(args, 0), member, &name, NULL, "");
        if (r < 0)
                return r;
        printf("Pool %s %s\n", name, what);
        return 0;
}

static int cmd_pool_destroy(Ctl *ctl, const CtlArgs *args) {
        return simple_pool_call(ctl, args, "Destroy", false, "destroyed");
}

static int cmd_pool_delete(Ctl *ctl, const CtlArgs *args) {
        return simple_pool_call(ctl, args, "Delete", true, "deleted");
}

static int cmd_pool_undefine(Ctl *ctl, const CtlArgs *args) {
        return simple_pool_call(ctl, args, "Undefine", false, "has been undefined");
}

static int cmd_pool_refresh(Ctl *ctl, const CtlArgs *args) {
        return simple_pool_call(ctl, args, "Refresh", true, "refreshed");
}

static int cmd_pool_autostart(Ctl *ctl, const CtlArgs *args) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        g_autofree char *name = NULL;
        bool enable = !ctl_args_has(args, "disable");
        int r;

        r = pool_resolve(ctl, ctl_args_pos(args, 0), &path, &name);
        if (r < 0)
                return r;
        r = sd_bus_set_property(ctl->bus, STORAGE_BUS_NAME, path, STORAGE_POOL_INTERFACE, "Autostart", &error, "b",
                                (int) enable);
        if (r < 0) {
                ctl_print_bus_error(&error, r);
                return r;
        }
        printf(enable ? "Pool %s marked as autostarted\n" : "Pool %s unmarked as autostarted\n", name);
        return 0;
}

static int cmd_pool_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = call_pool(ctl, ctl_args_pos(args, 0), "GetXMLDesc", NULL, &reply, "u", args->flags);
        if (r < 0)
                return r;
        return ctl_print_string_reply(reply);
}

void ctl_print_size_row(const char *label, uint64_t bytes, bool in_bytes) {
        g_autofree char *l = g_strdup_printf("%s:", label);
        g_autofree char *v = in_bytes ? g_strdup_printf("%" G_GUINT64_FORMAT " bytes", bytes) :
                                        ctl_pretty_capacity(bytes);

        printf("%-15s %s\n", l, v);
}

static int cmd_pool_info(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(PoolInfo) p = NULL;
        g_autofree char *path = NULL;
        bool in_bytes = ctl_args_has(args, "bytes");
        int32_t state = 0;
        uint64_t capacity = 0, allocation = 0, available = 0;
        int r;

        r = ctl_pool_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = pool_info_get(ctl, path, false, &p);
        if (r < 0)
                return r;
        r = ctl_storage_call(ctl, path, STORAGE_POOL_INTERFACE, "GetInfo", &reply, "");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "(ittt)", &state, &capacity, &allocation, &available);
        if (r < 0) {
                ctl_error("unexpected reply to GetInfo: %s", g_strerror(-r));
                return r;
        }
        printf("%-15s %s\n", "Name:", p->name);
        printf("%-15s %s\n", "UUID:", p->uuid);
        printf("%-15s %s\n", "State:", pool_state_to_string(state));
        printf("%-15s %s\n", "Persistent:", p->persistent ? "yes" : "no");
        printf("%-15s %s\n", "Autostart:", p->autostart ? "yes" : "no");
        if (state == POOL_STATE_RUNNING) {
                ctl_print_size_row("Capacity", capacity, in_bytes);
                ctl_print_size_row("Allocation", allocation, in_bytes);
                ctl_print_size_row("Available", available, in_bytes);
        }
        return 0;
}

static gint pool_info_compare(gconstpointer a, gconstpointer b) {
        return g_strcmp0((*(PoolInfo *const *) a)->name, (*(PoolInfo *const *) b)->name);
}

static void pool_list_print_json(GPtrArray *pools) {
        CtlJsonList j;

        ctl_json_list_begin(&j);
        for (guint i = 0; i < pools->len; i++) {
                const PoolInfo *p = g_ptr_array_index(pools, i);

                ctl_json_list_object(&j);
                ctl_json_list_string(&j, "name", p->name);
                ctl_json_list_string(&j, "uuid", p->uuid);
                ctl_json_list_string(&j, "type", p->type);
                ctl_json_list_string(&j, "state", p->active ? "running" : "inactive");
                ctl_json_list_bool(&j, "persistent", p->persistent);
                ctl_json_list_bool(&j, "autostart", p->autostart);
                ctl_json_list_int(&j, "capacity", (gint64) p->capacity);
                ctl_json_list_int(&j, "allocation", (gint64) p->allocation);
                ctl_json_list_int(&j, "available", (gint64) p->available);
        }
        ctl_json_list_print(&j);
}

/* Widths count characters, not bytes, so non-ASCII names line up. */
void ctl_print_table(GPtrArray *cells, guint ncols) {
        g_autofree int *width = g_new0(int, ncols);
        int rule = 2 + 3 * ((int) ncols - 1);

        for (guint i = 0; i < cells->len; i++)
                width[i % ncols] = MAX(width[i % ncols], (int) g_utf8_strlen(g_ptr_array_index(cells, i), -1));
        for (guint c = 0; c < ncols; c++)
                rule += width[c];
        for (guint i = 0; i < cells->len; i++) {
                const char *s = g_ptr_array_index(cells, i);
                guint c = i % ncols;

                if (c == ncols - 1)
                        printf("%s\n", s);
                else
                        printf("%s%s%*s   ", c == 0 ? " " : "", s, width[c] - (int) g_utf8_strlen(s, -1), "");
                if (i == ncols - 1) {
                        for (int k = 0; k < rule; k++)
                                putchar('-');
                        putchar('\n');
                }
        }
        putchar('\n');
}

static void pool_list_print_table(GPtrArray *pools, bool details) {
        g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
        static const char *const header[] = { "Name", "State", "Autostart", "Persistent", "Capacity", "Allocation",
                                              "Available" };
        guint ncols = details ? G_N_ELEMENTS(header) : 3;

        for (guint c = 0; c < ncols; c++)
                g_ptr_array_add(cells, g_strdup(header[c]));
        for (guint i = 0; i < pools->len; i++) {
                const PoolInfo *p = g_ptr_array_index(pools, i);

                g_ptr_array_add(cells, g_strdup(p->name));
                /* virsh: "active" in the short table, the GetInfo state word with --details */
                g_ptr_array_add(cells, g_strdup(details ? pool_state_to_string(p->active ? POOL_STATE_RUNNING :
                                                                               POOL_STATE_INACTIVE) :
                                                          p->active ? "active" : "inactive"));
                g_ptr_array_add(cells, g_strdup(p->autostart ? "yes" : "no"));
                if (!details)
                        continue;
                g_ptr_array_add(cells, g_strdup(p->persistent ? "yes" : "no"));
                if (p->active) {
                        g_ptr_array_add(cells, ctl_pretty_capacity(p->capacity));
                        g_ptr_array_add(cells, ctl_pretty_capacity(p->allocation));
                        g_ptr_array_add(cells, ctl_pretty_capacity(p->available));
                } else {
                        for (int k = 0; k < 3; k++)
                                g_ptr_array_add(cells, g_strdup("-"));
                }
        }
        ctl_print_table(cells, ncols);
}

/* --type's words and the ListStoragePools bits they stand for (spec storage 2.1). */
static const struct {
        const char *name;
        uint32_t flag;
} pool_types[] = {
        { "dir", POOL_LIST_DIR }, { "fs", POOL_LIST_FS }, { "netfs", POOL_LIST_NETFS },
        { "logical", POOL_LIST_LOGICAL }, { "disk", POOL_LIST_DISK }, { "iscsi", POOL_LIST_ISCSI },
        { "scsi", POOL_LIST_SCSI }, { "mpath", POOL_LIST_MPATH }, { "rbd", POOL_LIST_RBD },
        { "sheepdog", POOL_LIST_SHEEPDOG }, { "gluster", POOL_LIST_GLUSTER }, { "zfs", POOL_LIST_ZFS },
        { "vstorage", POOL_LIST_VSTORAGE }, { "iscsi-direct", POOL_LIST_ISCSI_DIRECT },
};

static int parse_pool_types(const char *list, uint32_t *flags) {
        g_auto(GStrv) words = g_strsplit(list, ",", -1);

        for (char **w = words; *w; w++) {
                size_t i;

                if (!**w)
                        continue;
                for (i = 0; i < G_N_ELEMENTS(pool_types); i++)
                        if (g_str_equal(*w, pool_types[i].name))
                                break;
                if (i == G_N_ELEMENTS(pool_types)) {
                        ctl_error("invalid storage pool type '%s'", *w);
                        return -EINVAL;
                }
                *flags |= pool_types[i].flag;
        }
        return 0;
}

static int cmd_pool_list(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) pools = g_ptr_array_new_with_free_func((GDestroyNotify) pool_info_free);
        uint32_t flags = args->flags;
        const char *path = NULL;
        int r;

        /* Like virsh: only active pools unless asked otherwise. */
        if (ctl_args_has(args, "all"))
                ;
        else if (ctl_args_has(args, "inactive"))
                flags |= POOL_LIST_INACTIVE;
        else
                flags |= POOL_LIST_ACTIVE;
        if (ctl_args_has(args, "type") && parse_pool_types(ctl_args_get(args, "type"), &flags) < 0)
                return -EINVAL;

        r = ctl_storage_call(ctl, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, "ListStoragePools", &reply,
                             "u", flags);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "o");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "o", &path)) > 0) {
                PoolInfo *p = NULL;

                if (pool_info_get(ctl, path, true, &p) < 0)
                        continue;
                g_ptr_array_add(pools, p);
        }
        if (r < 0)
                return r;
        g_ptr_array_sort(pools, pool_info_compare);

        if (ctl_args_has(args, "json"))
                pool_list_print_json(pools);
        else if (ctl_args_has(args, "name") || ctl_args_has(args, "uuid")) {
                for (guint i = 0; i < pools->len; i++) {
                        const PoolInfo *p = g_ptr_array_index(pools, i);

                        if (ctl_args_has(args, "uuid") && ctl_args_has(args, "name"))
                                printf("%-36s %s\n", p->uuid, p->name);
                        else
                                printf("%s\n", ctl_args_has(args, "uuid") ? p->uuid : p->name);
                }
        } else
                pool_list_print_table(pools, ctl_args_has(args, "details"));
        return 0;
}

static int print_pool_string(Ctl *ctl, const char *arg, const char *prop) {
        g_autofree char *path = NULL;
        g_autofree char *value = NULL;
        int r;

        r = ctl_pool_lookup(ctl, arg, &path);
        if (r < 0)
                return r;
        r = ctl_storage_get_string(ctl, path, STORAGE_POOL_INTERFACE, prop, &value);
        if (r < 0)
                return r;
        printf("%s\n", value);
        return 0;
}

static int cmd_pool_uuid(Ctl *ctl, const CtlArgs *args) {
        return print_pool_string(ctl, ctl_args_pos(args, 0), "UUID");
}

static int cmd_pool_name(Ctl *ctl, const CtlArgs *args) {
        return print_pool_string(ctl, ctl_args_pos(args, 0), "Name");
}

static const CtlOpt define_opts[] = {
        { "validate", NULL, POOL_DEFINE_VALIDATE, "validate the XML against the schema" },
        { 0 }
};

static const CtlOpt start_opts[] = {
        { "build", NULL, 0, "build the pool first (create its directory)" },
        { "overwrite", NULL, 0, "build, overwriting existing data (fs pools)" },
        { "no-overwrite", NULL, 0, "build, refusing to overwrite existing data (fs pools)" },
        { 0 }
};

static const CtlOpt define_as_opts[] = {
        { "target", "PATH", 0, "the pool's target directory" },
        { "source-dev", "DEVICE", 0, "the source device (fs, logical, disk pools)" },
        { "source-path", "PATH", 0, "the source directory (netfs pools)" },
        { "source-format", "FORMAT", 0, "the source format (e.g. ext4)" },
        { "print-xml", NULL, 0, "print the XML instead of defining the pool" },
        { 0 }
};

static const CtlOpt create_as_opts[] = {
        { "target", "PATH", 0, "the pool's target directory" },
        { "source-dev", "DEVICE", 0, "the source device (fs, logical, disk pools)" },
        { "source-path", "PATH", 0, "the source directory (netfs pools)" },
        { "source-format", "FORMAT", 0, "the source format (e.g. ext4)" },
        { "print-xml", NULL, 0, "print the XML instead of creating the pool" },
        { "build", NULL, 0, "build the pool first (create its directory)" },
        { "overwrite", NULL, 0, "build, overwriting existing data (fs pools)" },
        { "no-overwrite", NULL, 0, "build, refusing to overwrite existing data (fs pools)" },
        { 0 }
};

static const CtlOpt build_opts[] = {
        { "overwrite", NULL, POOL_BUILD_OVERWRITE, "overwrite existing data (fs pools)" },
        { "no-overwrite", NULL, POOL_BUILD_NO_OVERWRITE, "refuse to overwrite existing data (fs pools)" },
        { 0 }
};

static const CtlOpt list_opts[] = {
        { "all", NULL, 0, "list active and inactive pools" },
        { "inactive", NULL, 0, "list inactive pools only" },
        { "persistent", NULL, POOL_LIST_PERSISTENT, "persistent pools only" },
        { "transient", NULL, POOL_LIST_TRANSIENT, "transient pools only" },
        { "autostart", NULL, POOL_LIST_AUTOSTART, "autostarted pools only" },
        { "no-autostart", NULL, POOL_LIST_NO_AUTOSTART, "pools not autostarted only" },
        { "type", "TYPES", 0, "pools of these comma-separated types only (dir,fs,…)" },
        { "details", NULL, 0, "add persistence and sizes" },
        { "name", NULL, 0, "print names only" },
        { "uuid", NULL, 0, "print UUIDs only" },
        { "json", NULL, 0, "print a JSON array of {name,uuid,type,state,persistent,autostart,capacity,...}" },
        { 0 }
};

static const CtlOpt info_opts[] = {
        { "bytes", NULL, 0, "sizes in bytes rather than human units" },
        { 0 }
};

static const CtlOpt dumpxml_opts[] = {
        { "inactive", NULL, POOL_XML_INACTIVE, "show the definition the pool gets when next started" },
        { 0 }
};

static const CtlOpt autostart_opts[] = {
        { "disable", NULL, 0, "do not start the pool when the host boots" },
        { 0 }
};

const CtlCommand ctl_pool_commands[] = {
        { "pool-define", cmd_pool_define, "FILE [--validate]", "define (but don't start) a pool from an XML file",
          define_opts, 1, 1 },
        { "pool-define-as", cmd_pool_define_as, "NAME TYPE --target PATH [--print-xml]",
          "define a pool from a name, a type and options", define_as_opts, 2, 2 },
        { "pool-create", cmd_pool_create, "FILE [--build] [--overwrite|--no-overwrite]",
          "create and start a transient pool from an XML file", start_opts, 1, 1 },
        { "pool-create-as", cmd_pool_create_as, "NAME TYPE --target PATH [--build] [--print-xml]",
          "create and start a transient pool from a name, a type and options", create_as_opts, 2, 2 },
        { "pool-build", cmd_pool_build, "POOL [--overwrite|--no-overwrite]", "build a pool (create its directory)",
          build_opts, 1, 1 },
        { "pool-start", cmd_pool_start, "POOL [--build] [--overwrite|--no-overwrite]", "start an inactive pool",
          start_opts, 1, 1 },
        { "pool-destroy", cmd_pool_destroy, "POOL", "stop a pool (its files stay)", NULL, 1, 1 },
        { "pool-delete", cmd_pool_delete, "POOL", "delete an inactive pool's storage (its empty directory)", NULL,
          1, 1 },
        { "pool-undefine", cmd_pool_undefine, "POOL", "undefine an inactive pool", NULL, 1, 1 },
        { "pool-list", cmd_pool_list, "[--all] [--inactive] [--details] [--json] [--type TYPES] [filters]",
          "list pools", list_opts, 0, 0 },
        { "pool-info", cmd_pool_info, "POOL [--bytes]", "print basic information about a pool", info_opts, 1, 1 },
        { "pool-dumpxml", cmd_pool_dumpxml, "POOL [--inactive]", "print a pool's XML", dumpxml_opts, 1, 1 },
        { "pool-refresh", cmd_pool_refresh, "POOL", "rescan an active pool's directory", NULL, 1, 1 },
        { "pool-autostart", cmd_pool_autostart, "POOL [--disable]", "start a pool when the host boots",
          autostart_opts, 1, 1 },
        { "pool-uuid", cmd_pool_uuid, "POOL", "print a pool's UUID", NULL, 1, 1 },
        { "pool-name", cmd_pool_name, "UUID", "print a pool's name", NULL, 1, 1 },
        { 0 }
};

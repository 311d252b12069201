/* vmmctl's snapshot commands (spec domains.md D): virsh's snapshot-create, -create-as, -list,
 * -info, -dumpxml, -current, -revert, -delete, -parent and -edit over org.vmmd.qemu1. */
#include "vmmctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* What list and info show of one snapshot, from its XML. */
typedef struct SnapInfo {
        char *path;
        char *name;
        char *parent;           /* NULL: a root */
        char *state;
        long long creation_time;
        bool has_creation_time;
        bool external;          /* memory or some disk external (spec D48's EXTERNAL) */
        bool current;
} SnapInfo;

static void snap_info_free(SnapInfo *s) {
        if (!s)
                return;
        g_free(s->path);
        g_free(s->name);
        g_free(s->parent);
        g_free(s->state);
        g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SnapInfo, snap_info_free)

static bool exclusive(const CtlArgs *args, const char *a, const char *b) {
        if (ctl_args_has(args, a) && ctl_args_has(args, b)) {
                ctl_error("options --%s and --%s are mutually exclusive", a, b);
                return false;
        }
        return true;
}

/* --- the bus --- */

/* A snapshot's name from its object path: the last element is enc(name) (spec 0). Works also for
 * a NO_METADATA snapshot, whose object does not exist. */
static char *snap_name_from_path(const char *path) {
        const char *slash = strrchr(path, '/');
        g_autofree char *prefix = NULL;
        char *name = NULL;

        if (!slash)
                return g_strdup(path);
        prefix = g_strndup(path, slash - path);
        if (sd_bus_path_decode(path, prefix, &name) > 0 && name)
                return name;
        return g_strdup(slash + 1);
}

static int read_path(sd_bus_message *reply, char **ret) {
        const char *p = NULL;
        int r = sd_bus_message_read(reply, "o", &p);

        if (r < 0) {
                ctl_error("unexpected reply: %s", g_strerror(-r));
                return r;
        }
        *ret = g_strdup(p);
        return 0;
}

static int read_string(sd_bus_message *reply, char **ret) {
        const char *s = NULL;
        int r = sd_bus_message_read(reply, "s", &s);

        if (r < 0) {
                ctl_error("unexpected reply: %s", g_strerror(-r));
                return r;
        }
        *ret = g_strdup(s);
        return 0;
}

static int read_paths(sd_bus_message *reply, char ***ret) {
        char **paths = NULL;
        int r = sd_bus_message_read_strv(reply, &paths);

        if (r < 0) {
                ctl_error("unexpected reply: %s", g_strerror(-r));
                return r;
        }
        *ret = paths ? paths : g_new0(char *, 1);
        return 0;
}

static int snap_lookup(Ctl *ctl, const char *dom_path, const char *name, char **ret_path) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r = ctl_call(ctl, dom_path, QEMU_DOMAIN_INTERFACE, "SnapshotLookupByName", &reply, "su", name, 0u);

        return r < 0 ? r : read_path(reply, ret_path);
}

static int snap_current(Ctl *ctl, const char *dom_path, char **ret_path) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r = ctl_call(ctl, dom_path, QEMU_DOMAIN_INTERFACE, "SnapshotCurrent", &reply, "u", 0u);

        return r < 0 ? r : read_path(reply, ret_path);
}

/* The current snapshot's path, or NULL when there is none; no error output. */
static char *snap_current_quiet(Ctl *ctl, const char *dom_path) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        const char *p = NULL;

        if (sd_bus_call_method(ctl->bus, QEMU_BUS_NAME, dom_path, QEMU_DOMAIN_INTERFACE, "SnapshotCurrent", &error, &reply,
                               "u", 0u) < 0)
                return NULL;
        if (sd_bus_message_read(reply, "o", &p) < 0)
                return NULL;
        return g_strdup(p);
}

static int snap_get_xml(Ctl *ctl, const char *snap_path, uint32_t flags, char **ret_xml) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r = ctl_call(ctl, snap_path, QEMU_SNAPSHOT_INTERFACE, "GetXMLDesc", &reply, "u", flags);

        return r < 0 ? r : read_string(reply, ret_xml);
}

static int snap_list_children(Ctl *ctl, const char *snap_path, uint32_t flags, char ***ret) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r = ctl_call(ctl, snap_path, QEMU_SNAPSHOT_INTERFACE, "ListChildren", &reply, "u", flags);

        return r < 0 ? r : read_paths(reply, ret);
}

static int snap_is_current(Ctl *ctl, const char *snap_path, bool *ret) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        int b = 0;
        int r = sd_bus_get_property_trivial(ctl->bus, QEMU_BUS_NAME, snap_path, QEMU_SNAPSHOT_INTERFACE, "IsCurrent", &error,
                                            'b', &b);

        if (r < 0) {
                ctl_print_bus_error(&error, r);
                return r;
        }
        *ret = b;
        return 0;
}

/* The snapshot a command is about: the positional argument pos, or --current (virsh's
 * virshLookupSnapshot). With exclusive, both at once is an error; otherwise the name wins. */
static int snap_resolve(Ctl *ctl, const CtlArgs *args, unsigned pos, bool exclusive_current, const char *dom_path,
                        char **ret_path, char **ret_name) {
        const char *name = ctl_args_pos(args, pos);
        bool current = ctl_args_has(args, "current");
        g_autofree char *path = NULL;
        int r;

        if (exclusive_current && current && name) {
                ctl_error("a snapshot name and --current are mutually exclusive");
                return -EINVAL;
        }
        if (name)
                r = snap_lookup(ctl, dom_path, name, &path);
        else if (current)
                r = snap_current(ctl, dom_path, &path);
        else {
                ctl_error("a snapshot name or --current is required");
                return -EINVAL;
        }
        if (r < 0)
                return r;
        if (ret_name)
                *ret_name = name ? g_strdup(name) : snap_name_from_path(path);
        *ret_path = g_steal_pointer(&path);
        return 0;
}

/* --- reading snapshot XML (only what list and info show) --- */

static char *node_text(const CtlXml *n) {
        char *s = ctl_xml_text(n);

        return g_strstrip(s);
}

static int snap_info_parse(const char *xml, SnapInfo *info) {
        g_autoptr(CtlXml) root = ctl_xml_parse(xml, NULL);
        CtlXml *n;
        guint i = 0;

        if (!root || !g_str_equal(ctl_xml_name(root), "domainsnapshot")) {
                ctl_error("cannot parse the XML of snapshot %s", info->path);
                return -EBADMSG;
        }
        while ((n = ctl_xml_next_child(root, NULL, &i))) {
                const char *el = ctl_xml_name(n);

                if (g_str_equal(el, "name")) {
                        g_free(info->name);
                        info->name = node_text(n);
                } else if (g_str_equal(el, "state")) {
                        g_free(info->state);
                        info->state = node_text(n);
                } else if (g_str_equal(el, "creationTime")) {
                        g_autofree char *t = node_text(n);
                        char *end = NULL;

                        info->creation_time = g_ascii_strtoll(t, &end, 10);
                        info->has_creation_time = end && end != t && !*end;
                } else if (g_str_equal(el, "parent")) {
                        CtlXml *c;
                        guint j = 0;

                        while ((c = ctl_xml_next_child(n, "name", &j))) {
                                g_free(info->parent);
                                info->parent = node_text(c);
                        }
                } else if (g_str_equal(el, "memory")) {
                        if (g_strcmp0(ctl_xml_attr(n, "snapshot"), "external") == 0)
                                info->external = true;
                } else if (g_str_equal(el, "disks")) {
                        CtlXml *c;
                        guint j = 0;

                        while ((c = ctl_xml_next_child(n, "disk", &j)))
                                if (g_strcmp0(ctl_xml_attr(c, "snapshot"), "external") == 0)
                                        info->external = true;
                }
        }
        if (info->parent && !*info->parent)
                g_clear_pointer(&info->parent, g_free);
        if (!info->state)
                info->state = g_strdup("");
        return 0;
}

static int snap_info_get(Ctl *ctl, const char *snap_path, SnapInfo **ret) {
        g_autoptr(SnapInfo) info = g_new0(SnapInfo, 1);
        g_autofree char *xml = NULL;
        int r;

        info->path = g_strdup(snap_path);
        r = snap_get_xml(ctl, snap_path, 0, &xml);
        if (r < 0)
                return r;
        r = snap_info_parse(xml, info);
        if (r < 0)
                return r;
        if (!info->name)
                info->name = snap_name_from_path(snap_path);
        *ret = g_steal_pointer(&info);
        return 0;
}

/* virsh's "2026-11-23 15:04:05 +0000": local time with the offset. */
static char *format_creation_time(const SnapInfo *s) {
        time_t t = (time_t) s->creation_time;
        struct tm tm;
        char buf[64];

        if (!s->has_creation_time || !localtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm))
                return g_strdup("");
        return g_strdup(buf);
}

/* --- snapshot-create, snapshot-create-as --- */

static int snapshot_create(Ctl *ctl, const char *dom, const char *xml, uint32_t flags, const char *from) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *dom_path = NULL, *path = NULL, *name = NULL;
        int r;

        r = ctl_domain_lookup(ctl, dom, &dom_path);
        if (r < 0)
                return r;
        r = ctl_call(ctl, dom_path, QEMU_DOMAIN_INTERFACE, "SnapshotCreateXML", &reply, "su", xml, flags);
        if (r < 0)
                return r;
        r = read_path(reply, &path);
        if (r < 0)
                return r;
        /* from the path, not the Name property: a NO_METADATA snapshot has no object */
        name = snap_name_from_path(path);
        if (from)
                printf("Domain snapshot %s created from '%s'\n", name, from);
        else
                printf("Domain snapshot %s created\n", name);
        return 0;
}

static int cmd_snapshot_create(Ctl *ctl, const CtlArgs *args) {
        const char *file = ctl_args_pos(args, 1);
        g_autofree char *xml = NULL;

        if (file) {
                xml = ctl_read_file(file);
                if (!xml)
                        return -EIO;
        } else
                xml = g_strdup("<domainsnapshot/>");
        return snapshot_create(ctl, ctl_args_pos(args, 0), xml, args->flags, file);
}

/* virsh's vshStringToArray: comma-separated, ",," for a literal comma. */
static GPtrArray *split_spec(const char *s) {
        GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
        GString *cur = g_string_new(NULL);

        for (const char *p = s; *p; p++) {
                if (*p == ',' && p[1] == ',') {
                        g_string_append_c(cur, ',');
                        p++;
                } else if (*p == ',') {
                        g_ptr_array_add(items, g_string_free(cur, FALSE));
                        cur = g_string_new(NULL);
                } else
                        g_string_append_c(cur, *p);
        }
        g_ptr_array_add(items, g_string_free(cur, FALSE));
        return items;
}

static void append_attr(GString *buf, const char *attr, const char *value) {
        g_autofree char *esc = NULL;

        if (!value)
                return;
        esc = g_markup_escape_text(value, -1);
        g_string_append_printf(buf, " %s='%s'", attr, esc);
}

/* The daemon cannot see our working directory (spec 0.11). */
static char *absolute_or_null(const char *path) {
        return path && *path ? ctl_absolute_path(path) : g_strdup(path);
}

/* --memspec [file=]FILE[,snapshot=TYPE] → <memory snapshot=… file=…/> */
static int parse_memspec(GString *buf, const char *spec) {
        g_autoptr(GPtrArray) items = split_spec(spec);
        const char *snapshot = NULL, *file = NULL;
        g_autofree char *abs = NULL;

        for (guint i = 0; i < items->len; i++) {
                const char *it = g_ptr_array_index(items, i);

                if (!snapshot && g_str_has_prefix(it, "snapshot="))
                        snapshot = it + strlen("snapshot=");
                else if (!file && g_str_has_prefix(it, "file="))
                        file = it + strlen("file=");
                /* virsh takes a bare absolute path; we also take a relative one without '=' */
                else if (!file && *it && (*it == '/' || !strchr(it, '=')))
                        file = it;
                else {
                        ctl_error("unable to parse memspec: %s", spec);
                        return -EINVAL;
                }
        }
        abs = absolute_or_null(file);
        g_string_append(buf, "  <memory");
        append_attr(buf, "snapshot", snapshot);
        append_attr(buf, "file", abs);
        g_string_append(buf, "/>\n");
        return 0;
}

/* --diskspec DISK[,snapshot=TYPE][,driver=TYPE][,stype=TYPE][,file=FILE] → <disk …> */
static int parse_diskspec(GString *buf, const char *spec) {
        g_autoptr(GPtrArray) items = split_spec(spec);
        const char *name = g_ptr_array_index(items, 0);
        const char *snapshot = NULL, *driver = NULL, *stype = NULL, *file = NULL;
        g_autofree char *abs = NULL;
        bool is_file = true;

        if (!*name)
                goto bad;
        for (guint i = 1; i < items->len; i++) {
                const char *it = g_ptr_array_index(items, i);

                if (!snapshot && g_str_has_prefix(it, "snapshot="))
                        snapshot = it + strlen("snapshot=");
                else if (!driver && g_str_has_prefix(it, "driver="))
                        driver = it + strlen("driver=");
                else if (!stype && g_str_has_prefix(it, "stype="))
                        stype = it + strlen("stype=");
                else if (!file && g_str_has_prefix(it, "file="))
                        file = it + strlen("file=");
                else
                        goto bad;
        }
        if (stype && g_str_equal(stype, "block"))
                is_file = false;
        else if (stype && !g_str_equal(stype, "file")) {
                ctl_error("Unknown storage type: '%s'", stype);
                goto bad;
        }
        abs = absolute_or_null(file);
        g_string_append(buf, "    <disk");
        append_attr(buf, "name", name);
        append_attr(buf, "snapshot", snapshot);
        append_attr(buf, "type", stype);
        if (!driver && !abs) {
                g_string_append(buf, "/>\n");
                return 0;
        }
        g_string_append(buf, ">\n");
        if (driver) {
                g_string_append(buf, "      <driver");
                append_attr(buf, "type", driver);
                g_string_append(buf, "/>\n");
        }
        if (abs) {
                g_string_append(buf, "      <source");
                append_attr(buf, is_file ? "file" : "dev", abs);
                g_string_append(buf, "/>\n");
        }
        g_string_append(buf, "    </disk>\n");
        return 0;
bad:
        ctl_error("unable to parse diskspec: %s", spec);
        return -EINVAL;
}

static int cmd_snapshot_create_as(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(GString) buf = g_string_new("<domainsnapshot>\n");
        g_autofree const char **disks = ctl_args_get_all(args, "diskspec");
        const char *name = ctl_args_get(args, "name");
        const char *desc = ctl_args_get(args, "description");
        const char *memspec = ctl_args_get(args, "memspec");
        unsigned next = 1;

        /* virsh: positionals after DOMAIN fill NAME, then DESCRIPTION, unless given as options */
        if (!name)
                name = ctl_args_pos(args, next++);
        if (!desc)
                desc = ctl_args_pos(args, next++);
        if (ctl_args_pos(args, next)) {
                ctl_error("unexpected data '%s' for command 'snapshot-create-as'", ctl_args_pos(args, next));
                return -EINVAL;
        }
        if (name) {
                g_autofree char *esc = g_markup_escape_text(name, -1);
                g_string_append_printf(buf, "  <name>%s</name>\n", esc);
        }
        if (desc) {
                g_autofree char *esc = g_markup_escape_text(desc, -1);
                g_string_append_printf(buf, "  <description>%s</description>\n", esc);
        }
        if (memspec && parse_memspec(buf, memspec) < 0)
                return -EINVAL;
        if (disks[0]) {
                g_string_append(buf, "  <disks>\n");
                for (const char **d = disks; *d; d++)
                        if (parse_diskspec(buf, *d) < 0)
                                return -EINVAL;
                g_string_append(buf, "  </disks>\n");
        }
        g_string_append(buf, "</domainsnapshot>\n");

        if (ctl_args_has(args, "print-xml")) {
                fputs(buf->str, stdout);
                return 0;
        }
        return snapshot_create(ctl, ctl_args_pos(args, 0), buf->str, args->flags, NULL);
}

/* --- snapshot-list --- */

static gint snap_name_compare(gconstpointer a, gconstpointer b) {
        const SnapInfo *x = *(SnapInfo *const *) a;
        const SnapInfo *y = *(SnapInfo *const *) b;

        return g_ascii_strcasecmp(x->name, y->name);
}

/* virsh's vshTreePrintInternal, line for line, so the output compares with virsh's. */
static void tree_print(GPtrArray *snaps, guint id, guint lastdev, bool root, GString *indent) {
        const SnapInfo *s = g_ptr_array_index(snaps, id);
        int nextlast = -1;

        printf("%s%s%s\n", indent->str, root ? "" : "+- ", s->name);
        if (!root) {
                g_string_append_c(indent, id == lastdev ? ' ' : '|');
                g_string_append_c(indent, ' ');
        }
        for (guint i = 0; i < snaps->len; i++) {
                const SnapInfo *c = g_ptr_array_index(snaps, i);

                if (c->parent && g_str_equal(c->parent, s->name))
                        nextlast = (int) i;
        }
        if (nextlast != -1)
                printf("%s  |\n", indent->str);
        g_string_append(indent, "  ");
        for (guint i = 0; i < snaps->len; i++) {
                const SnapInfo *c = g_ptr_array_index(snaps, i);

                if (c->parent && g_str_equal(c->parent, s->name))
                        tree_print(snaps, i, (guint) nextlast, false, indent);
        }
        g_string_truncate(indent, indent->len - 2);
        if (nextlast == -1 && id == lastdev)
                printf("%s\n", indent->str);
        if (!root)
                g_string_truncate(indent, indent->len - 2);
}

static void list_print_json(GPtrArray *snaps) {
        CtlJsonList j;

        ctl_json_list_begin(&j);
        for (guint i = 0; i < snaps->len; i++) {
                const SnapInfo *s = g_ptr_array_index(snaps, i);

                ctl_json_list_object(&j);
                ctl_json_list_string(&j, "name", s->name);
                ctl_json_list_int(&j, "creationTime", s->creation_time);
                ctl_json_list_string(&j, "state", s->state);
                ctl_json_list_string(&j, "parent", s->parent);
                ctl_json_list_string(&j, "location", s->external ? "external" : "internal");
                ctl_json_list_bool(&j, "current", s->current);
        }
        ctl_json_list_print(&j);
}

static void list_print_table(GPtrArray *snaps, bool with_parent) {
        g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
        guint ncols = with_parent ? 4 : 3;

        g_ptr_array_add(cells, g_strdup("Name"));
        g_ptr_array_add(cells, g_strdup("Creation Time"));
        g_ptr_array_add(cells, g_strdup("State"));
        if (with_parent)
                g_ptr_array_add(cells, g_strdup("Parent"));
        for (guint i = 0; i < snaps->len; i++) {
                const SnapInfo *s = g_ptr_array_index(snaps, i);

                g_ptr_array_add(cells, g_strdup(s->name));
                g_ptr_array_add(cells, format_creation_time(s));
                g_ptr_array_add(cells, g_strdup(s->state));
                if (with_parent)
                        g_ptr_array_add(cells, g_strdup(s->parent ? s->parent : ""));
        }
        ctl_print_table(cells, ncols);
}

static int cmd_snapshot_list(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) snaps = g_ptr_array_new_with_free_func((GDestroyNotify) snap_info_free);
        g_autofree char *dom_path = NULL, *from_path = NULL, *current = NULL;
        g_auto(GStrv) paths = NULL;
        bool tree = ctl_args_has(args, "tree");
        bool from = ctl_args_has(args, "from") || ctl_args_has(args, "current");
        uint32_t flags = args->flags;
        int r;

        static const char *const pairs[][2] = {
                { "tree", "name" }, { "tree", "json" }, { "name", "json" }, { "parent", "roots" },
                { "parent", "tree" }, { "roots", "tree" }, { "roots", "from" }, { "roots", "current" },
                { "from", "current" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++)
                if (!exclusive(args, pairs[i][0], pairs[i][1]))
                        return -EINVAL;
        if (ctl_args_has(args, "descendants") && !from) {
                ctl_error("--descendants requires either --from or --current");
                return -EINVAL;
        }

        r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &dom_path);
        if (r < 0)
                return r;
        if (from) {
                const char *fname = ctl_args_get(args, "from");

                r = fname ? snap_lookup(ctl, dom_path, fname, &from_path) : snap_current(ctl, dom_path, &from_path);
                if (r < 0)
                        return r;
                /* bit 1 is DESCENDANTS for ListChildren; a tree from SNAP shows the whole subtree */
                flags &= ~(uint32_t) SNAPSHOT_LIST_ROOTS;
                if (ctl_args_has(args, "descendants") || tree)
                        flags |= SNAPSHOT_LIST_DESCENDANTS;
                r = ctl_call(ctl, from_path, QEMU_SNAPSHOT_INTERFACE, "ListChildren", &reply, "u", flags);
        } else
                r = ctl_call(ctl, dom_path, QEMU_DOMAIN_INTERFACE, "ListDomainSnapshots", &reply, "u", flags);
        if (r < 0)
                return r;
        r = read_paths(reply, &paths);
        if (r < 0)
                return r;

        current = snap_current_quiet(ctl, dom_path);
        for (char **p = paths; *p; p++) {
                SnapInfo *s = NULL;

                /* one deleted meanwhile is skipped, as virsh does */
                if (snap_info_get(ctl, *p, &s) < 0)
                        continue;
                s->current = current && g_str_equal(current, *p);
                g_ptr_array_add(snaps, s);
        }
        if (!(flags & SNAPSHOT_LIST_TOPOLOGICAL))
                g_ptr_array_sort(snaps, snap_name_compare);

        if (tree) {
                g_autoptr(GString) indent = g_string_new(NULL);

                /* virsh: with --from the tree starts at SNAP itself */
                if (from_path) {
                        SnapInfo *s = NULL;

                        r = snap_info_get(ctl, from_path, &s);
                        if (r < 0)
                                return r;
                        g_clear_pointer(&s->parent, g_free);
                        g_ptr_array_insert(snaps, 0, s);
                }
                /* a snapshot whose parent a filter left out is shown as a root */
                for (guint i = 0; i < snaps->len; i++) {
                        SnapInfo *s = g_ptr_array_index(snaps, i);
                        bool found = false;

                        for (guint j = 0; s->parent && j < snaps->len && !found; j++)
                                found = g_str_equal(((SnapInfo *) g_ptr_array_index(snaps, j))->name, s->parent);
                        if (!found)
                                g_clear_pointer(&s->parent, g_free);
                }
                for (guint i = 0; i < snaps->len; i++)
                        if (!((SnapInfo *) g_ptr_array_index(snaps, i))->parent)
                                tree_print(snaps, i, i, true, indent);
                return 0;
        }
        if (ctl_args_has(args, "json"))
                list_print_json(snaps);
        else if (ctl_args_has(args, "name"))
                for (guint i = 0; i < snaps->len; i++)
                        printf("%s\n", ((SnapInfo *) g_ptr_array_index(snaps, i))->name);
        else
                list_print_table(snaps, ctl_args_has(args, "parent"));
        return 0;
}

/* --- snapshot-info, -dumpxml, -current, -parent --- */

static int cmd_snapshot_info(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *dom_path = NULL, *snap_path = NULL, *dom_name = NULL;
        g_autoptr(SnapInfo) info = NULL;
        g_auto(GStrv) children = NULL, descendants = NULL;
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        bool current = false;
        int r;

        r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &dom_path);
        if (r < 0)
                return r;
        r = snap_resolve(ctl, args, 1, true, dom_path, &snap_path, NULL);
        if (r < 0)
                return r;
        r = snap_info_get(ctl, snap_path, &info);
        if (r < 0)
                return r;
        r = snap_is_current(ctl, snap_path, &current);
        if (r < 0)
                return r;
        r = snap_list_children(ctl, snap_path, 0, &children);
        if (r < 0)
                return r;
        r = snap_list_children(ctl, snap_path, SNAPSHOT_LIST_DESCENDANTS, &descendants);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(ctl->bus, QEMU_BUS_NAME, dom_path, QEMU_DOMAIN_INTERFACE, "Name", &error, &dom_name);
        if (r < 0) {
                ctl_print_bus_error(&error, r);
                return r;
        }

        printf("%-15s %s\n", "Name:", info->name);
        printf("%-15s %s\n", "Domain:", dom_name);
        printf("%-15s %s\n", "Current:", current ? "yes" : "no");
        printf("%-15s %s\n", "State:", info->state);
        printf("%-15s %s\n", "Location:", info->external ? "external" : "internal");
        printf("%-15s %s\n", "Parent:", info->parent ? info->parent : "-");
        printf("%-15s %u\n", "Children:", g_strv_length(children));
        printf("%-15s %u\n", "Descendants:", g_strv_length(descendants));
        /* every snapshot the daemon lists has metadata (spec D48) */
        printf("%-15s %s\n", "Metadata:", "yes");
        return 0;
}

static int cmd_snapshot_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *dom_path = NULL, *snap_path = NULL, *xml = NULL;
        int r;

        r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &dom_path);
        if (r < 0)
                return r;
        r = snap_lookup(ctl, dom_path, ctl_args_pos(args, 1), &snap_path);
        if (r < 0)
                return r;
        r = snap_get_xml(ctl, snap_path, args->flags, &xml);
        if (r < 0)
                return r;
        fputs(xml, stdout);
        if (!*xml || xml[strlen(xml) - 1] != '\n')
                putchar('\n');
        return 0;
}

static int cmd_snapshot_current(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *dom_path = NULL, *snap_path = NULL, *xml = NULL;
        const char *set = ctl_args_pos(args, 1);
        int r;

        if (set && (ctl_args_has(args, "name") || ctl_args_has(args, "security-info"))) {
                ctl_error("a snapshot name to make current excludes --name and --security-info");
                return -EINVAL;
        }
        r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &dom_path);
        if (r < 0)
                return r;

        if (set) {
                /* virsh: make SNAP current by redefining it as it is */
                r = snap_lookup(ctl, dom_path, set, &snap_path);
                if (r < 0)
                        return r;
                r = snap_get_xml(ctl, snap_path, SNAPSHOT_XML_SECURE, &xml);
                if (r < 0)
                        return r;
                r = ctl_call(ctl, dom_path, QEMU_DOMAIN_INTERFACE, "SnapshotCreateXML", NULL, "su", xml,
                             (uint32_t) (SNAPSHOT_CREATE_REDEFINE | SNAPSHOT_CREATE_CURRENT));
                if (r < 0)
                        return r;
                printf("Snapshot %s set as current\n", set);
                return 0;
        }

        r = snap_current(ctl, dom_path, &snap_path);
        if (r < 0)
                return r;
        if (ctl_args_has(args, "name")) {
                g_autofree char *name = snap_name_from_path(snap_path);
                printf("%s\n", name);
                return 0;
        }
        r = snap_get_xml(ctl, snap_path, args->flags, &xml);
        if (r < 0)
                return r;
        fputs(xml, stdout);
        if (!*xml || xml[strlen(xml) - 1] != '\n')
                putchar('\n');
        return 0;
}

static int cmd_snapshot_parent(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *dom_path = NULL, *snap_path = NULL, *parent = NULL, *name = NULL;
        int r;

        r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &dom_path);
        if (r < 0)
                return r;
        r = snap_resolve(ctl, args, 1, true, dom_path, &snap_path, NULL);
        if (r < 0)
                return r;
        r = ctl_call(ctl, snap_path, QEMU_SNAPSHOT_INTERFACE, "GetParent", &reply, "u", 0u);
        if (r < 0)
                return r;
        r = read_path(reply, &parent);
        if (r < 0)
                return r;
        name = snap_name_from_path(parent);
        printf("%s\n", name);
        return 0;
}

/* --- snapshot-revert, -delete --- */

static int cmd_snapshot_revert(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *dom_path = NULL, *snap_path = NULL;
        int r;

        if (!exclusive(args, "running", "paused"))
                return -EINVAL;
        r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &dom_path);
        if (r < 0)
                return r;
        r = snap_resolve(ctl, args, 1, true, dom_path, &snap_path, NULL);
        if (r < 0)
                return r;
        /* virsh prints nothing on success */
        return ctl_call(ctl, snap_path, QEMU_SNAPSHOT_INTERFACE, "Revert", NULL, "u", args->flags);
}

static int cmd_snapshot_delete(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *dom_path = NULL, *snap_path = NULL, *name = NULL;
        int r;

        if (!exclusive(args, "children", "children-only"))
                return -EINVAL;
        r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &dom_path);
        if (r < 0)
                return r;
        r = snap_resolve(ctl, args, 1, true, dom_path, &snap_path, &name);
        if (r < 0)
                return r;
        r = ctl_call(ctl, snap_path, QEMU_SNAPSHOT_INTERFACE, "Delete", NULL, "u", args->flags);
        if (r < 0)
                return r;
        if (args->flags & SNAPSHOT_DELETE_CHILDREN_ONLY)
                printf("Domain snapshot %s children deleted\n", name);
        else
                printf("Domain snapshot %s deleted\n", name);
        return 0;
}

/* --- snapshot-edit --- */

static int edit_in_editor(const char *xml, char **ret_edited, char **ret_tmp) {
        g_autoptr(GError) error = NULL;
        g_autofree char *tmp = NULL;
        int fd;

        *ret_tmp = NULL;
        fd = g_file_open_tmp("vmmctl-snapshot-XXXXXX.xml", &tmp, &error);
        if (fd < 0) {
                ctl_error("%s", error->message);
                return -EIO;
        }
        close(fd);
        if (!g_file_set_contents(tmp, xml, -1, &error)) {
                ctl_error("%s", error->message);
                unlink(tmp);
                return -EIO;
        }
        *ret_tmp = g_strdup(tmp);
        if (ctl_run_editor(tmp) < 0)
                return -1;
        if (!g_file_get_contents(tmp, ret_edited, NULL, &error)) {
                ctl_error("%s", error->message);
                return -EIO;
        }
        return 0;
}

static int cmd_snapshot_edit(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *dom_path = NULL, *snap_path = NULL, *name = NULL, *xml = NULL, *edited = NULL, *tmp = NULL;
        g_autofree char *new_path = NULL, *new_name = NULL;
        bool current = false;
        uint32_t flags = SNAPSHOT_CREATE_REDEFINE;
        int r;

        if (!exclusive(args, "rename", "clone"))
                return -EINVAL;
        r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &dom_path);
        if (r < 0)
                return r;
        /* virsh: NAME with --current edits NAME and makes it current */
        r = snap_resolve(ctl, args, 1, false, dom_path, &snap_path, &name);
        if (r < 0)
                return r;
        r = snap_is_current(ctl, snap_path, &current);
        if (r < 0)
                return r;
        if (current || (ctl_args_has(args, "current") && ctl_args_pos(args, 1)))
                flags |= SNAPSHOT_CREATE_CURRENT;
        /* secure, so the redefine loses nothing */
        r = snap_get_xml(ctl, snap_path, SNAPSHOT_XML_SECURE, &xml);
        if (r < 0)
                return r;
        r = edit_in_editor(xml, &edited, &tmp);
        if (r < 0) {
                if (tmp)
                        fprintf(stderr, "The XML is kept in %s\n", tmp);
                return r;
        }
        if (g_str_equal(edited, xml)) {
                unlink(tmp);
                printf("Snapshot %s XML configuration not changed.\n", name);
                return 0;
        }
        r = ctl_call(ctl, dom_path, QEMU_DOMAIN_INTERFACE, "SnapshotCreateXML", &reply, "su", edited, flags);
        if (r < 0) {
                fprintf(stderr, "The edited XML is kept in %s\n", tmp);
                return r;
        }
        unlink(tmp);
        r = read_path(reply, &new_path);
        if (r < 0)
                return r;
        new_name = snap_name_from_path(new_path);
        if (g_str_equal(name, new_name)) {
                printf("Snapshot %s edited.\n", name);
                return 0;
        }
        if (ctl_args_has(args, "clone")) {
                printf("Snapshot %s cloned to %s.\n", name, new_name);
                return 0;
        }
        /* a new name: --rename drops the old one; otherwise the new one is undone (virsh) */
        r = ctl_call(ctl, ctl_args_has(args, "rename") ? snap_path : new_path, QEMU_SNAPSHOT_INTERFACE, "Delete", NULL, "u",
                     (uint32_t) SNAPSHOT_DELETE_METADATA_ONLY);
        if (r < 0) {
                ctl_error("Failed to clean up %s", ctl_args_has(args, "rename") ? name : new_name);
                return r;
        }
        if (!ctl_args_has(args, "rename")) {
                ctl_error("Must use --rename or --clone to change %s to %s", name, new_name);
                return -EINVAL;
        }
        printf("Snapshot %s renamed to %s.\n", name, new_name);
        return 0;
}

/* --- the table --- */

#define CREATE_FLAG_OPTS                                                                                      \
        { "no-metadata", NULL, SNAPSHOT_CREATE_NO_METADATA, "take the snapshot but record no metadata" },             \
        { "halt", NULL, SNAPSHOT_CREATE_HALT, "stop the domain after the snapshot" },                                  \
        { "disk-only", NULL, SNAPSHOT_CREATE_DISK_ONLY, "external disk snapshot only, no memory state" },              \
        { "reuse-external", NULL, SNAPSHOT_CREATE_REUSE_EXT, "use existing overlay files as they are" },              \
        { "quiesce", NULL, SNAPSHOT_CREATE_QUIESCE, "quiesce guest file systems (needs the guest agent)" },           \
        { "atomic", NULL, SNAPSHOT_CREATE_ATOMIC, "all disks or none" },                                               \
        { "live", NULL, SNAPSHOT_CREATE_LIVE, "take the snapshot while the guest runs" },                              \
        { "validate", NULL, SNAPSHOT_CREATE_VALIDATE, "validate the XML against the schema" }

static const CtlOpt create_opts[] = {
        { "redefine", NULL, SNAPSHOT_CREATE_REDEFINE, "record the snapshot FILE describes, touching no disk" },
        { "current", NULL, SNAPSHOT_CREATE_CURRENT, "with --redefine, make it the current snapshot" },
        CREATE_FLAG_OPTS,
        { 0 }
};

static const CtlOpt create_as_opts[] = {
        { "name", "NAME", 0, "the snapshot's name (default: the creation time)" },
        { "description", "TEXT", 0, "the snapshot's description" },
        { "print-xml", NULL, 0, "print the XML instead of creating the snapshot" },
        { "diskspec", "SPEC", 0, "DISK[,snapshot=TYPE][,driver=TYPE][,stype=TYPE][,file=FILE] (repeatable)" },
        { "memspec", "SPEC", 0, "[file=]FILE[,snapshot=TYPE]" },
        CREATE_FLAG_OPTS,
        { 0 }
};

static const CtlOpt list_opts[] = {
        { "parent", NULL, 0, "add a Parent column" },
        { "roots", NULL, SNAPSHOT_LIST_ROOTS, "only snapshots without a parent" },
        { "leaves", NULL, SNAPSHOT_LIST_LEAVES, "only snapshots without children" },
        { "no-leaves", NULL, SNAPSHOT_LIST_NO_LEAVES, "only snapshots with children" },
        { "metadata", NULL, SNAPSHOT_LIST_METADATA, "only snapshots with metadata" },
        { "no-metadata", NULL, SNAPSHOT_LIST_NO_METADATA, "only snapshots without metadata" },
        { "inactive", NULL, SNAPSHOT_LIST_INACTIVE, "only snapshots of a shut-off domain" },
        { "active", NULL, SNAPSHOT_LIST_ACTIVE, "only snapshots of a running or paused domain" },
        { "disk-only", NULL, SNAPSHOT_LIST_DISK_ONLY, "only disk-only snapshots" },
        { "internal", NULL, SNAPSHOT_LIST_INTERNAL, "only internal snapshots" },
        { "external", NULL, SNAPSHOT_LIST_EXTERNAL, "only external snapshots" },
        { "topological", NULL, SNAPSHOT_LIST_TOPOLOGICAL, "parents before children instead of by name" },
        { "tree", NULL, 0, "print the snapshots as a tree" },
        { "from", "SNAP", 0, "only the children of SNAP" },
        { "current", NULL, 0, "only the children of the current snapshot" },
        { "descendants", NULL, 0, "with --from or --current: all descendants, not only children" },
        { "name", NULL, 0, "print only the names" },
        { "json", NULL, 0, "print a JSON array of {name,creationTime,state,parent,location,current}" },
        { 0 }
};

static const CtlOpt current_only_opts[] = {
        { "current", NULL, 0, "the current snapshot" },
        { 0 }
};

static const CtlOpt dumpxml_opts[] = {
        { "security-info", NULL, SNAPSHOT_XML_SECURE, "include security-sensitive data" },
        { 0 }
};

static const CtlOpt current_opts[] = {
        { "name", NULL, 0, "print only the name" },
        { "security-info", NULL, SNAPSHOT_XML_SECURE, "include security-sensitive data" },
        { 0 }
};

static const CtlOpt revert_opts[] = {
        { "current", NULL, 0, "revert to the current snapshot" },
        { "running", NULL, SNAPSHOT_REVERT_RUNNING, "end running" },
        { "paused", NULL, SNAPSHOT_REVERT_PAUSED, "end paused" },
        { "force", NULL, SNAPSHOT_REVERT_FORCE, "revert also when that is risky" },
        { "reset-nvram", NULL, SNAPSHOT_REVERT_RESET_NVRAM, "re-initialize NVRAM from its template" },
        { 0 }
};

static const CtlOpt delete_opts[] = {
        { "current", NULL, 0, "delete the current snapshot" },
        { "children", NULL, SNAPSHOT_DELETE_CHILDREN, "delete the snapshot and all its descendants" },
        { "children-only", NULL, SNAPSHOT_DELETE_CHILDREN_ONLY, "delete the descendants, keep the snapshot" },
        { "metadata", NULL, SNAPSHOT_DELETE_METADATA_ONLY, "delete only the metadata, leave the images" },
        { 0 }
};

static const CtlOpt edit_opts[] = {
        { "current", NULL, 0, "edit the current snapshot (with SNAP: make SNAP current)" },
        { "rename", NULL, 0, "allow the edit to rename the snapshot" },
        { "clone", NULL, 0, "allow the edit to copy the snapshot under a new name" },
        { 0 }
};

const CtlCommand ctl_snapshot_commands[] = {
        { "snapshot-create", cmd_snapshot_create,
          "DOMAIN [FILE] [--redefine [--current]] [--no-metadata] [--halt] [--disk-only] [--reuse-external] "
          "[--quiesce] [--atomic] [--live] [--validate]",
          "create a snapshot from XML", create_opts, 1, 2 },
        { "snapshot-create-as", cmd_snapshot_create_as,
          "DOMAIN [NAME] [DESCRIPTION] [--print-xml] [--diskspec SPEC]... [--memspec SPEC] [--no-metadata] [--halt] "
          "[--disk-only] [--reuse-external] [--quiesce] [--atomic] [--live] [--validate]",
          "create a snapshot from a set of arguments", create_as_opts, 1, 3 },
        { "snapshot-list", cmd_snapshot_list,
          "DOMAIN [--parent] [--roots] [--leaves] [--no-leaves] [--metadata] [--no-metadata] [--inactive] [--active] "
          "[--disk-only] [--internal] [--external] [--topological] [--tree] [--from SNAP|--current [--descendants]] "
          "[--name] [--json]",
          "list a domain's snapshots", list_opts, 1, 1 },
        { "snapshot-info", cmd_snapshot_info, "DOMAIN [SNAP|--current]", "show information about a snapshot",
          current_only_opts, 1, 2 },
        { "snapshot-dumpxml", cmd_snapshot_dumpxml, "DOMAIN SNAP [--security-info]", "print a snapshot's XML",
          dumpxml_opts, 2, 2 },
        { "snapshot-current", cmd_snapshot_current, "DOMAIN [--name] [--security-info] | DOMAIN SNAP",
          "print the current snapshot, or make SNAP current", current_opts, 1, 2 },
        { "snapshot-revert", cmd_snapshot_revert, "DOMAIN [SNAP|--current] [--running|--paused] [--force]",
          "revert a domain to a snapshot", revert_opts, 1, 2 },
        { "snapshot-delete", cmd_snapshot_delete, "DOMAIN [SNAP|--current] [--children|--children-only] [--metadata]",
          "delete a snapshot", delete_opts, 1, 2 },
        { "snapshot-parent", cmd_snapshot_parent, "DOMAIN [SNAP|--current]", "print the name of a snapshot's parent",
          current_only_opts, 1, 2 },
        { "snapshot-edit", cmd_snapshot_edit, "DOMAIN [SNAP|--current] [--rename|--clone]",
          "edit a snapshot's XML", edit_opts, 1, 2 },
        { 0 }
};

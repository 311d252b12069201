/* Torture: every method and writable property of every object kind of the daemons, enumerated
 * from introspection (no list written here), called as uid 65534 on a bus whose policy lets
 * everything through (issue 10). Which methods are read-only comes from the installed interface
 * files (the org.vmmd.ReadOnly annotation in busconfig/interfaces/, $VMMD_INTERFACES_DIR), since
 * sd-bus cannot put that annotation into introspection; test-interfaces.py holds those files equal
 * to what the daemons introspect. As uid 65534 every read-only method is answered without a
 * denial (a refused zero argument is fine), every other method and every Properties.Set gets
 * org.vmmd.Error.OperationDenied, and the whole state tree is the same afterwards. */
#include <fcntl.h>
#include <grp.h>
#include <libxml/parser.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-harness.h"
#include "vmmd/secret1.h"

#define QEMU QEMU_BUS_NAME
#define STORAGE STORAGE_BUS_NAME
#define SECRET SECRET_BUS_NAME
#define DOM_UUID "6e5d0000-0000-4000-8000-000000000001"
#define POOL_UUID "6e5d0000-0000-4000-8000-000000000002"
#define SECRET_UUID "6e5d0000-0000-4000-8000-000000000003"

typedef struct {
        const char *dest;
        char *path;
} Object;

typedef struct {
        char *dest, *path, *iface, *member, *signature;
        bool property;     /* a writable property: member is its name, signature its type */
        bool read_only;    /* a method its interface file marks org.vmmd.ReadOnly */
} Callable;

static void callable_free(Callable *c) {
        g_free(c->dest);
        g_free(c->path);
        g_free(c->iface);
        g_free(c->member);
        g_free(c->signature);
        g_free(c);
}

static char *introspect(TestBus *tb, const char *dest, const char *path) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *xml;

        g_assert_cmpint(sd_bus_call_method(tb->bus, dest, path, "org.freedesktop.DBus.Introspectable", "Introspect",
                                           &e, &reply, ""), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &xml), >=, 0);
        return g_strdup(xml);
}

static char *prop(xmlNodePtr n, const char *name) {
        xmlChar *v = xmlGetProp(n, (const xmlChar *) name);
        char *s = v ? g_strdup((const char *) v) : NULL;
        xmlFree(v);
        return s;
}

/* The vmmd interfaces of one object: methods with their in-signature, writable properties. */
static void collect(TestBus *tb, const Object *o, GPtrArray *out) {
        g_autofree char *xml = introspect(tb, o->dest, o->path);
        xmlDocPtr doc = xmlReadMemory(xml, (int) strlen(xml), "introspect.xml", NULL, XML_PARSE_NONET);
        xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

        g_assert_nonnull(root);
        for (xmlNodePtr i = root->children; i; i = i->next) {
                g_autofree char *iface = NULL;

                if (i->type != XML_ELEMENT_NODE || !xmlStrEqual(i->name, (const xmlChar *) "interface"))
                        continue;
                iface = prop(i, "name");
                if (!g_str_has_prefix(iface, "org.vmmd."))
                        continue;
                for (xmlNodePtr m = i->children; m; m = m->next) {
                        Callable *c;

                        if (m->type != XML_ELEMENT_NODE)
                                continue;
                        if (xmlStrEqual(m->name, (const xmlChar *) "method")) {
                                GString *sig = g_string_new(NULL);
                                for (xmlNodePtr a = m->children; a; a = a->next) {
                                        g_autofree char *dir = NULL, *type = NULL;
                                        if (a->type != XML_ELEMENT_NODE || !xmlStrEqual(a->name, (const xmlChar *) "arg"))
                                                continue;
                                        dir = prop(a, "direction");
                                        type = prop(a, "type");
                                        if (!dir || g_str_equal(dir, "in"))
                                                g_string_append(sig, type);
                                }
                                c = g_new0(Callable, 1);
                                c->signature = g_string_free(sig, FALSE);
                        } else if (xmlStrEqual(m->name, (const xmlChar *) "property")) {
                                g_autofree char *access = prop(m, "access");
                                if (!access || !g_str_equal(access, "readwrite"))
                                        continue;
                                c = g_new0(Callable, 1);
                                c->signature = prop(m, "type");
                                c->property = true;
                        } else
                                continue;
                        c->dest = g_strdup(o->dest);
                        c->path = g_strdup(o->path);
                        c->iface = g_strdup(iface);
                        c->member = prop(m, "name");
                        g_ptr_array_add(out, c);
                }
        }
        xmlFreeDoc(doc);
}

/* The methods of every interface file, "interface.method" -> "ro" or "rw" by its
 * org.vmmd.ReadOnly annotation. */
static GHashTable *load_interface_files(void) {
        const char *dir_name = g_getenv("VMMD_INTERFACES_DIR");
        GHashTable *methods = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GDir) dir = NULL;
        const char *f;
        unsigned files = 0;

        g_assert_nonnull(dir_name);
        dir = g_dir_open(dir_name, 0, NULL);
        g_assert_nonnull(dir);
        while ((f = g_dir_read_name(dir))) {
                g_autofree char *file = NULL;
                xmlDocPtr doc;
                xmlNodePtr root;

                if (!g_str_has_suffix(f, ".xml"))
                        continue;
                file = g_build_filename(dir_name, f, NULL);
                doc = xmlReadFile(file, NULL, XML_PARSE_NONET);
                root = doc ? xmlDocGetRootElement(doc) : NULL;
                g_assert_nonnull(root);
                for (xmlNodePtr i = root->children; i; i = i->next) {
                        g_autofree char *iface = NULL;

                        if (i->type != XML_ELEMENT_NODE || !xmlStrEqual(i->name, (const xmlChar *) "interface"))
                                continue;
                        iface = prop(i, "name");
                        for (xmlNodePtr m = i->children; m; m = m->next) {
                                g_autofree char *name = NULL;
                                bool ro = false;

                                if (m->type != XML_ELEMENT_NODE || !xmlStrEqual(m->name, (const xmlChar *) "method"))
                                        continue;
                                for (xmlNodePtr a = m->children; a; a = a->next) {
                                        g_autofree char *an = NULL, *av = NULL;
                                        if (a->type != XML_ELEMENT_NODE ||
                                            !xmlStrEqual(a->name, (const xmlChar *) "annotation"))
                                                continue;
                                        an = prop(a, "name");
                                        av = prop(a, "value");
                                        if (g_strcmp0(an, "org.vmmd.ReadOnly") == 0 && g_strcmp0(av, "true") == 0)
                                                ro = true;
                                }
                                name = prop(m, "name");
                                g_hash_table_insert(methods, g_strconcat(iface, ".", name, NULL), ro ? "ro" : "rw");
                        }
                }
                xmlFreeDoc(doc);
                files++;
        }
        g_assert_cmpuint(files, >=, 6);
        return methods;
}

/* Appends a zero value of each complete type in sig. */
static int append_zeros(sd_bus_message *m, const char *sig, int devnull) {
        for (const char *p = sig; *p;) {
                size_t len;
                int r = 0;

                /* the length of one complete type */
                if (*p == 'a' || *p == '(') {
                        int depth = 0;
                        const char *q = p;
                        while (*q == 'a')
                                q++;
                        if (*q == '(' || *q == '{') {
                                do {
                                        depth += *q == '(' || *q == '{';
                                        depth -= *q == ')' || *q == '}';
                                        q++;
                                } while (depth > 0);
                        } else
                                q++;
                        len = (size_t) (q - p);
                } else
                        len = 1;
                if (*p == 'a') {
                        g_autofree char *elem = g_strndup(p + 1, len - 1);
                        r = sd_bus_message_open_container(m, 'a', elem);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                } else if (*p == '(') {
                        g_autofree char *inner = g_strndup(p + 1, len - 2);
                        r = sd_bus_message_open_container(m, 'r', inner);
                        if (r >= 0)
                                r = append_zeros(m, inner, devnull);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                } else {
                        switch (*p) {
                        case 's': r = sd_bus_message_append_basic(m, 's', ""); break;
                        case 'o': r = sd_bus_message_append_basic(m, 'o', "/"); break;
                        case 'g': r = sd_bus_message_append_basic(m, 'g', ""); break;
                        case 'h': r = sd_bus_message_append_basic(m, 'h', &devnull); break;
                        case 'v': r = sd_bus_message_append(m, "v", "s", ""); break;
                        case 'd': { double d = 0; r = sd_bus_message_append_basic(m, 'd', &d); break; }
                        default: { uint64_t z = 0; r = sd_bus_message_append_basic(m, *p, &z); break; }
                        }
                }
                if (r < 0)
                        return r;
                p += len;
        }
        return 0;
}

/* In a child as uid/gid 65534: calls each one and writes "index\terror-name\n" (or "-" for
 * success) to fd. */
static void run_as_nobody(const char *address, GPtrArray *calls, int fd) {
        sd_bus *bus = NULL;
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
                _exit(2);
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 || sd_bus_set_bus_client(bus, 1) < 0 ||
            sd_bus_start(bus) < 0)
                _exit(3);
        for (guint i = 0; i < calls->len; i++) {
                Callable *c = calls->pdata[i];
                sd_bus_message *m = NULL, *reply = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                int r;

                if (c->property) {
                        r = sd_bus_message_new_method_call(bus, &m, c->dest, c->path, "org.freedesktop.DBus.Properties",
                                                           "Set");
                        if (r >= 0)
                                r = sd_bus_message_append(m, "ss", c->iface, c->member);
                        if (r >= 0)
                                r = sd_bus_message_open_container(m, 'v', c->signature);
                        if (r >= 0)
                                r = append_zeros(m, c->signature, devnull);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                } else {
                        r = sd_bus_message_new_method_call(bus, &m, c->dest, c->path, c->iface, c->member);
                        if (r >= 0)
                                r = append_zeros(m, c->signature, devnull);
                }
                if (r >= 0)
                        r = sd_bus_call(bus, m, 30 * G_USEC_PER_SEC, &e, &reply);
                dprintf(fd, "%u\t%s\n", i, r >= 0 ? "-" : e.name ? e.name : "client-error");
                sd_bus_error_free(&e);
                sd_bus_message_unref(reply);
                sd_bus_message_unref(m);
        }
        sd_bus_flush_close_unref(bus);
        _exit(0);
}

static char *state_tree(TestBus *tb) {
        g_autofree char *etc = test_root_file(tb, "etc");
        g_autofree char *lib = test_root_file(tb, "var/lib");
        g_autofree char *pools = g_build_filename(tb->dir, "pools", NULL);
        g_autofree char *a = test_dir_snapshot(etc), *b = test_dir_snapshot(lib), *c = test_dir_snapshot(pools);

        return g_strconcat("[etc]\n", a, "[var/lib]\n", b, "[pools]\n", c, NULL);
}

/* Every introspected method must be in an interface file, which says whether it is
 * read-only; marks each and returns how many are. */
static unsigned classify(GPtrArray *calls) {
        unsigned read_only = 0;

        g_autoptr(GHashTable) files = load_interface_files();

        for (guint i = 0; i < calls->len; i++) {
                Callable *c = calls->pdata[i];
                g_autofree char *key = NULL;
                const char *kind;

                if (c->property)
                        continue;
                key = g_strconcat(c->iface, ".", c->member, NULL);
                kind = g_hash_table_lookup(files, key);
                if (!kind)
                        g_error("%s (introspected on %s) is in no interface file", key, c->path);
                c->read_only = g_str_equal(kind, "ro");
                read_only += c->read_only;
        }
        return read_only;
}

/* Runs every call as uid 65534 in a child; its report, a line "index<TAB>error or -" per call. */
static char *run_calls_as_nobody(TestBus *tb, GPtrArray *calls) {
        GString *s = g_string_new(NULL);
        char buf[4096];
        int p[2], status = 0;
        ssize_t n;
        pid_t child;

        g_assert_cmpint(pipe(p), ==, 0);
        child = fork();
        g_assert_cmpint(child, >=, 0);
        if (child == 0) {
                close(p[0]);
                run_as_nobody(tb->address, calls, p[1]);
        }
        close(p[1]);
        while ((n = read(p[0], buf, sizeof(buf))) > 0)
                g_string_append_len(s, buf, n);
        close(p[0]);
        g_assert_cmpint(waitpid(child, &status, 0), ==, child);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return g_string_free(s, FALSE);
}

static void test_unprivileged(void) {
        g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
        g_autoptr(TestBus) tb = NULL;
        g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func((GDestroyNotify) callable_free);
        g_autofree char *disk = NULL, *dev = NULL, *dxml = NULL, *dom = NULL, *pool = NULL, *pxml = NULL;
        g_autofree char *base = NULL, *before = NULL, *after = NULL, *out = NULL, *snap = NULL, *vol = NULL, *secret = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        unsigned worked = 0, denied = 0, refused_otherwise = 0, sets = 0, read_only = 0;
        pid_t qemu_pid, storage_pid, secret_pid;

        if (!qemu_img || geteuid() != 0) {
                g_test_skip("needs root (to become uid 65534) and qemu-img");
                return;
        }
        tb = test_bus_new(NULL);
        /* one object of every kind */
        disk = g_build_filename(tb->dir, "d.qcow2", NULL);
        {
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        }
        dev = g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%s'/>"
                              "<target dev='vda' bus='virtio'/></disk>\n", disk);
        dxml = test_domain_xml("ro", DOM_UUID, dev);
        dom = test_define(tb, dxml, 0, &e);
        g_assert_nonnull(dom);
        {
                g_autoptr(sd_bus_message) reply = NULL;
                const char *o;
                g_assert_cmpint(test_call(tb, dom, QEMU_DOMAIN_INTERFACE, "SnapshotCreateXML", &e, &reply, "su",
                                          "<domainsnapshot><name>s1</name></domainsnapshot>", 0), >=, 0);
                g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
                snap = g_strdup(o);
        }
        base = g_build_filename(tb->dir, "pools", "base", NULL);
        pxml = g_strdup_printf("<pool type='dir'><name>base</name><uuid>%s</uuid><target><path>%s</path></target></pool>",
                               POOL_UUID, base);
        g_assert_cmpint(sd_bus_path_encode(STORAGE_POOL_PREFIX, POOL_UUID, &pool), >=, 0);
        g_assert_cmpint(sd_bus_call_method(tb->bus, STORAGE, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE,
                                           "StoragePoolDefineXML", &e, NULL, "su", pxml, 0), >=, 0);
        g_assert_cmpint(sd_bus_call_method(tb->bus, STORAGE, pool, STORAGE_POOL_INTERFACE, "Build", &e, NULL,
                                           "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_call_method(tb->bus, STORAGE, pool, STORAGE_POOL_INTERFACE, "Create", &e, NULL,
                                           "u", 0), >=, 0);
        {
                g_autoptr(sd_bus_message) reply = NULL;
                const char *o;
                g_assert_cmpint(sd_bus_call_method(tb->bus, STORAGE, pool, STORAGE_POOL_INTERFACE,
                                                   "StorageVolCreateXML", &e, &reply, "su",
                                                   "<volume><name>v1</name><capacity unit='KiB'>64</capacity></volume>",
                                                   0), >=, 0);
                g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
                vol = g_strdup(o);
        }
        {
                /* a private secret with a value: nothing about it may leak to or change for uid 65534 */
                g_autoptr(sd_bus_message) reply = NULL, set = NULL;
                const char *o;

                g_assert_cmpint(sd_bus_call_method(tb->bus, SECRET, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE,
                                                   "SecretDefineXML", &e, &reply, "su",
                                                   "<secret private='yes'><uuid>" SECRET_UUID "</uuid>"
                                                   "<usage type='ceph'><name>torture</name></usage></secret>", 0), >=, 0);
                g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
                secret = g_strdup(o);
                g_assert_cmpint(sd_bus_message_new_method_call(tb->bus, &set, SECRET, secret, SECRET_INTERFACE,
                                                               "SetValue"), >=, 0);
                g_assert_cmpint(sd_bus_message_append_array(set, 'y', "torture-value", 13), >=, 0);
                g_assert_cmpint(sd_bus_message_append(set, "u", 0), >=, 0);
                g_assert_cmpint(sd_bus_call(tb->bus, set, 0, &e, NULL), >=, 0);
        }
        {
                const Object objects[] = {
                        { QEMU, (char *) QEMU_MANAGER_PATH }, { QEMU, dom }, { QEMU, snap },
                        { STORAGE, (char *) STORAGE_MANAGER_PATH }, { STORAGE, pool }, { STORAGE, vol },
                        { SECRET, (char *) SECRET_MANAGER_PATH }, { SECRET, secret },
                };
                for (size_t i = 0; i < G_N_ELEMENTS(objects); i++)
                        collect(tb, &objects[i], calls);
        }
        g_assert_cmpuint(calls->len, >, 40);
        read_only = classify(calls);
        g_assert_cmpuint(read_only, >, 10);
        qemu_pid = test_bus_name_pid(tb, QEMU);
        storage_pid = test_bus_name_pid(tb, STORAGE);
        secret_pid = test_bus_name_pid(tb, SECRET);
        before = state_tree(tb);

        out = run_calls_as_nobody(tb, calls);

        {
                g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
                guint answered = 0;

                for (char **l = lines; *l && **l; l++) {
                        g_auto(GStrv) f = g_strsplit(*l, "\t", 2);
                        Callable *c = calls->pdata[atoi(f[0])];
                        const char *err = f[1];

                        answered++;
                        if (c->property) {
                                if (!g_str_equal(err, VMMD_DBUS_ERROR_OPERATION_DENIED))
                                        g_error("Set %s.%s on %s as uid 65534: %s", c->iface, c->member, c->path, err);
                                sets++;
                        } else if (c->read_only) {
                                /* a read: it works, or refuses a nonsense zero argument; never a denial */
                                if (g_str_equal(err, "-"))
                                        worked++;
                                else if (g_str_has_prefix(err, VMMD_ERROR_PREFIX) &&
                                         !g_str_equal(err, VMMD_DBUS_ERROR_OPERATION_DENIED))
                                        refused_otherwise++;
                                else
                                        g_error("read-only %s.%s(%s) on %s as uid 65534: %s", c->iface, c->member,
                                                c->signature, c->path, err);
                        } else {
                                /* anything else is denied by the daemon itself, before looking at arguments */
                                if (!g_str_equal(err, VMMD_DBUS_ERROR_OPERATION_DENIED))
                                        g_error("mutating %s.%s(%s) on %s as uid 65534: %s (wanted OperationDenied)",
                                                c->iface, c->member, c->signature, c->path, err);
                                denied++;
                        }
                }
                g_assert_cmpuint(answered, ==, calls->len);
        }
        after = state_tree(tb);
        g_assert_cmpstr(before, ==, after);
        g_assert_cmpint(test_bus_name_pid(tb, QEMU), ==, qemu_pid);
        g_assert_cmpint(test_bus_name_pid(tb, STORAGE), ==, storage_pid);
        g_assert_cmpint(test_bus_name_pid(tb, SECRET), ==, secret_pid);
        g_assert_null(strstr(out, "torture-value"));
        printf("# torture-unpriv: %u methods (%u read-only by the interface files) and %u writable properties from "
               "introspection; as uid 65534 %u reads worked, %u refused their zero arguments, all %u other methods "
               "and every Set were OperationDenied; state unchanged\n",
               calls->len - sets, read_only, sets, worked, refused_otherwise, denied);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/torture/unprivileged", test_unprivileged);
        return g_test_run();
}

/* End-to-end: the twelve domains virt-install makes start paused under real QEMU, and SPICE/VNC listen where the live XML says. */
#include <arpa/inet.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e-util.h"

#define START_MS 60000
#define STOP_MS 30000
#define DOMAIN_START_PAUSED 1
#define DOMAIN_XML_SECURE 1
#define STATE_PAUSED 3

static const char *data_dir(void) {
        const char *root = g_getenv("VMMD_SOURCE_ROOT");
        g_assert_nonnull(root);
        return root;
}

static char *typical_dir(void) {
        return g_build_filename(data_dir(), "tests", "data", "typical-domains", NULL);
}

static void run_checked(const char *const *argv) {
        g_autoptr(GError) error = NULL;
        int status = 0;

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                          NULL, NULL, &status, &error))
                g_error("%s: %s", argv[0], error->message);
        if (!g_spawn_check_wait_status(status, &error))
                g_error("%s: %s", argv[0], error->message);
}

/* XPath helper: the string value of expr in the document, or NULL */
static char *xpath_string(xmlDocPtr doc, const char *expr) {
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        xmlXPathObjectPtr obj = xmlXPathEvalExpression((const xmlChar *) expr, ctx);
        char *ret = NULL;

        if (obj && obj->type == XPATH_STRING && obj->stringval && *obj->stringval)
                ret = g_strdup((const char *) obj->stringval);
        xmlXPathFreeObject(obj);
        xmlXPathFreeContext(ctx);
        return ret;
}

static int xpath_count(xmlDocPtr doc, const char *expr) {
        g_autofree char *e = g_strdup_printf("count(%s)", expr);
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        xmlXPathObjectPtr obj = xmlXPathEvalExpression((const xmlChar *) e, ctx);
        int n = obj ? (int) obj->floatval : -1;

        xmlXPathFreeObject(obj);
        xmlXPathFreeContext(ctx);
        return n;
}

/* The definition with its host resources in the scratch dir: every disk file created
 * (qemu-img, the format the XML names), every network interface made a user one. */
static char *prepare(TestBus *tb, const char *file) {
        g_autofree char *xml = NULL;
        g_autoptr(GRegex) src = g_regex_new("(<source file=\")([^\"]*)(\")", 0, 0, NULL);
        g_autoptr(GRegex) disk = g_regex_new("<disk type=\"file\"[^>]*>\\s*<driver[^>]*type=\"(\\w+)\"[^>]*/>\\s*"
                                             "<source file=\"([^\"]*)\"", 0, 0, NULL);
        g_autoptr(GRegex) net = g_regex_new("<interface type=\"network\">\\s*<source network=\"[^\"]*\"/>", 0, 0, NULL);
        g_autoptr(GMatchInfo) m = NULL;
        g_autofree char *replace = g_strdup_printf("\\g<1>%s\\g<2>\\g<3>", tb->dir);
        char *out, *tmp;

        g_assert_true(g_file_get_contents(file, &xml, NULL, NULL));
        /* the same paths under the scratch dir */
        out = g_regex_replace(src, xml, -1, 0, replace, 0, NULL);
        tmp = g_regex_replace(net, out, -1, 0, "<interface type=\"user\">", 0, NULL);
        g_free(out);
        out = tmp;
        for (g_regex_match(disk, out, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
                g_autofree char *format = g_match_info_fetch(m, 1);
                g_autofree char *path = g_match_info_fetch(m, 2);
                g_autofree char *dir = g_path_get_dirname(path);
                const char *argv[] = { "qemu-img", "create", "-q", "-f", format, path, "64M", NULL };

                g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
                if (!g_file_test(path, G_FILE_TEST_EXISTS))
                        run_checked(argv);
        }
        return out;
}

static bool tcp_connects(const char *addr, int port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        g_assert_cmpint(inet_pton(AF_INET, addr, &sa.sin_addr), ==, 1);
        ok = fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
        if (fd >= 0)
                close(fd);
        return ok;
}

/* A VNC server greets with its protocol version */
static bool vnc_greets(const char *addr, int port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        struct timeval tv = { .tv_sec = 10 };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        char buf[13] = { 0 };
        bool ok = false;

        g_assert_cmpint(inet_pton(AF_INET, addr, &sa.sin_addr), ==, 1);
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 && read(fd, buf, 12) == 12)
                ok = g_str_has_prefix(buf, "RFB ");
        close(fd);
        return ok;
}

/* True when process pid holds a TCP socket listening on port: its fds name the socket
 * inodes, /proc/net/tcp says which inode listens where (state 0A is LISTEN). */
static bool pid_listens_on(pid_t pid, int port) {
        g_autofree char *fd_dir = g_strdup_printf("/proc/%d/fd", (int) pid);
        g_autoptr(GHashTable) inodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GDir) d = NULL;
        const char *tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
        g_autofree char *want = g_strdup_printf(":%04X", port);

        for (size_t t = 0; t < G_N_ELEMENTS(tables); t++) {
                g_autofree char *data = NULL;
                g_auto(GStrv) lines = NULL;

                if (!g_file_get_contents(tables[t], &data, NULL, NULL))
                        continue;
                lines = g_strsplit(data, "\n", -1);
                for (char **l = lines; *l; l++) {
                        g_auto(GStrv) f = g_strsplit_set(g_strstrip(*l), " ", -1);
                        GPtrArray *cols = g_ptr_array_new();

                        for (char **c = f; *c; c++)
                                if (**c)
                                        g_ptr_array_add(cols, *c);
                        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
                        if (cols->len > 9 && g_str_has_suffix(g_ptr_array_index(cols, 1), want) &&
                            g_str_equal(g_ptr_array_index(cols, 3), "0A"))
                                g_hash_table_add(inodes, g_strdup_printf("socket:[%s]", (char *) g_ptr_array_index(cols, 9)));
                        g_ptr_array_free(cols, TRUE);
                }
        }
        d = g_dir_open(fd_dir, 0, NULL);
        g_assert_nonnull(d);
        for (const char *n; (n = g_dir_read_name(d));) {
                g_autofree char *link = g_build_filename(fd_dir, n, NULL);
                g_autofree char *target = g_file_read_link(link, NULL);
                if (target && g_hash_table_contains(inodes, target))
                        return true;
        }
        return false;
}

static void check_graphics(xmlDocPtr live, const char *name, pid_t pid) {
        int n = xpath_count(live, "/domain/devices/graphics");

        for (int i = 1; i <= n; i++) {
                g_autofree char *e_type = g_strdup_printf("string(/domain/devices/graphics[%d]/@type)", i);
                g_autofree char *e_port = g_strdup_printf("string(/domain/devices/graphics[%d]/@port)", i);
                g_autofree char *e_listen = g_strdup_printf("string(/domain/devices/graphics[%d]/@listen)", i);
                g_autofree char *e_laddr = g_strdup_printf("string(/domain/devices/graphics[%d]/listen/@address)", i);
                g_autofree char *type = xpath_string(live, e_type);
                g_autofree char *port_s = xpath_string(live, e_port);
                g_autofree char *listen = xpath_string(live, e_listen);
                g_autofree char *laddr = xpath_string(live, e_laddr);
                int port;

                g_assert_nonnull(port_s);
                port = atoi(port_s);
                g_test_message("%s: %s graphics on %s:%d", name, type, listen ? listen : "?", port);
                /* the live XML names the real port and address, not -1 and nothing */
                g_assert_cmpint(port, >=, 5900);
                g_assert_cmpstr(listen, ==, "127.0.0.1");
                g_assert_cmpstr(laddr, ==, "127.0.0.1");
                g_assert_true(pid_listens_on(pid, port));
                if (g_str_equal(type, "vnc"))
                        g_assert_true(vnc_greets(listen, port));
                else
                        g_assert_true(tcp_connects(listen, port));
        }
}

/* Unix channels the XML left without a path have one now, and QEMU listens on it. */
static void check_channels(TestBus *tb, xmlDocPtr live, const char *name) {
        int n = xpath_count(live, "/domain/devices/channel[@type='unix']");

        for (int i = 1; i <= n; i++) {
                g_autofree char *e = g_strdup_printf("string(/domain/devices/channel[@type='unix'][%d]/source/@path)", i);
                g_autofree char *path = xpath_string(live, e);
                struct stat st;

                g_assert_nonnull(path);
                g_test_message("%s: unix channel at %s", name, path);
                g_assert_true(g_str_has_prefix(path, tb->root));
                g_assert_nonnull(strstr(path, "/run/vmmd/qemu/channel/"));
                g_assert_cmpint(stat(path, &st), ==, 0);
                g_assert_true(S_ISSOCK(st.st_mode));
        }
}

static void start_paused(TestBus *tb, const char *path, const char *what) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (e2e_domain_call(tb, path, "Create", false, DOMAIN_START_PAUSED, &e) < 0)
                g_error("%s: Create: %s: %s", what, e.name, e.message);
}

static void test_typical(gconstpointer data) {
        const char *base = data;
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *dir = typical_dir();
        g_autofree char *file = g_build_filename(dir, base, NULL);
        g_autofree char *xml = prepare(tb, file);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = test_define(tb, xml, 0, &e), *live_xml = NULL, *uuid = NULL;
        g_autofree char *inactive = NULL;
        xmlDocPtr live;
        int state, reason;
        pid_t pid;

        if (!path)
                g_error("%s: define: %s: %s", base, e.name, e.message);
        start_paused(tb, path, base);
        test_prop_state(tb, path, &state, &reason);
        g_assert_cmpint(state, ==, STATE_PAUSED);
        uuid = test_prop_string(tb, path, "UUID");
        pid = e2e_qemu_pid(tb, uuid);
        g_assert_cmpint(pid, >, 0);
        g_assert_cmpint(kill(pid, 0), ==, 0);

        live_xml = test_get_xml(tb, path, 0);
        live = xmlReadMemory(live_xml, (int) strlen(live_xml), "live.xml", NULL, XML_PARSE_NONET);
        g_assert_nonnull(live);
        check_graphics(live, base, pid);
        check_channels(tb, live, base);
        xmlFreeDoc(live);

        /* the stored definition keeps asking for an automatic port */
        inactive = test_get_xml(tb, path, 2 /* INACTIVE */);
        g_assert_null(strstr(inactive, "/run/vmmd/qemu/channel/"));

        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_pid_exit(pid, STOP_MS));
}

/* A SPICE password: in the live XML only with SECURE, which only a privileged caller may ask. */
static void test_spice_password(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *dir = typical_dir();
        g_autofree char *file = g_build_filename(dir, "desktop-linux.xml", NULL);
        g_autofree char *xml0 = prepare(tb, file);
        g_autoptr(GRegex) re = g_regex_new("autoport=\"yes\">", 0, 0, NULL);
        g_autofree char *xml = g_regex_replace(re, xml0, -1, 0, "autoport=\"yes\" passwd=\"s3cret\">", 0, NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = test_define(tb, xml, 0, &e), *plain = NULL, *secure = NULL;

        g_assert_nonnull(path);
        start_paused(tb, path, "desktop-linux");
        plain = test_get_xml(tb, path, 0);
        g_assert_null(strstr(plain, "s3cret"));
        secure = test_get_xml(tb, path, DOMAIN_XML_SECURE);
        g_assert_nonnull(strstr(secure, "passwd='s3cret'"));
        g_assert_cmpint(test_call_nobody(tb, path, QEMU_DOMAIN_INTERFACE, "GetXMLDesc", &e, "u", DOMAIN_XML_SECURE),
                        <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, NULL);
        sd_bus_error_free(&e);
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
}

/* Two domains asking for an automatic port get different ones. */
static void test_autoport_distinct(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *dir = typical_dir();
        const char *names[] = { "windows10.xml", "vnc-generic.xml", "windows11.xml" };
        int ports[G_N_ELEMENTS(names)];

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_autofree char *file = g_build_filename(dir, names[i], NULL);
                g_autofree char *xml = prepare(tb, file);
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *path = test_define(tb, xml, 0, &e), *live = NULL;
                const char *p;

                g_assert_nonnull(path);
                start_paused(tb, path, names[i]);
                live = test_get_xml(tb, path, 0);
                p = strstr(live, "<graphics type=");
                g_assert_nonnull(p);
                p = strstr(p, "port='");
                g_assert_nonnull(p);
                ports[i] = atoi(p + 6);
                for (size_t j = 0; j < i; j++)
                        g_assert_cmpint(ports[i], !=, ports[j]);
        }
}

static char *uefi_xml(TestBus *tb) {
        g_autofree char *dir = typical_dir();
        g_autofree char *file = g_build_filename(dir, "windows11.xml", NULL);
        g_autofree char *xml = prepare(tb, file);
        g_autoptr(GRegex) re = g_regex_new("<os>", 0, 0, NULL);

        return g_regex_replace(re, xml, -1, 0, "<os firmware=\"efi\">", 0, NULL);
}

/* firmware='efi': the daemon picks OVMF and a per-domain variable store from its template */
static void test_uefi(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = uefi_xml(tb);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = test_define(tb, xml, 0, &e), *live = NULL, *inactive = NULL;
        g_autofree char *vars = test_root_file(tb, "var/lib/vmmd/qemu/nvram/windows11_VARS.fd");
        g_autofree char *tpl = NULL, *copy = NULL;
        gsize tlen = 0, clen = 0;

        if (!g_file_test("/usr/share/OVMF/OVMF_CODE_4M.fd", G_FILE_TEST_EXISTS)) {
                g_test_skip("the ovmf package is not installed (scripts/deps.sh installs it)");
                return;
        }
        g_assert_nonnull(path);
        start_paused(tb, path, "windows11 (UEFI)");
        live = test_get_xml(tb, path, 0);
        g_assert_nonnull(strstr(live, "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"));
        g_assert_nonnull(strstr(live, vars));
        g_assert_true(g_file_get_contents("/usr/share/OVMF/OVMF_VARS_4M.fd", &tpl, &tlen, NULL));
        g_assert_true(g_file_get_contents(vars, &copy, &clen, NULL));
        g_assert_cmpuint(clen, ==, tlen);
        /* the stored definition still just says efi */
        inactive = test_get_xml(tb, path, 2 /* INACTIVE */);
        g_assert_null(strstr(inactive, "OVMF_CODE"));
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
}

/* Without the firmware package: ConfigUnsupported naming it, and no variable store made */
static void test_uefi_missing(void) {
        const char *env[] = { "VMMD_FIRMWARE_DIR=/nonexistent/OVMF", NULL };
        g_autoptr(E2EBus) tb = e2e_bus_new(env);
        g_autofree char *xml = uefi_xml(tb);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = test_define(tb, xml, 0, &e);
        g_autofree char *nvram = test_root_file(tb, "var/lib/vmmd/qemu/nvram");

        g_assert_nonnull(path);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, DOMAIN_START_PAUSED, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "ovmf", "/nonexistent/OVMF/OVMF_CODE_4M.fd");
        g_assert_false(test_prop_bool(tb, path, "Active"));
        g_assert_false(g_file_test(nvram, G_FILE_TEST_EXISTS));
}

/* an <nvram> that is no absolute path (here one holding a <source>, whose text is blank) is
 * refused at Create, and no variable store appears where the daemon runs */
static void test_uefi_nvram_relative(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *base = uefi_xml(tb);
        g_autoptr(GRegex) re = g_regex_new("</os>", 0, 0, NULL);
        g_autofree char *xml = g_regex_replace(re, base, -1, 0,
                                               "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd"
                                               "</loader><nvram type='file'>\n      <source file='/nonexistent/v.fd'/>"
                                               "\n    </nvram></os>", 0, NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = test_define(tb, xml, 0, &e);
        g_autofree char *blank = g_strdup("\n      \n    ");

        g_assert_nonnull(path);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, DOMAIN_START_PAUSED, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "absolute");
        g_assert_false(test_prop_bool(tb, path, "Active"));
        /* the daemon runs where the bus was started: this test's working directory */
        g_assert_false(g_file_test(blank, G_FILE_TEST_EXISTS));
}

static int compare_names(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

int main(int argc, char **argv) {
        g_autofree char *dir = NULL;
        g_autoptr(GDir) d = NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

        g_test_init(&argc, &argv, NULL);
        dir = typical_dir();
        d = g_dir_open(dir, 0, NULL);
        g_assert_nonnull(d);
        for (const char *n; (n = g_dir_read_name(d));)
                if (g_str_has_suffix(n, ".xml"))
                        g_ptr_array_add(names, g_strdup(n));
        g_ptr_array_sort(names, compare_names);
        g_assert_cmpint(names->len, ==, 12);
        for (guint i = 0; i < names->len; i++) {
                const char *n = g_ptr_array_index(names, i);
                g_autofree char *stem = g_strndup(n, strlen(n) - 4);
                g_autofree char *tpath = g_strdup_printf("/typical/start/%s", stem);
                g_test_add_data_func(tpath, n, test_typical);
        }
        g_test_add_func("/typical/spice-password", test_spice_password);
        g_test_add_func("/typical/autoport-distinct", test_autoport_distinct);
        g_test_add_func("/typical/uefi", test_uefi);
        g_test_add_func("/typical/uefi-missing-firmware", test_uefi_missing);
        g_test_add_func("/typical/uefi-nvram-not-a-path", test_uefi_nvram_relative);
        return g_test_run();
}

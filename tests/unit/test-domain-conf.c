/* Unit tests for the domain conf library: golden round trips, idempotence, errors, API. */
#include "domain-conf.h"
#include "error.h"
#include "unit-util.h"

#include <string.h>

/*
 * Golden convention: tests/data/domain/out/NAME.xml is
 *     domain_def_format(post_parse(parse(in/NAME.xml, VALIDATE)), FORMAT_SECURE)
 * The machine type is whatever the input says (canonicalising aliases is the daemon's
 * job), so a missing machine formats as missing and post_parse treats it as i440fx.
 * Values the parser generates at random (a missing <uuid>, a missing <mac>) are masked
 * in the output before comparing: the UUID becomes 00000000-0000-0000-0000-000000000000
 * and a generated MAC 52:54:00:00:00:00; both masks are themselves valid, so the
 * masked out files still round-trip.
 * Set VMMD_TEST_REGENERATE=1 to rewrite the out files (review the diff before committing).
 */

#define MASK_UUID "00000000-0000-0000-0000-000000000000"
#define MASK_MAC "52:54:00:00:00:00"

/* Inputs that use elements/attributes outside the schema on purpose: they must fail
 * VALIDATE and parse without it, dropping the unknown parts (device elements without a
 * parser are kept as written instead, see other-devices). */
static const char *const not_schema_valid[] = {
        "unknown-elements",
        "unknown-attributes",
        "graphics-listen-untyped",
        "graphics-spice-duplicate",
        NULL,
};

static const char *data_dir(void) {
        const char *d = g_getenv("VMMD_TEST_DATA");

        if (!d)
                g_error("VMMD_TEST_DATA is not set (meson sets it)");
        return d;
}

static char *data_path(const char *sub, const char *name) {
        g_autofree char *file = g_strconcat(name, ".xml", NULL);
        return g_build_filename(data_dir(), "domain", sub, file, NULL);
}

static char *read_file(const char *path) {
        g_autoptr(GError) error = NULL;
        char *contents = NULL;

        if (!g_file_get_contents(path, &contents, NULL, &error))
                g_error("%s", error->message);
        return contents;
}

/* Replaces every value that the parser generated at random (see the convention above). */
static char *mask_generated(const char *input, const char *output) {
        g_autoptr(GRegex) uuid_re = g_regex_new("<uuid>[^<]*</uuid>", 0, 0, NULL);
        g_autoptr(GRegex) mac_re = g_regex_new("<mac address='([0-9a-f:]{17})'/>", 0, 0, NULL);
        g_autofree char *lower_in = g_ascii_strdown(input, -1);
        g_autoptr(GMatchInfo) m = NULL;
        g_autoptr(GString) out = g_string_new(NULL);
        const char *p = output;

        if (!strstr(input, "<uuid")) {
                g_autofree char *s = g_regex_replace_literal(uuid_re, output, -1, 0,
                                                             "<uuid>" MASK_UUID "</uuid>", 0, NULL);
                g_string_assign(out, s);
        } else {
                g_string_assign(out, output);
        }
        p = out->str;
        g_regex_match(mac_re, p, 0, &m);
        while (g_match_info_matches(m)) {
                g_autofree char *mac = g_match_info_fetch(m, 1);
                int start, end;

                g_match_info_fetch_pos(m, 1, &start, &end);
                if (!strstr(lower_in, mac))
                        memcpy(out->str + start, MASK_MAC, strlen(MASK_MAC));
                g_match_info_next(m, NULL);
        }
        return g_string_free(g_steal_pointer(&out), FALSE);
}

static char *round_trip(const char *xml, unsigned parse_flags, GError **error) {
        g_autoptr(DomainDef) def = domain_def_parse_string(xml, parse_flags, error);

        if (!def || !domain_def_post_parse(def, error))
                return NULL;
        return domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE);
}

static void test_golden(gconstpointer data) {
        const char *name = data;
        g_autofree char *in_path = data_path("in", name);
        g_autofree char *out_path = data_path("out", name);
        g_autofree char *input = read_file(in_path);
        g_autofree char *actual = NULL, *masked = NULL;
        g_autoptr(GError) error = NULL;
        unsigned flags = DOMAIN_DEF_PARSE_VALIDATE;

        if (g_strv_contains(not_schema_valid, name)) {
                g_autoptr(DomainDef) def = domain_def_parse_string(input, DOMAIN_DEF_PARSE_VALIDATE, &error);
                g_assert_null(def);
                g_assert_error(error, VMMD_ERROR, VMMD_ERROR_XML_INVALID_SCHEMA);
                g_clear_error(&error);
                flags = 0;
        }
        actual = round_trip(input, flags, &error);
        g_assert_no_error(error);
        masked = mask_generated(input, actual);

        unit_check_golden(out_path, masked);
}

/* format(parse(out)) == out: our own output is valid, stable and complete. */
static void test_idempotent(gconstpointer data) {
        const char *name = data;
        g_autofree char *out_path = data_path("out", name);
        g_autofree char *expected = read_file(out_path);
        g_autofree char *actual = NULL;
        g_autoptr(GError) error = NULL;

        actual = round_trip(expected, DOMAIN_DEF_PARSE_VALIDATE, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(actual, ==, expected);
}

/* --- error cases: tests/data/domain/err/NAME.xml --- */

typedef struct {
        const char *file;
        unsigned flags;
        int code;
        const char *mention1, *mention2;
} ErrorCase;

static const ErrorCase error_cases[] = {
        { "not-well-formed", 0, VMMD_ERROR_XML_DETAIL, "line 5", NULL },
        { "wrong-root", 0, VMMD_ERROR_XML_ERROR, "domain", "network" },
        { "net-mtu-too-small", 0, VMMD_ERROR_XML_ERROR, "mtu", "52:54:00:00:11:01" },
        { "net-mtu-not-a-number", 0, VMMD_ERROR_XML_ERROR, "mtu", NULL },
        { "no-name", 0, VMMD_ERROR_NO_NAME, NULL, NULL },
        { "empty-name", 0, VMMD_ERROR_NO_NAME, NULL, NULL },
        { "name-newline", 0, VMMD_ERROR_XML_DETAIL, "name", NULL },
        { "name-slash", 0, VMMD_ERROR_XML_ERROR, "web/1", NULL },
        { "bad-uuid", 0, VMMD_ERROR_INTERNAL_ERROR, "uuid", NULL },
        { "duplicate-pci-address", 0, VMMD_ERROR_XML_ERROR, "0000:00:05.0", NULL },
        { "duplicate-pci-address-memballoon", 0, VMMD_ERROR_XML_ERROR, "0000:00:07.0", NULL },
        { "q35-sata1-on-sata0-slot", 0, VMMD_ERROR_XML_ERROR, "0000:00:1f.2", "SATA controller 0" },
        { "seclabel-dynamic-norelabel", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "relabel", NULL },
        { "seclabel-static-nolabel", 0, VMMD_ERROR_XML_ERROR, "label", NULL },
        { "lifecycle-rename-restart-crash", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "rename-restart", NULL },
        { "lifecycle-rename-restart-poweroff", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "rename-restart", NULL },
        { "lifecycle-preserve-poweroff", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "on_poweroff", "preserve" },
        { "lifecycle-preserve-reboot", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "on_reboot", "preserve" },
        { "lifecycle-coredump-poweroff", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "on_poweroff", "coredump-destroy" },
        { "lifecycle-coredump-reboot", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "on_reboot", "coredump-restart" },
        { "lifecycle-poweroff-restart-reboot-destroy", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "on_poweroff", "on_reboot" },
        { "schema-unknown-element", DOMAIN_DEF_PARSE_VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, "frobnicator", NULL },
        { "schema-bad-value", DOMAIN_DEF_PARSE_VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, "schema", NULL },
        { "memory-bad-unit", 0, VMMD_ERROR_XML_ERROR, "unit", NULL },
        { "memory-missing", 0, VMMD_ERROR_XML_ERROR, "memory", NULL },
        { "disk-duplicate-target", 0, VMMD_ERROR_XML_ERROR, "vda", NULL },
        { "disk-missing-target", 0, VMMD_ERROR_XML_ERROR, "target", NULL },
        { "disk-bad-error-policy", 0, VMMD_ERROR_XML_ERROR, "error_policy", "pause" },
        { "disk-bad-rerror-policy", 0, VMMD_ERROR_XML_ERROR, "rerror_policy", "enospace" },
        { "disk-encryption-bad-format", 0, VMMD_ERROR_XML_ERROR, "rot13", "vda" },
        { "disk-encryption-bad-uuid", 0, VMMD_ERROR_XML_ERROR, "not-a-uuid", "vda" },
        { "disk-encryption-no-secret-id", 0, VMMD_ERROR_XML_ERROR, "uuid or a usage", "vda" },
        { "net-bad-mac", 0, VMMD_ERROR_XML_ERROR, "mac", NULL },
        { "net-network-no-source", 0, VMMD_ERROR_XML_ERROR, "network", NULL },
        { "net-bad-portid", 0, VMMD_ERROR_XML_ERROR, "portid", "not-a-uuid" },
        { "pci-slot-out-of-range", 0, VMMD_ERROR_XML_ERROR, "address", NULL },
        { "controller-duplicate-index", 0, VMMD_ERROR_XML_ERROR, "index", NULL },
        { "bad-virt-type", 0, VMMD_ERROR_XML_ERROR, "vmware", NULL },
        { "title-newline", 0, VMMD_ERROR_XML_ERROR, "title", NULL },
        { "entity-declaration", 0, VMMD_ERROR_XML_ERROR, "entity", NULL },
        { "memory-too-large", 0, VMMD_ERROR_XML_ERROR, "too large", NULL },
        { "memory-too-large-kib", 0, VMMD_ERROR_XML_ERROR, "too large", NULL },
        { "usb-two-masters", 0, VMMD_ERROR_XML_ERROR, "multiple 'usb' controllers", NULL },
        { "spice-bad-compression", 0, VMMD_ERROR_XML_ERROR, "compression", "zip" },
        { "tuning-bad-memory-source", 0, VMMD_ERROR_XML_ERROR, "memory source type", "disk" },
        { "tuning-duplicate-cputune", 0, VMMD_ERROR_XML_ERROR, "more than one <cputune>", NULL },
        { "tuning-hugepages-anonymous", 0, VMMD_ERROR_XML_ERROR, "hugepages", "anonymous" },
        { "tuning-bad-iothreads", 0, VMMD_ERROR_XML_ERROR, "<iothreads>", "many" },
        { "tuning-bad-cputune", 0, VMMD_ERROR_XML_ERROR, "shares", "-5" },
        { "disk-iothread-undefined", 0, VMMD_ERROR_XML_ERROR, "vda", "iothread 2" },
};

static void test_error(gconstpointer data) {
        const ErrorCase *c = data;
        g_autofree char *path = data_path("err", c->file);
        g_autofree char *xml = read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) def = domain_def_parse_string(xml, c->flags, &error);

        /* define goes on to post-parse (implicit devices, addresses), which can refuse too */
        if (def && !domain_def_post_parse(def, &error))
                g_clear_pointer(&def, domain_def_free);
        g_assert_null(def);
        g_assert_nonnull(error);
        g_test_message("%s: %s", c->file, error->message);
        g_assert_error(error, VMMD_ERROR, c->code);
        if (c->mention1)
                g_assert_nonnull(strstr(error->message, c->mention1));
        if (c->mention2)
                g_assert_nonnull(strstr(error->message, c->mention2));
}

static void test_error_empty_document(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) def = domain_def_parse_string("", 0, &error);

        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_XML_DETAIL);
        g_assert_nonnull(strstr(error->message, "line"));
}

static void test_error_bad_flags(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) def = domain_def_parse_string("<domain/>", 0x80, &error);

        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
}

/* --- API behaviour beyond the golden files --- */

static DomainDef *parse_data(const char *sub, const char *name) {
        g_autofree char *path = data_path(sub, name);
        g_autofree char *xml = read_file(path);
        g_autoptr(GError) error = NULL;
        DomainDef *def = domain_def_parse_string(xml, DOMAIN_DEF_PARSE_VALIDATE, &error);

        g_assert_no_error(error);
        return def;
}

static void test_accessors(void) {
        g_autoptr(DomainDef) def = parse_data("in", "full-guest");

        g_assert_cmpstr(domain_def_get_name(def), ==, "full-guest");
        g_assert_cmpstr(domain_def_get_uuid(def), ==, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
        g_assert_cmpstr(domain_def_get_virt_type(def), ==, "kvm");
        g_assert_cmpstr(domain_def_get_arch(def), ==, "x86_64");
        g_assert_cmpstr(domain_def_get_machine(def), ==, "pc-q35-7.2");
        g_assert_cmpstr(domain_def_get_emulator(def), ==, "/usr/bin/qemu-system-x86_64");
        g_assert_cmpint(domain_def_get_id(def), ==, -1);
        g_assert_cmpint(domain_def_get_on_poweroff(def), ==, DOMAIN_LIFECYCLE_DESTROY);
        g_assert_cmpint(domain_def_get_on_reboot(def), ==, DOMAIN_LIFECYCLE_RESTART);
        g_assert_cmpint(domain_def_get_on_crash(def), ==, DOMAIN_LIFECYCLE_COREDUMP_RESTART);

        domain_def_set_name(def, "renamed");
        domain_def_set_arch(def, "aarch64");
        domain_def_set_machine(def, "virt-7.2");
        domain_def_set_emulator(def, "/usr/bin/qemu-system-aarch64");
        domain_def_set_id(def, 7);
        g_assert_cmpstr(domain_def_get_name(def), ==, "renamed");
        g_assert_cmpstr(domain_def_get_arch(def), ==, "aarch64");
        g_assert_cmpstr(domain_def_get_machine(def), ==, "virt-7.2");
        g_assert_cmpstr(domain_def_get_emulator(def), ==, "/usr/bin/qemu-system-aarch64");
        g_assert_cmpint(domain_def_get_id(def), ==, 7);
        domain_def_set_machine(def, NULL);
        g_assert_null(domain_def_get_machine(def));
}

static void test_lifecycle_strings(void) {
        for (int a = 0; a < _DOMAIN_LIFECYCLE_MAX; a++)
                g_assert_cmpint(domain_lifecycle_action_from_string(domain_lifecycle_action_to_string(a)), ==, a);
        g_assert_cmpstr(domain_lifecycle_action_to_string(DOMAIN_LIFECYCLE_RENAME_RESTART), ==, "rename-restart");
        g_assert_cmpint(domain_lifecycle_action_from_string("explode"), ==, -1);
        g_assert_cmpint(domain_lifecycle_action_from_string(NULL), ==, -1);
}

static void test_format_flags(void) {
        g_autoptr(DomainDef) def = parse_data("in", "graphics-vnc");
        g_autofree char *secure = NULL, *plain = NULL, *inactive = NULL, *live = NULL;

        secure = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE);
        plain = domain_def_format(def, 0);
        g_assert_nonnull(strstr(secure, "passwd='s3cr&amp;t'"));
        g_assert_null(strstr(plain, "passwd"));

        domain_def_set_id(def, 12);
        live = domain_def_format(def, 0);
        inactive = domain_def_format(def, DOMAIN_DEF_FORMAT_INACTIVE);
        g_assert_true(g_str_has_prefix(live, "<domain type='kvm' id='12'>\n"));
        g_assert_true(g_str_has_prefix(inactive, "<domain type='kvm'>\n"));
        g_assert_true(g_str_has_suffix(live, "</domain>\n"));
}

static void test_format_migratable(void) {
        g_autoptr(DomainDef) def = parse_data("in", "minimal");
        g_autoptr(GError) error = NULL;
        g_autofree char *normal = NULL, *migratable = NULL;

        g_assert_true(domain_def_post_parse(def, &error));
        normal = domain_def_format(def, 0);
        migratable = domain_def_format(def, DOMAIN_DEF_FORMAT_MIGRATABLE);
        g_assert_nonnull(strstr(normal, "model='pci-root'"));
        g_assert_null(strstr(migratable, "pci-root"));
}

static void test_copy_equal(void) {
        g_autoptr(DomainDef) def = parse_data("in", "full-guest");
        g_autoptr(DomainDef) copy = NULL;
        g_autoptr(DomainDef) other = parse_data("in", "minimal");
        g_autofree char *a = NULL, *b = NULL;

        copy = domain_def_copy(def);
        g_assert_nonnull(copy);
        a = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE);
        b = domain_def_format(copy, DOMAIN_DEF_FORMAT_SECURE);
        g_assert_cmpstr(a, ==, b);
        g_assert_true(domain_def_equal(def, copy));
        g_assert_false(domain_def_equal(def, other));

        /* the id is live state, so it does not make two definitions differ */
        domain_def_set_id(copy, 3);
        g_assert_true(domain_def_equal(def, copy));
        domain_def_set_name(copy, "other-name");
        g_assert_false(domain_def_equal(def, copy));
}

static void test_seclabel_models(void) {
        g_autoptr(DomainDef) def = parse_data("in", "seclabels");
        g_autoptr(DomainDef) none = parse_data("in", "minimal");
        const char *const *models = domain_def_get_seclabel_models(def);

        g_assert_nonnull(models);
        g_assert_cmpuint(g_strv_length((char **) models), ==, 2);
        g_assert_cmpstr(models[0], ==, "selinux");
        g_assert_cmpstr(models[1], ==, "dac");
        g_assert_nonnull(domain_def_get_seclabel_models(none));
        g_assert_null(domain_def_get_seclabel_models(none)[0]);
}

static void test_generated_uuid(void) {
        g_autoptr(DomainDef) a = parse_data("in", "generated-uuid");
        g_autoptr(DomainDef) b = parse_data("in", "generated-uuid");
        char check[37];

        g_assert_true(vmmd_uuid_parse(domain_def_get_uuid(a), check));
        g_assert_cmpstr(check, ==, domain_def_get_uuid(a));
        g_assert_cmpstr(domain_def_get_uuid(a), !=, domain_def_get_uuid(b));
}

/* post_parse twice changes nothing: addresses are kept, implicit devices not re-added. */
static void test_post_parse_twice(void) {
        g_autoptr(DomainDef) def = parse_data("in", "address-assignment");
        g_autoptr(GError) error = NULL;
        g_autofree char *once = NULL, *twice = NULL;

        g_assert_true(domain_def_post_parse(def, &error));
        once = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE);
        g_assert_true(domain_def_post_parse(def, &error));
        twice = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE);
        g_assert_cmpstr(once, ==, twice);
}

/* ABI stability sees NUMA cells and SMBIOS strings (spec C37) */
static void test_abi_numa_sysinfo(void) {
        g_autoptr(DomainDef) numa = parse_data("in", "numa");
        g_autoptr(DomainDef) smbios = parse_data("in", "sysinfo-smbios");
        g_autoptr(GError) error = NULL;
        g_autofree char *path = data_path("in", "numa"), *xml = read_file(path);
        g_autofree char *path2 = data_path("in", "sysinfo-smbios"), *xml2 = read_file(path2);
        g_autoptr(GRegex) cell = g_regex_new("cpus='2,3'", 0, 0, NULL);
        g_autoptr(GRegex) vendor = g_regex_new(">Acme<", 0, 0, NULL);
        g_autofree char *xml_b = g_regex_replace(cell, xml, -1, 0, "cpus='2'", 0, NULL);
        g_autofree char *xml2_b = g_regex_replace(vendor, xml2, -1, 0, ">Other<", 0, NULL);
        g_autoptr(DomainDef) numa_b = domain_def_parse_string(xml_b, 0, &error);
        g_autoptr(DomainDef) smbios_b = domain_def_parse_string(xml2_b, 0, &error);

        g_assert_no_error(error);
        g_assert_true(domain_def_check_abi_stability(numa, numa, &error));
        g_assert_false(domain_def_check_abi_stability(numa, numa_b, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED);
        g_assert_nonnull(strstr(error->message, "NUMA cell cpus"));
        g_clear_error(&error);
        g_assert_false(domain_def_check_abi_stability(smbios, smbios_b, &error));
        g_assert_nonnull(strstr(error->message, "sysinfo bios vendor"));
}

/* C37: each guest-visible item below, changed alone, breaks ABI stability and the message
 * names it; host-side changes (disk source) and a mere reordering of timers or CPU features
 * do not */
static const char abi_base[] =
        "<domain type='qemu'><name>abi</name>"
        "<uuid>11111111-2222-3333-4444-555555555555</uuid>"
        "<genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90e</genid>"
        "<memory unit='MiB'>256</memory><vcpu>2</vcpu>"
        "<os><type arch='x86_64' machine='q35'>hvm</type><smbios mode='emulate'/></os>"
        "<cpu mode='custom'><model>Skylake-Client</model><vendor>Intel</vendor>"
        "<topology sockets='1' dies='1' cores='2' threads='1'/>"
        "<feature policy='require' name='vmx'/><feature policy='disable' name='hle'/>"
        "<numa><cell id='0' cpus='0-1' memory='262144'><distances><sibling id='0' value='10'/></distances></cell></numa>"
        "</cpu>"
        "<clock offset='utc'><timer name='rtc' tickpolicy='catchup'/><timer name='pit' tickpolicy='delay'/>"
        "<timer name='hpet' present='no'/></clock>"
        "<devices><disk type='file' device='disk'><source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/></disk>"
        "<controller type='pci' index='1' model='pcie-root-port'><model name='pcie-root-port'/>"
        "<target chassis='1' port='0x10'/></controller>"
        "<controller type='pci' index='2' model='pcie-to-pci-bridge'/>"
        "<controller type='pci' index='3' model='pci-bridge'><target chassisNr='3'/></controller>"
        "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices></domain>";

typedef struct {
        const char *what, *from, *to, *mention;   /* mention NULL: still compatible */
} AbiCase;

static const AbiCase abi_cases[] = {
        { "genid", "43dc0cf8-809b-4adb-9bea-a9abb5f3d90e", "43dc0cf8-809b-4adb-9bea-a9abb5f3d90f", "genid" },
        { "genid-removed", "<genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90e</genid>", "", "genid" },
        { "numa-memory", "memory='262144'", "memory='131072'", "NUMA cell memory" },
        { "numa-distance", "value='10'", "value='11'", "NUMA cell distance" },
        { "smbios-mode", "<smbios mode='emulate'/>", "<smbios mode='host'/>", "smbios mode" },
        { "tpm-model", "tpm-crb", "tpm-tis", "TPM" },
        { "tpm-version", "version='2.0'", "version='1.2'", "TPM" },
        { "cpu-model", "Skylake-Client", "Haswell", "cpu model" },
        { "cpu-feature-policy", "policy='disable' name='hle'", "policy='require' name='hle'", "cpu features" },
        { "cpu-feature-name", "name='vmx'", "name='svm'", "cpu features" },
        { "cpu-topology", "cores='2' threads='1'", "cores='1' threads='2'", "cpu topology" },
        { "timer-name", "name='pit'", "name='kvmclock'", "timers" },
        { "timer-tickpolicy", "tickpolicy='catchup'", "tickpolicy='merge'", "timers" },
        { "timer-present", "present='no'", "present='yes'", "timers" },
        { "root-port-model-name", "<model name='pcie-root-port'/>", "<model name='ioh3420'/>",
          "controller model name 'ioh3420'" },
        { "root-port-chassis", "chassis='1'", "chassis='4'", "controller target chassis '4'" },
        { "root-port-port", "port='0x10'", "port='0x11'", "controller target port '0x11'" },
        { "bridge-chassis-nr", "chassisNr='3'", "chassisNr='9'", "controller target chassisNr '9'" },
        /* compatible */
        { "disk-source", "/img/a.qcow2", "/img/b.qcow2", NULL },
        { "timer-order", "<timer name='rtc' tickpolicy='catchup'/><timer name='pit' tickpolicy='delay'/>",
          "<timer name='pit' tickpolicy='delay'/><timer name='rtc' tickpolicy='catchup'/>", NULL },
        { "feature-order", "<feature policy='require' name='vmx'/><feature policy='disable' name='hle'/>",
          "<feature policy='disable' name='hle'/><feature policy='require' name='vmx'/>", NULL },
};

static void test_abi_case(gconstpointer data) {
        const AbiCase *c = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) base = domain_def_parse_string(abi_base, DOMAIN_DEF_PARSE_VALIDATE, &error);
        g_autoptr(DomainDef) changed = NULL;
        g_autoptr(GString) xml = g_string_new(abi_base);

        g_assert_no_error(error);
        g_assert_cmpuint(g_string_replace(xml, c->from, c->to, 1), ==, 1);
        changed = domain_def_parse_string(xml->str, DOMAIN_DEF_PARSE_VALIDATE, &error);
        g_assert_no_error(error);
        g_assert_true(domain_def_check_abi_stability(base, base, &error));
        if (!c->mention) {
                g_assert_true(domain_def_check_abi_stability(base, changed, &error));
                g_assert_no_error(error);
                return;
        }
        g_assert_false(domain_def_check_abi_stability(base, changed, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED);
        g_test_message("%s: %s", c->what, error->message);
        g_assert_nonnull(strstr(error->message, c->mention));
}

/* Definitions as an older vmmd stored them (tests/data/domain/stored-by-older: no PCI
 * controller model names or chassisNr, no address on PIIX3's IDE). The daemon loads them
 * without post-parse; a caller's replacement XML (their dumpxml) is post-parsed today, so
 * the plain check sees differences the guest never had, and the filled one must not. */
typedef struct {
        const char *file, *from, *to;   /* one guest-visible edit the check must still refuse */
} StoredCase;

static const StoredCase stored_cases[] = {
        { "i440fx-bridge-ide", "<target chassis='1'/>", "<target chassis='1' chassisNr='7'/>" },
        { "q35-bridges", "<target chassis='2' port='0x11'/>", "<target chassis='9' port='0x11'/>" },
};

static void test_abi_stored_by_older(gconstpointer data) {
        const StoredCase *c = data;
        const char *file = c->file;
        g_autofree char *path = data_path("stored-by-older", file);
        g_autofree char *xml = read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) held = domain_def_parse_string(xml, 0, &error);
        g_autoptr(DomainDef) replacement = NULL, changed = NULL;
        g_autofree char *dumped = NULL;
        g_autoptr(GString) edited = NULL;

        g_assert_no_error(error);
        dumped = domain_def_format(held, DOMAIN_DEF_FORMAT_SECURE);
        replacement = domain_def_parse_string(dumped, DOMAIN_DEF_PARSE_VALIDATE, &error);
        g_assert_no_error(error);
        g_assert_true(domain_def_post_parse(replacement, &error));
        g_assert_false(domain_def_check_abi_stability(held, replacement, NULL));
        g_assert_true(domain_def_check_abi_stability_filled(held, replacement, &error));
        g_assert_no_error(error);
        /* still a check: a chassis other than the one it ran with is refused */
        edited = g_string_new(dumped);
        g_assert_cmpuint(g_string_replace(edited, c->from, c->to, 1), ==, 1);
        changed = domain_def_parse_string(edited->str, 0, &error);
        g_assert_no_error(error);
        g_assert_true(domain_def_post_parse(changed, &error));
        g_assert_false(domain_def_check_abi_stability_filled(held, changed, &error));
        g_test_message("%s: %s", file, error->message);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED);
}

/* <genid/> asks for a fresh ID; the formatted definition keeps it, so the next parse has the same */
static void test_genid(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) def = domain_def_parse_string(
                "<domain type='qemu'><name>g</name><genid/><memory>65536</memory><os><type>hvm</type></os></domain>",
                DOMAIN_DEF_PARSE_VALIDATE, &error);
        g_autoptr(DomainDef) again = NULL, bad = NULL;
        g_autofree char *xml = NULL, *xml2 = NULL;

        g_assert_no_error(error);
        xml = domain_def_format(def, 0);
        g_assert_nonnull(strstr(xml, "<genid>"));
        g_assert_null(strstr(xml, "<genid></genid>"));
        again = domain_def_parse_string(xml, DOMAIN_DEF_PARSE_VALIDATE, &error);
        g_assert_no_error(error);
        xml2 = domain_def_format(again, 0);
        g_assert_cmpstr(xml, ==, xml2);
        g_assert_true(domain_def_check_abi_stability(def, again, &error));
        bad = domain_def_parse_string("<domain type='qemu'><name>g</name><genid>nope</genid><memory>65536</memory>"
                                      "<os><type>hvm</type></os></domain>", 0, &error);
        g_assert_null(bad);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR);
        g_assert_nonnull(strstr(error->message, "genid"));
}

static DomainDef *many_nics(const char *machine, int n) {
        g_autoptr(GString) xml = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        DomainDef *def;

        g_string_printf(xml, "<domain type='kvm'><name>full</name>"
                        "<uuid>11111111-2222-3333-4444-555555555555</uuid>"
                        "<memory>1024</memory><os><type machine='%s'>hvm</type></os><devices>", machine);
        for (int i = 0; i < n; i++)
                g_string_append_printf(xml, "<interface type='user'><mac address='52:54:00:00:%02x:%02x'/></interface>",
                                       i / 256, i % 256);
        g_string_append(xml, "</devices></domain>");
        def = domain_def_parse_string(xml->str, DOMAIN_DEF_PARSE_VALIDATE, &error);
        g_assert_no_error(error);
        return def;
}

/* i440fx: more devices than bus 0 holds get a pci-bridge, as libvirt adds one */
static void test_pci_auto_bridge(void) {
        g_autoptr(DomainDef) def = many_nics("pc-i440fx-7.2", 40);
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = NULL;

        g_assert_true(domain_def_post_parse(def, &error));
        g_assert_no_error(error);
        xml = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE);
        g_assert_nonnull(strstr(xml, "<controller type='pci' index='1' model='pci-bridge'>"));
        g_assert_nonnull(strstr(xml, "bus='0x01' slot='0x01'"));
        g_assert_null(strstr(xml, "index='2' model='pci-bridge'"));
        /* the result is stable */
        {
                g_autoptr(DomainDef) again = domain_def_parse_string(xml, 0, &error);
                g_autofree char *xml2 = NULL;
                g_assert_true(domain_def_post_parse(again, &error));
                xml2 = domain_def_format(again, DOMAIN_DEF_FORMAT_SECURE);
                g_assert_cmpstr(xml, ==, xml2);
        }
}

/* q35: pcie-root-ports, eight to a multifunction slot of pcie.0 */
static void test_pci_auto_root_ports(void) {
        g_autoptr(DomainDef) def = many_nics("pc-q35-7.2", 40);
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = NULL;

        g_assert_true(domain_def_post_parse(def, &error));
        xml = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE);
        g_assert_nonnull(strstr(xml, "model='pcie-root-port'"));
        g_assert_nonnull(strstr(xml, "function='0x0' multifunction='on'"));
        g_assert_nonnull(strstr(xml, "function='0x7'"));
}

/* A full address space says what to change, and is not an internal error */
static void test_pci_slots_exhausted(void) {
        g_autoptr(DomainDef) def = many_nics("pc-q35-7.2", 300);
        g_autoptr(GError) error = NULL;

        g_assert_false(domain_def_post_parse(def, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR);
        g_assert_nonnull(strstr(error->message, "pcie-root-port"));
}

/* --- registration --- */

static int compare_names(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static GPtrArray *list_names(const char *sub) {
        g_autofree char *dir_path = g_build_filename(data_dir(), "domain", sub, NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &error);
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        const char *f;

        if (!dir)
                g_error("%s", error->message);
        while ((f = g_dir_read_name(dir)))
                if (g_str_has_suffix(f, ".xml"))
                        g_ptr_array_add(names, g_strndup(f, strlen(f) - 4));
        /* directory order is arbitrary; test order should not be */
        g_ptr_array_sort(names, compare_names);
        return names;
}

int main(int argc, char **argv) {
        g_autoptr(GPtrArray) in_names = NULL;
        g_autoptr(GPtrArray) out_names = NULL;
        int r;

        g_test_init(&argc, &argv, NULL);
        in_names = list_names("in");
        out_names = list_names("out");
        for (guint i = 0; i < in_names->len; i++) {
                const char *n = g_ptr_array_index(in_names, i);
                g_autofree char *path = g_strdup_printf("/domain-conf/golden/%s", n);
                g_test_add_data_func(path, n, test_golden);
        }
        for (guint i = 0; i < out_names->len; i++) {
                const char *n = g_ptr_array_index(out_names, i);
                g_autofree char *path = g_strdup_printf("/domain-conf/idempotent/%s", n);
                g_test_add_data_func(path, n, test_idempotent);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++) {
                g_autofree char *path = g_strdup_printf("/domain-conf/error/%s", error_cases[i].file);
                g_test_add_data_func(path, &error_cases[i], test_error);
        }
        g_test_add_func("/domain-conf/error/empty-document", test_error_empty_document);
        g_test_add_func("/domain-conf/error/bad-flags", test_error_bad_flags);
        g_test_add_func("/domain-conf/api/accessors", test_accessors);
        g_test_add_func("/domain-conf/api/lifecycle-strings", test_lifecycle_strings);
        g_test_add_func("/domain-conf/api/format-flags", test_format_flags);
        g_test_add_func("/domain-conf/api/format-migratable", test_format_migratable);
        g_test_add_func("/domain-conf/api/copy-equal", test_copy_equal);
        g_test_add_func("/domain-conf/api/seclabel-models", test_seclabel_models);
        g_test_add_func("/domain-conf/api/generated-uuid", test_generated_uuid);
        g_test_add_func("/domain-conf/api/post-parse-twice", test_post_parse_twice);
        g_test_add_func("/domain-conf/api/pci-slots-exhausted", test_pci_slots_exhausted);
        g_test_add_func("/domain-conf/api/pci-auto-bridge", test_pci_auto_bridge);
        g_test_add_func("/domain-conf/api/abi-numa-sysinfo", test_abi_numa_sysinfo);
        for (size_t i = 0; i < G_N_ELEMENTS(stored_cases); i++) {
                g_autofree char *path = g_strdup_printf("/domain-conf/abi/stored-by-older/%s", stored_cases[i].file);
                g_test_add_data_func(path, &stored_cases[i], test_abi_stored_by_older);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(abi_cases); i++) {
                g_autofree char *path = g_strdup_printf("/domain-conf/abi/%s", abi_cases[i].what);
                g_test_add_data_func(path, &abi_cases[i], test_abi_case);
        }
        g_test_add_func("/domain-conf/api/genid", test_genid);
        g_test_add_func("/domain-conf/api/pci-auto-root-ports", test_pci_auto_root_ports);
        r = g_test_run();
        return r;
}

/* The capabilities document: its shape, aliases before the machine list, the kvm domain type, and escaping in one place. */
#include "capabilities-conf.h"

static void test_format(void) {
        g_autoptr(CapsDef) def = caps_def_new("x86_64");
        CapsGuest *g = caps_def_add_guest(def, "x86_64", "/usr/bin/qemu-system-x86_64", true);
        CapsGuest *arm = caps_def_add_guest(def, "aarch64", "/opt/q&a/qemu-system-aarch64", false);
        g_autofree char *xml = NULL;

        caps_guest_add_machine(g, "pc-i440fx-7.2", "pc");
        caps_guest_add_machine(g, "pc-q35-7.2", "q35");
        caps_guest_add_machine(g, "microvm", NULL);
        caps_guest_add_machine(arm, "virt-7.2", "virt");
        xml = caps_def_format(def);
        g_assert_cmpstr(xml, ==,
                        "<capabilities>\n"
                        "  <host>\n"
                        "    <cpu>\n"
                        "      <arch>x86_64</arch>\n"
                        "    </cpu>\n"
                        "  </host>\n"
                        "  <guest>\n"
                        "    <os_type>hvm</os_type>\n"
                        "    <arch name='x86_64'>\n"
                        "      <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
                        "      <machine canonical='pc-i440fx-7.2'>pc</machine>\n"
                        "      <machine canonical='pc-q35-7.2'>q35</machine>\n"
                        "      <machine>pc-i440fx-7.2</machine>\n"
                        "      <machine>pc-q35-7.2</machine>\n"
                        "      <machine>microvm</machine>\n"
                        "      <domain type='qemu'/>\n"
                        "      <domain type='kvm'/>\n"
                        "    </arch>\n"
                        "  </guest>\n"
                        "  <guest>\n"
                        "    <os_type>hvm</os_type>\n"
                        "    <arch name='aarch64'>\n"
                        "      <emulator>/opt/q&amp;a/qemu-system-aarch64</emulator>\n"
                        "      <machine canonical='virt-7.2'>virt</machine>\n"
                        "      <machine>virt-7.2</machine>\n"
                        "      <domain type='qemu'/>\n"
                        "    </arch>\n"
                        "  </guest>\n"
                        "</capabilities>\n");
}

/* no emulator found: the host part alone */
static void test_no_guests(void) {
        g_autoptr(CapsDef) def = caps_def_new("riscv64");
        g_autofree char *xml = caps_def_format(def);

        g_assert_cmpstr(xml, ==,
                        "<capabilities>\n  <host>\n    <cpu>\n      <arch>riscv64</arch>\n    </cpu>\n  </host>\n"
                        "</capabilities>\n");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/capabilities-conf/format", test_format);
        g_test_add_func("/capabilities-conf/no-guests", test_no_guests);
        return g_test_run();
}

/* libFuzzer target for the network and network port XML parsers: parse, format and check the round trip. */
#include "network-conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever parses must format to XML that parses back to the same bytes: the daemon stores
 * definitions, live status and ports this way and reloads them at every start. */
static void check_network(const NetworkDef *def) {
        g_autofree char *xml = network_def_format(def, 0);
        g_autofree char *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(NetworkDef) reparsed = network_def_parse_string(xml, 0, &error);

        if (!reparsed) {
                fprintf(stderr, "formatted network XML does not parse: %s\n%s", error->message, xml);
                abort();
        }
        again = network_def_format(reparsed, 0);
        if (strcmp(xml, again) != 0) {
                fprintf(stderr, "network round trip changed the XML:\n%s---\n%s", xml, again);
                abort();
        }
}

static void check_port(const NetworkPortDef *def) {
        g_autofree char *xml = network_port_def_format(def);
        g_autofree char *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(NetworkPortDef) reparsed = network_port_def_parse_string(xml, 0, &error);

        if (!reparsed) {
                fprintf(stderr, "formatted port XML does not parse: %s\n%s", error->message, xml);
                abort();
        }
        again = network_port_def_format(reparsed);
        if (strcmp(xml, again) != 0) {
                fprintf(stderr, "port round trip changed the XML:\n%s---\n%s", xml, again);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autofree char *xml = g_strndup((const char *) data, size);
        g_autoptr(NetworkDef) net = NULL;
        g_autoptr(NetworkPortDef) port = NULL;

        /* the schema path is slower, so VALIDATE only on a share of the inputs */
        if (size > 0 && data[size - 1] == '\n') {
                network_def_free(network_def_parse_string(xml, NETWORK_DEF_PARSE_VALIDATE, NULL));
                network_port_def_free(network_port_def_parse_string(xml, NETWORK_PORT_DEF_PARSE_VALIDATE, NULL));
        }
        net = network_def_parse_string(xml, 0, NULL);
        if (net) {
                g_autoptr(NetworkDef) copy = network_def_copy(net);

                check_network(net);
                check_network(copy);
        }
        port = network_port_def_parse_string(xml, 0, NULL);
        if (port)
                check_port(port);
        return 0;
}

/* A network's DHCP leases in BRIDGE.status: the JSON array of spec network L1, read and written whole. */
#include "leases.h"
#include "fileio.h"

#include <string.h>

#include <json-glib/json-glib.h>

void vmmd_lease_free(VmmdLease *l) {
        if (!l)
                return;
        g_free(l->ip);
        g_free(l->mac);
        g_free(l->hostname);
        g_free(l->client_id);
        g_free(l->iaid);
        g_free(l->server_duid);
        g_free(l);
}

static char *member_string(JsonObject *o, const char *name) {
        JsonNode *n = json_object_get_member(o, name);

        if (!n || json_node_get_value_type(n) != G_TYPE_STRING)
                return g_strdup("");
        return g_strdup(json_node_get_string(n));
}

GPtrArray *vmmd_leases_read(const char *file) {
        GPtrArray *leases = g_ptr_array_new_with_free_func((GDestroyNotify) vmmd_lease_free);
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonNode *root;
        JsonArray *array;

        if (!json_parser_load_from_file(parser, file, NULL))
                return leases;
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_ARRAY(root))
                return leases;
        array = json_node_get_array(root);
        for (guint i = 0; i < json_array_get_length(array); i++) {
                JsonNode *n = json_array_get_element(array, i);
                JsonObject *o;
                VmmdLease *l;

                if (!JSON_NODE_HOLDS_OBJECT(n))
                        continue;
                o = json_node_get_object(n);
                l = g_new0(VmmdLease, 1);
                l->ip = member_string(o, "ip-address");
                l->mac = member_string(o, "mac-address");
                l->hostname = member_string(o, "hostname");
                l->client_id = member_string(o, "client-id");
                l->iaid = member_string(o, "iaid");
                l->server_duid = member_string(o, "server-duid");
                if (json_object_has_member(o, "expiry-time"))
                        l->expiry = json_object_get_int_member(o, "expiry-time");
                if (!*l->ip) {
                        vmmd_lease_free(l);
                        continue;
                }
                g_ptr_array_add(leases, l);
        }
        return leases;
}

int vmmd_leases_write(const char *file, const GPtrArray *leases) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;

        json_builder_begin_array(b);
        for (guint i = 0; i < leases->len; i++) {
                const VmmdLease *l = leases->pdata[i];

                json_builder_begin_object(b);
                json_builder_set_member_name(b, "ip-address");
                json_builder_add_string_value(b, l->ip);
                json_builder_set_member_name(b, "mac-address");
                json_builder_add_string_value(b, l->mac);
                if (*l->hostname) {
                        json_builder_set_member_name(b, "hostname");
                        json_builder_add_string_value(b, l->hostname);
                }
                if (*l->client_id) {
                        json_builder_set_member_name(b, "client-id");
                        json_builder_add_string_value(b, l->client_id);
                }
                if (*l->iaid) {
                        json_builder_set_member_name(b, "iaid");
                        json_builder_add_string_value(b, l->iaid);
                }
                if (*l->server_duid) {
                        json_builder_set_member_name(b, "server-duid");
                        json_builder_add_string_value(b, l->server_duid);
                }
                json_builder_set_member_name(b, "expiry-time");
                json_builder_add_int_value(b, l->expiry);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        json_generator_set_pretty(gen, TRUE);
        text = json_generator_to_data(gen, NULL);
        return vmmd_write_file_atomic(file, text, strlen(text), 0644);
}

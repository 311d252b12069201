/* The runtime status file of an active domain: written on every visible change, read back on daemon start. */
#include "domain-status.h"

#include <libxml/parser.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "xml-util.h"

void domain_status_job_free(DomainStatusJob *job) {
        if (!job)
                return;
        g_free(job->kind);
        g_free(job->target);
        g_free(job->partial);
        g_free(job->snapshot);
        g_free(job->parent);
        g_free(job->qemu_job);
        g_free(job);
}

void domain_status_free(DomainStatus *st) {
        if (!st)
                return;
        domain_status_job_free(st->parsed_job);
        g_free(st->monitor);
        domain_def_free(st->def);
        g_free(st);
}

char *domain_status_format(const DomainStatus *st) {
        g_autofree char *xml = domain_def_format(st->def, DOMAIN_DEF_FORMAT_SECURE);
        g_autofree char *monitor = g_markup_escape_text(st->monitor ? st->monitor : "", -1);
        g_autoptr(GString) s = g_string_new(NULL);
        g_auto(GStrv) lines = g_strsplit(xml, "\n", -1);

        g_string_append_printf(s, "<domstatus state='%d' reason='%d' pid='%d' id='%d' persistent='%s'%s>\n",
                               st->state, st->reason, (int) st->pid, st->id, st->persistent ? "yes" : "no",
                               st->autodestroy ? " autodestroy='yes'" : "");
        g_string_append_printf(s, "  <monitor path='%s'/>\n", monitor);
        if (st->fake_reboot)
                g_string_append(s, "  <fakereboot/>\n");
        if (st->job) {
                const DomainStatusJob *j = st->job;
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "kind", j->kind);
                xml_attr(a, "wasrunning", j->was_running ? "yes" : "no");
                if (j->complete)
                        xml_attr(a, "complete", "yes");
                xml_attr(a, "target", j->target);
                xml_attr(a, "partial", j->partial);
                xml_attr(a, "snapshot", j->snapshot);
                xml_attr(a, "parent", j->parent);
                xml_attr(a, "qemujob", j->qemu_job);
                g_string_append_printf(s, "  <job%s/>\n", a->str);
        }
        for (char **l = lines; *l; l++)
                if (**l)
                        g_string_append_printf(s, "  %s\n", *l);
        g_string_append(s, "</domstatus>\n");
        return g_string_free(g_steal_pointer(&s), FALSE);
}

static int prop_int(xmlNodePtr n, const char *name) {
        g_autoptr(VmmdXmlStr) v = xmlGetProp(n, (const xmlChar *) name);
        return v ? atoi((const char *) v) : 0;
}

DomainStatus *domain_status_parse(const char *xml, GError **error) {
        g_autoptr(DomainStatus) st = g_new0(DomainStatus, 1);
        g_autoptr(xmlDoc) doc = NULL;
        xmlNodePtr root, n;

        doc = xmlReadMemory(xml, (int) strlen(xml), "status.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
        root = doc ? xmlDocGetRootElement(doc) : NULL;
        if (!root || !xmlStrEqual(root->name, (const xmlChar *) "domstatus")) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "not a domain status document");
                return NULL;
        }
        st->state = prop_int(root, "state");
        st->reason = prop_int(root, "reason");
        st->pid = prop_int(root, "pid");
        st->id = prop_int(root, "id");
        {
                g_autoptr(VmmdXmlStr) p = xmlGetProp(root, (const xmlChar *) "persistent");
                g_autoptr(VmmdXmlStr) a = xmlGetProp(root, (const xmlChar *) "autodestroy");
                st->persistent = p && xmlStrEqual(p, (const xmlChar *) "yes");
                st->autodestroy = a && xmlStrEqual(a, (const xmlChar *) "yes");
        }
        for (n = root->children; n; n = n->next) {
                if (n->type != XML_ELEMENT_NODE)
                        continue;
                if (xmlStrEqual(n->name, (const xmlChar *) "monitor")) {
                        g_autoptr(VmmdXmlStr) p = xmlGetProp(n, (const xmlChar *) "path");
                        st->monitor = g_strdup((const char *) p);
                } else if (xmlStrEqual(n->name, (const xmlChar *) "fakereboot")) {
                        st->fake_reboot = true;
                } else if (xmlStrEqual(n->name, (const xmlChar *) "job")) {
                        g_autofree char *running = xml_prop(n, "wasrunning");
                        g_autofree char *complete = xml_prop(n, "complete");
                        DomainStatusJob *j = g_new0(DomainStatusJob, 1);

                        domain_status_job_free(st->parsed_job);
                        st->parsed_job = j;
                        j->kind = xml_prop(n, "kind");
                        j->was_running = g_strcmp0(running, "yes") == 0;
                        j->complete = g_strcmp0(complete, "yes") == 0;
                        j->target = xml_prop(n, "target");
                        j->partial = xml_prop(n, "partial");
                        j->snapshot = xml_prop(n, "snapshot");
                        j->parent = xml_prop(n, "parent");
                        j->qemu_job = xml_prop(n, "qemujob");
                } else if (xmlStrEqual(n->name, (const xmlChar *) "domain")) {
                        g_autoptr(xmlBuffer) buf = xmlBufferCreate();
                        xmlNodeDump(buf, doc, n, 0, 0);
                        st->def = domain_def_parse_string((const char *) xmlBufferContent(buf), 0, error);
                        if (!st->def)
                                return NULL;
                }
        }
        if (!st->def || st->pid <= 0 || !st->monitor) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "domain status lacks its domain, pid or monitor");
                return NULL;
        }
        return g_steal_pointer(&st);
}

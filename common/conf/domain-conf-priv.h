/* The helpers the DomainDef parse/format files share; not for daemons (they read domain-def.h). */
#pragma once

#include "domain-def.h"
#include "xml-util.h"

#include <libxml/tree.h>

/* domain-conf-devices.c */
bool domain_def_parse_devices(DomainDef *def, xmlNodePtr devices, GError **error);
void domain_def_format_devices(const DomainDef *def, XmlBuf *buf, unsigned flags);
void domain_def_devices_free(DomainDef *def);
void domain_memballoon_def_free(DomainMemballoonDef *m);
void domain_controller_def_free(DomainControllerDef *c);
bool domain_chr_source_parse(xmlNodePtr node, DomainChrSource *src, GError **error);
void domain_chr_source_format(XmlBuf *child, const DomainChrSource *src, unsigned flags);
void domain_chr_source_clear(DomainChrSource *src);

/* domain-conf-graphics.c: <graphics> and <redirdev> */
gpointer domain_graphics_def_parse(xmlNodePtr node, GError **error);
void domain_graphics_def_format(XmlBuf *buf, const DomainGraphicsDef *g, unsigned flags);
void domain_graphics_def_free(DomainGraphicsDef *g);
gpointer domain_redirdev_def_parse(xmlNodePtr node, GError **error);
void domain_redirdev_def_format(XmlBuf *buf, const DomainRedirdevDef *r, unsigned flags);
void domain_redirdev_def_free(DomainRedirdevDef *r);

/* domain-conf.c */
bool domain_parse_scaled_kib(const char *value, const char *unit, const char *what, unsigned long long *ret_kib,
                             GError **error);

/* domain-conf-tuning.c */
bool domain_tuning_parse(DomainDef *def, xmlNodePtr root, GError **error);
void domain_tuning_format(const DomainDef *def, XmlBuf *buf, DomainTuningPlace place);
void domain_tuning_clear(DomainDef *def);
bool domain_tuning_check_devices(const DomainDef *def, GError **error);

/* domain-conf-numa.c */
void domain_numa_clear(DomainDef *def);
bool domain_numa_parse(DomainDef *def, xmlNodePtr cpu, GError **error);
void domain_numa_format(const DomainDef *def, XmlBuf *buf);

/* domain-conf-sysinfo.c */
bool domain_sysinfo_parse(DomainDef *def, xmlNodePtr root, GError **error);
void domain_sysinfo_format(const DomainDef *def, XmlBuf *buf);
void domain_sysinfo_format_os(const DomainDef *def, XmlBuf *buf);
void domain_sysinfo_clear(DomainDef *def);

/* domain-conf-pci.c */
void domain_device_info_format(XmlBuf *buf, const DomainDeviceInfo *info);
bool domain_def_check_pci_addresses(const DomainDef *def, GError **error);
bool domain_def_assign_addresses(DomainDef *def, GError **error);

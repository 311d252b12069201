/* Pieces shared by the pool and volume parsers: permissions, sizes, schema names. */
#pragma once

#include "storage-conf.h"
#include "xml-util.h"

void storage_perms_init(StoragePerms *perms);
void storage_perms_clear(StoragePerms *perms);
void storage_perms_copy(StoragePerms *dst, const StoragePerms *src);
/* <permissions> under parent (absent is fine); what names the owner in messages. */
bool storage_perms_parse(xmlNodePtr parent, StoragePerms *perms, const char *what, GError **error);
void storage_perms_format(XmlBuf *buf, const StoragePerms *perms);

/* <name unit='…'>N</name>: 0 when absent, 1 when parsed into *ret, -1 with error set. */
int storage_size_parse_node(xmlNodePtr parent, const char *name, uint64_t *ret, GError **error);
/* <name unit='bytes'>N</name>, the only unit either formatter writes. */
void storage_size_format(XmlBuf *buf, const char *name, uint64_t value);

/* UUIDs as every object kind writes them: parsing any accepted form into the lowercase 36-char one, and new ones. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Accepts with or without dashes, any case, surrounding blanks; writes the lowercase
 * 36-char form into out[37]. */
bool vmmd_uuid_parse(const char *s, char out[37]);
void vmmd_uuid_generate(char out[37]);

/* UUIDs as every object kind writes them: parsing any accepted form into the lowercase 36-char one, and new ones. */
#include "uuid.h"

bool vmmd_uuid_parse(const char *s, char out[37]) {
        char hex[33];
        size_t n = 0;

        if (!s)
                return false;
        while (g_ascii_isspace(*s))
                s++;
        for (; *s && !g_ascii_isspace(*s); s++) {
                if (*s == '-')
                        continue;
                if (!g_ascii_isxdigit(*s) || n == 32)
                        return false;
                hex[n++] = g_ascii_tolower(*s);
        }
        while (g_ascii_isspace(*s))
                s++;
        if (*s || n != 32)
                return false;
        hex[32] = '\0';
        g_snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
        return true;
}

void vmmd_uuid_generate(char out[37]) {
        g_autofree char *u = g_uuid_string_random();

        g_strlcpy(out, u, 37);
}

/* libFuzzer target for the image header probe: never crash or read out of bounds; what it accepts is sane. */
#include "image-probe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(GError) error = NULL;
        /* the ".dmg" rule looks at the name only; one name is enough */
        g_autoptr(VmmdImageInfo) info = vmmd_image_probe_data(data, size, "fuzz.img", &error);

        if (!info) {
                /* every refusal says why */
                if (!error || !error->message || !*error->message)
                        abort();
                return 0;
        }
        if (info->format > VMMD_IMAGE_OTHER || (info->cluster_size & (info->cluster_size - 1)) ||
            info->virtual_size > (uint64_t) INT64_MAX + 1)
                abort();
        if (info->backing_format && !info->backing_file)
                abort();
        if (info->backing_file &&
            (strlen(info->backing_file) > VMMD_IMAGE_BACKING_NAME_MAX || !*info->backing_file ||
             !g_utf8_validate(info->backing_file, -1, NULL)))
                abort();
        if (info->iso9660 && info->format != VMMD_IMAGE_RAW)
                abort();
        return 0;
}

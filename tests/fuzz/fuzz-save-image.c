/* libFuzzer target for the save-image header reader (spec domains.md C5): never crash, never accept nonsense. */
#include "save-image.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(GError) error = NULL;
        g_autoptr(SaveImage) img = save_image_parse(data, size, size, NULL, &error);

        if (!img) {
                /* every refusal says why */
                if (!error || !error->message || !*error->message)
                        abort();
                return 0;
        }
        /* what is accepted is consistent: the stream starts after the header, inside the file */
        if (img->stream_offset < 20 + img->header_len || img->stream_offset > size || !*img->domain_xml ||
            img->version > SAVE_IMAGE_VERSION)
                abort();
        return 0;
}

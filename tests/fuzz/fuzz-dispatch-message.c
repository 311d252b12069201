/* libFuzzer target for vmmd-dispatch's message decoder: frame length, header and every served procedure's arguments; never crash, and what decodes encodes again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch-names.h"
#include "dispatch.h"
#include "rpc-message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const Procedure *p;
        vr_header h;
        int64_t len;
        const uint8_t *body;
        size_t blen;
        void *args;

        if (size < VR_LEN_SIZE)
                return 0;
        len = vr_frame_length(data);
        if (len < 0)
                return 0;
        if (len < (int64_t) VR_HEADER_SIZE || len > (int64_t) VR_MESSAGE_MAX)
                abort();
        body = data + VR_LEN_SIZE;
        blen = MIN(size - VR_LEN_SIZE, (size_t) len);
        if (!vr_header_decode(body, blen, &h))
                return 0;
        /* the input's procedure, and then every served one over the same bytes */
        for (size_t i = 0; i <= procedure_count(); i++) {
                p = i == 0 ? procedure_find(h.proc) : procedure_at(i - 1);
                if (!p || !p->args_proc)
                        continue;
                args = calloc(1, p->args_size);
                if (vr_body_decode(body + VR_HEADER_SIZE, blen - VR_HEADER_SIZE, p->args_proc, args)) {
                        GBytes *again = vr_message_encode(&h, p->args_proc, args);

                        /* what decoded encodes again, never larger (a string with a NUL in it
                         * comes back cut at the NUL: C strings) */
                        if (!again || g_bytes_get_size(again) > VR_LEN_SIZE + blen)
                                abort();
                        g_bytes_unref(again);
                        xdr_free(p->args_proc, args);
                }
                free(args);
        }
        GBytes *err = vr_error_encode(&h, 1, 13, "fuzz");
        if (!err)
                abort();
        g_bytes_unref(err);
        return 0;
}

/* Calling a model's listener: the model owns the table of callbacks, the glue (or a test) installs one. */
#pragma once

/* Calls listener->member(userdata, …) when a listener with that member is installed. */
#define VMMD_LISTENER_NOTIFY(listener, userdata, member, ...)                         \
        do {                                                                          \
                if ((listener) && (listener)->member)                                 \
                        (listener)->member((userdata), __VA_ARGS__);                  \
        } while (0)

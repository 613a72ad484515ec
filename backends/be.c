/* SPDX-License-Identifier: GPL-2.0-or-later */
/* be: the table of backends (avocado-vt's vm_type names) and shared helpers. */
#include "backends/be.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <string.h>

static const struct be_ops *const backends[] = {
    &be_libvirt_ops,
    &be_qemu_ops,
};

const struct be_ops *be_lookup(const char *name)
{
    struct strbuf known = STRBUF_INIT;

    for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
        if (name && !strcmp(name, backends[i]->name))
            return backends[i];
    for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
        strbuf_addf(&known, "%s%s", i ? ", " : "", backends[i]->name);
    err_set("unknown backend (vm_type) '%s'; known: %s", name ? name : "(none)", known.buf);
    strbuf_release(&known);
    return NULL;
}

const char *be_state_name(enum be_state s)
{
    static const char *const names[] = {
        [BE_STATE_NONE] = "none",
        [BE_STATE_RUNNING] = "running",
        [BE_STATE_PAUSED] = "paused",
        [BE_STATE_SHUTOFF] = "shut off",
        [BE_STATE_CRASHED] = "crashed",
        [BE_STATE_OTHER] = "other",
    };
    return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

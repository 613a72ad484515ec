/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness over lib/pylit and migration/mig_act: the Python literals of
 * action_during_mig (tp-libvirt's configs, a user's own).  Built by `make fuzz`, run by
 * `tests/fuzz/run SECONDS act`.
 *
 * Besides crashes, leaks and hangs, it checks the contracts: an error always has a
 * message; a value read is read the same from its deep copy; a list of actions read
 * has a step name and, for a text argument, a text for any params.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "migration/mig_act.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_actions(const char *text)
{
    struct mig_actions a;
    if (mig_act_parse(text, &a) < 0) {
        if (!*err_msg())
            abort();
        if (a.n || a.a)
            abort();
        return;
    }
    struct params *p = params_new();
    params_set(p, "migrate_main_vm", "vm%s%%");
    for (size_t i = 0; i < a.n; i++) {
        if (!strcmp(mig_act_step_name(a.a[i].step), "?"))
            abort();
        char *t = mig_act_text(&a.a[i], p);
        if ((a.a[i].arg == MIG_ARG_TEXT) != (t != NULL))
            abort();
        free(t);
    }
    params_free(p);
    mig_act_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    struct pylit v, c;
    err_clear();
    if (pylit_parse(text, &v) == 0) {
        pylit_dup(&v, &c);
        if (c.kind != v.kind || c.n != v.n)
            abort();
        pylit_release(&c);
        pylit_release(&v);
    } else if (!*err_msg()) {
        abort();
    }
    check_actions(text);
    free(text);
    return 0;
}

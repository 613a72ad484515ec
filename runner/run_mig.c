/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The params the migration test types share (runner/run_mig.h). */
#include "runner/run_mig.h"
#include "lib/strbuf.h"

#include <stdlib.h>

int run_mig_options_parse(const char *text, void *field)
{
    struct be_migrate_opts *o = field;
    mig_opts_release(o);
    *o = (struct be_migrate_opts){ 0 };     /* the words say everything */
    return mig_opts_parse(text, o);
}

void run_mig_options_release(void *field)
{
    mig_opts_release(field);
}

void run_mig_options_format(const void *field, struct strbuf *out)
{
    char *words = mig_opts_format(field);
    strbuf_addstr(out, words);
    free(words);
}

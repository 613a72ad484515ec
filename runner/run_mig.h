/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_mig: the declared params the migration test types share, one definition each
 * (runner/type_migrate.c, runner/type_migrate_stress.c): a row is written once here
 * and placed in each type's table with its own options struct.
 */
#ifndef VTRUN_RUN_MIG_H
#define VTRUN_RUN_MIG_H

#include "migration/mig.h"
#include "runner/run_type.h"

/* CUSTOM parser of virsh migrate flag words into a struct be_migrate_opts
 * (mig_opts_parse; an unknown word or a combination virsh refuses is an error). */
int run_mig_options_parse(const char *text, void *field);
void run_mig_options_format(const void *field, struct strbuf *out);
void run_mig_options_release(void *field);

/* migrate_options, as tp-libvirt's virsh_migrate_stress reads it, else
 * virsh_migrate_options (avocado-vt's migration.py: params.get("migrate_options",
 * params.get("virsh_migrate_options"))); unset: MIG_OPTS_DEFAULT. */
#define RUN_MIG_OPTIONS_ROW(T, f)                                                      \
    { "migrate_options", .aliases = "virsh_migrate_options",                           \
      RUN_PARAM_CUSTOM_AT(T, f, struct be_migrate_opts, run_mig_options_parse,         \
                          run_mig_options_format),                                     \
      .release = run_mig_options_release,                                              \
      .def = MIG_OPTS_DEFAULT, .expect = "virsh migrate flag words",                   \
      .doc = "virsh migrate options: --live --offline --p2p --tunnelled --persistent " \
             "--undefinesource --unsafe --postcopy --postcopy-after-precopy "          \
             "--auto-converge --compressed --timeout N --bandwidth N --dname N ... "   \
             "(migration/mig.h)" }

/* virsh_migrate_back, the same in every migration type. */
#define RUN_MIG_BACK_ROW(T, f)                                                         \
    { "virsh_migrate_back", RUN_PARAM_BOOL_AT(T, f), .def = "no",                      \
      .doc = "migrate back to the source after each forward hop" }

#endif

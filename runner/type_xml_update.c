/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_xml_update`: tp-libvirt's libvirt/tests/src/migration/
 * migration_xml_update.py, known so that its cases say what vtrun does not build.
 *
 * The reference: prepare_vm (every device of type remove_all removed from the guest's
 * inactive XML, add_device's device attached with --config), setup_connection,
 * create_migration_xml (`dumpxml --migratable`, the device's alias or address changed
 * as `modify` says, written to a file given as `--xml FILE`), run_migration judged by
 * status_error / err_msg, and for modify = alias the destination's XML holding the new
 * alias.  None of it is built yet: every case is an ERROR naming `modify`, decided
 * before any VM starts.
 */
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <stdbool.h>

static bool xu_applies(const struct params *p)
{
    (void)p;
    return true;
}

static int xu_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict("migration_xml_update", "modify",
                                    params_get_or(p, "modify", ""), p);
}

static const struct run_need xu_needs_last[] = {
    { "not built", .applies = xu_applies, .met = xu_unbuilt_met,
      .met_doc = "prepare_vm's device edit and create_migration_xml's --xml file (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

const struct run_type run_type_migration_xml_update = {
    .name = "migration_xml_update",
    .summary = "tp-libvirt's migration_xml_update: a device's alias, address or MTU "
               "changed in the --xml of the migration (not built: ERROR)",
    .needs = { .vms = 1, .hosts = 2, .rows_last = xu_needs_last },
};

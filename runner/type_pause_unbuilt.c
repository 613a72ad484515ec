/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The types of tp-libvirt's libvirt/tests/src/migration/pause_postcopy_migration_and_recover/
 * vtrun knows but does not build yet: each case is an ERROR naming what is missing
 * (or a CANCEL the generic needs decide first: virtproxyd on monolithic hosts), never
 * "unknown test type" and never a RUN.
 *
 *  - unattended_migration_and_disruptive: the recovery is base_steps'
 *    do_migration_during_mig (runner/run_tl_nested.c) with action_during_do_mig
 *    around an unattended migration (check_event_before_unattended,
 *    wait_for_unattended_mig: see unattended_migration below), not built.
 *    (pause_and_recover_and_disruptive and pause_and_disruptive_and_recover are
 *    runner/type_pause_resume.c's.)
 *  - pause_and_recover_twice: avocado-vt's MigrationTest.do_migration for test_case =
 *    pause_and_recover_twice resumes the paused migration twice
 *    (migration_base.resume_migration: action_during_mig_resume with
 *    update_port_for_firewall_rule, status_error_resume, then status_error_resume_again);
 *    that loop is not built.
 *  - unattended_migration: check_event_before_unattended and wait_for_unattended_mig
 *    read the test's `virsh event` sessions from inside the migration's actions and
 *    start new ones after a daemon was killed (a modular host's socket activation
 *    starts it again; the lab's monolithic libvirtd does not come back by itself).
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <string.h>

/* What each type lacks, the text of its ERROR. */
static const struct {
    const char *type, *missing;
} pu_rows[] = {
    { "unattended_migration_and_disruptive",
      "the type's steps around its nested --postcopy-resume migration (the unattended "
      "migration after libvirt_service.kill_service, the type's own verify) are not "
      "built; the nested migration itself is (runner/run_tl_nested.c)" },
    { "pause_and_recover_twice",
      "avocado-vt's two resumes of the paused postcopy (resume_migration with "
      "action_during_mig_resume, status_error_resume, status_error_resume_again) and "
      "update_port_for_firewall_rule are not built" },
    { "unattended_migration",
      "check_event_before_unattended / wait_for_unattended_mig (the test's event "
      "sessions read during the migration, new ones after the daemon kill) are not "
      "built" },
};

static const char *pu_why(const char *type)
{
    for (size_t k = 0; k < ARRAY_SIZE(pu_rows); k++)
        if (type && !strcmp(pu_rows[k].type, type))
            return pu_rows[k].missing;
    return NULL;
}

static bool pu_always(const struct params *p)
{
    (void)p;
    return true;
}

static int pu_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *type = params_get(p, "type");
    const char *missing = pu_why(type);
    (void)n;
    (void)f;
    (void)why;
    err_set("tp-libvirt's %s: %s", type ? type : "?", missing ? missing : "not built");
    return -1;
}

static const struct run_need pu_needs_none[] = {
    { NULL },
};

static const struct run_need pu_needs_last[] = {
    { "not built", .applies = pu_always, .met = pu_unbuilt_met,
      .met_doc = "never: the type's recovery or event steps are not built (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static const struct run_param pu_params[] = {
    { NULL },
};

/* Never reached (the need above makes every case an ERROR); a guard all the same. */
static int pu_run(struct run_ctx *ctx)
{
    const char *missing = pu_why(ctx->type ? ctx->type->name : NULL);
    return run_error(ctx, "NotBuilt", "%s", missing ? missing : "not built");
}

#define PU_TYPE(id, text)                                                                \
    const struct run_type run_type_##id = {                                              \
        .name = #id,                                                                     \
        .summary = text " (not built yet: every case is an ERROR naming why)",           \
        .needs = { .vms = 1, .hosts = 2, .rows = pu_needs_none,                          \
                   .rows_last = pu_needs_last },                                         \
        .params = pu_params,                                                             \
        .run = pu_run,                                                                   \
    }

PU_TYPE(unattended_migration_and_disruptive,
        "tp-libvirt's unattended_migration_and_disruptive: an unattended postcopy hit by "
        "a disruptive action, then recovered");
PU_TYPE(pause_and_recover_twice,
        "tp-libvirt's pause_and_recover_twice: a paused postcopy whose first recovery "
        "fails and second succeeds");
PU_TYPE(unattended_migration,
        "tp-libvirt's unattended_migration: a postcopy left to finish after its daemon "
        "was killed or cut off");

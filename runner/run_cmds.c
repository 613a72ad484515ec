/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sub-commands beside the main command line: `vtrun merge`, `vtrun config`,
 * and the test-type table printed by --list-types. */
#include "runner/run.h"
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "runner/run_needs.h"
#include "runner/run_settings.h"
#include "runner/run_type.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_USAGE "usage: vtrun merge DIR... --out DIR [--junit-flavour full|strict] " \
                    "[--history FILE]\n"

/* vtrun merge DIR... --out DIR [--junit-flavour full|strict] [--history FILE] */
int run_cmd_merge(int argc, char **argv)
{
    const char **dirs = xcalloc((size_t)argc, sizeof(*dirs));
    const char *out = NULL, *flavour = "full", *history = NULL;
    size_t n = 0;
    int rc = RUN_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strncmp(argv[i], "--out=", 6))
            out = argv[i] + 6;
        else if (!strcmp(argv[i], "--junit-flavour") && i + 1 < argc)
            flavour = argv[++i];
        else if (!strncmp(argv[i], "--junit-flavour=", 16))
            flavour = argv[i] + 16;
        else if (!strcmp(argv[i], "--history") && i + 1 < argc)
            history = argv[++i];
        else if (!strncmp(argv[i], "--history=", 10))
            history = argv[i] + 10;
        else if (!strcmp(argv[i], "--help")) {
            printf(MERGE_USAGE
                   "Combine the results directories of shards (--shard I/N) into one job\n"
                   "directory: id, job.log, results.json, results.xml (one testsuite per\n"
                   "shard), results.html and the tests' directories, in --out.\n"
                   "--history FILE records the merged job in that history database.\n");
            rc = 0;
            goto cleanup;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "vtrun merge: unknown option '%s'\n", argv[i]);
            goto cleanup;
        } else
            dirs[n++] = argv[i];
    }
    if (!out || !n) {
        fprintf(stderr, MERGE_USAGE);
        goto cleanup;
    }
    if (res_junit_flavour_parse(flavour) < 0) {
        fprintf(stderr, "vtrun merge: --junit-flavour wants full or strict, got '%s'\n",
                flavour);
        goto cleanup;
    }
    if (res_merge(dirs, n, out, res_junit_flavour_parse(flavour)) < 0) {
        fprintf(stderr, "vtrun merge: %s\n", err_msg());
        rc = 2;
        goto cleanup;
    }
    printf("merged %zu result directories into %s\n", n, out);
    if (history && res_hist_record_dir(history, out) < 0) {
        fprintf(stderr, "vtrun merge: %s\n", err_msg());
        rc = 2;
        goto cleanup;
    }
    if (history)
        printf("recorded it in %s\n", history);
    rc = 0;
cleanup:
    free(dirs);
    return rc;
}

/* vtrun config [--settings FILE]: the effective settings and where each came from. */
int run_cmd_config(int argc, char **argv)
{
    const char *file = NULL;
    struct run_settings s;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--settings") && i + 1 < argc)
            file = argv[++i];
        else if (!strncmp(argv[i], "--settings=", 11))
            file = argv[i] + 11;
        else {
            fprintf(stderr, "usage: vtrun config [--settings FILE]\n");
            return RUN_EXIT_USAGE;
        }
    }
    run_settings_init(&s);
    if (run_settings_load_all(&s, file) < 0) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        run_settings_free(&s);
        return 2;
    }
    /* secrets (params, override, host passwords) print as ****, as everywhere else */
    run_settings_print(&s, stdout);
    run_settings_free(&s);
    return 0;
}

static void print_needs(const struct run_needs *n, FILE *out)
{
    if (n->vms == 1)
        fprintf(out, "    needs: VMs (vms)\n");
    else if (n->vms > 1)
        fprintf(out, "    needs: at least %u VMs (vms)\n", n->vms);
    if (n->hosts == 2)
        fprintf(out, "    needs: two hosts\n");
    else if (n->hosts > 2)
        fprintf(out, "    needs: %u hosts\n", n->hosts);
    run_needs_print(n->rows, out);
}

/* The rows the runner parses, as it parses them (runner/run_param.c): the params of
 * every case, then each type with its needs and its own params. */
void run_list_types(FILE *out)
{
    fprintf(out, "params of every test type:\n");
    run_param_print(run_common_params, out);
    run_param_print(run_vm_params, out);
    for (size_t i = 0; run_types[i]; i++) {
        const struct run_type *t = run_types[i];
        fprintf(out, "\n%s%s%s%s\n    %s\n", t->name, t->alias ? " (alias " : "",
                t->alias ? t->alias : "", t->alias ? ")" : "", t->summary);
        print_needs(&t->needs, out);
        run_param_print(t->params, out);
    }
    fprintf(out, "\nneeds of every case (CANCEL when unmet; capabilities and facts in the "
            "settings, docs/porting.md):\n");
    run_needs_print(run_needs_generic, out);
}

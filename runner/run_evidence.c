/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_evidence: what explains a failed test, copied into its results directory from
 * every host the test reached (openQA's post_fail_hook): the domain's QEMU log, the
 * daemon's log lines about the domain since the test started (when the daemon logs to
 * a file), the last completed job's figures, the domain XML the host runs.  Read
 * through the host transport and the backend, secrets masked, each file listed in
 * debug.log, results.json "files" and the HTML.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "runner/run_mig.h"
#include "runner/run_type.h"
#include "virt/virt.h"

/* At most this much of a log is kept: its end, where a failure is. */
#define EVIDENCE_MAX "4194304"

/* The daemon's log file from its config (log_outputs = "N:file:PATH"), then the lines
 * naming the domain ($1) from the time $2 on ("YYYY-MM-DD HH:MM:SS", UTC: libvirt's
 * log stamps).  Fixed text: the domain and the time are arguments, never shell. */
static const char daemon_log_script[] =
    "for c in /etc/libvirt/virtqemud.conf /etc/libvirt/libvirtd.conf; do"
    " [ -r \"$c\" ] || continue;"
    " f=$(sed -n 's/^[[:space:]]*log_outputs[[:space:]]*=.*[0-9]:file:\\([^ \"]*\\).*/\\1/p'"
    " \"$c\" | head -n 1);"
    " if [ -n \"$f\" ] && [ -r \"$f\" ]; then echo \"# $f\";"
    " awk -v d=\"$1\" -v t=\"$2\" 'substr($0, 1, 19) >= t && index($0, d)' \"$f\""
    " | tail -c " EVIDENCE_MAX "; exit 0; fi;"
    " done; echo '# the daemon logs to no file'";

/* Keep text as FILE in the test directory, masked; list it. */
static void keep(struct run_ctx *ctx, const char *file, const char *what, const char *text)
{
    char *path = xasprintf("%s/%s", ctx->outdir, file);
    char *masked = ctx->res ? res_test_mask(ctx->res, text) : xstrdup(text);
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(masked, f) >= 0;
    /* fclose frees the stream even when it fails (a full disk fails the last flush) */
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok) {
        run_log(ctx, "evidence: cannot write %s", path);
    } else if (ctx->res) {
        res_test_file(ctx->res, file, what);
    } else {
        run_log(ctx, "evidence: %s (%s)", file, what);
    }
    free(masked);
    free(path);
}

static void host_evidence(struct run_ctx *ctx, struct virt_vms *vms, int h, const char *since)
{
    /* in file names as the VM set writes them (virt_vms.c file_part) */
    char *hn = xstrdup(virt_vms_host_name(vms, h));
    for (char *p = hn; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            *p = '_';
    struct virt_host *link = vms->be->local_hosts ? NULL : run_host_link(ctx, h);
    if (!vms->be->local_hosts && !link)
        run_log(ctx, "evidence: host %s: %s", hn, err_msg());
    for (size_t i = 0; i < vms->n; i++) {
        const struct virt_vm *vm = &vms->vm[i];
        struct strbuf sb = STRBUF_INIT;
        char *file, *what;
        int status = -1;
        if (link) {
            char *log = xasprintf("%s/%s.log", VIRT_HOST_CONSOLE_DIR, vm->domain);
            const char *argv[] = { "tail", "-c", EVIDENCE_MAX, "--", log, NULL };
            if (virt_host_run(link, argv, 30, &sb, NULL, &status) == 0 && status == 0) {
                file = xasprintf("qemu-%s.%s.log", vm->name, hn);
                what = xasprintf("QEMU log of %s (%s) on %s", vm->name, log, hn);
                keep(ctx, file, what, sb.buf);
                free(file);
                free(what);
            } else {
                run_log(ctx, "evidence: %s: no QEMU log %s on %s", vm->name, log, hn);
            }
            free(log);
            strbuf_reset(&sb);
            const char *sh[] = { "sh", "-c", daemon_log_script, "sh", vm->domain, since, NULL };
            if (virt_host_run(link, sh, 30, &sb, NULL, &status) == 0 && status == 0) {
                file = xasprintf("daemon-%s.%s.log", vm->name, hn);
                what = xasprintf("daemon log lines about %s on %s since %s UTC", vm->domain,
                                 hn, since);
                keep(ctx, file, what, sb.buf);
                free(file);
                free(what);
            } else {
                run_log(ctx, "evidence: daemon log of %s: %s", hn, err_msg());
            }
            strbuf_reset(&sb);
        }
        enum be_state st;
        if (virt_vms_state(vms, i, h, &st) < 0 || st == BE_STATE_NONE) {
            strbuf_release(&sb);
            continue;
        }
        if (virt_vms_job_info(vms, i, h, &sb) == 0) {
            file = xasprintf("jobinfo-%s.%s.txt", vm->name, hn);
            what = xasprintf("last completed job of %s on %s (domjobinfo --completed)",
                             vm->name, hn);
            keep(ctx, file, what, sb.buf);
            free(file);
            free(what);
        } else {
            run_log(ctx, "evidence: %s on %s: %s", vm->name, hn, err_msg());
        }
        strbuf_reset(&sb);
        if (virt_vms_dump_xml(vms, i, h, &sb) == 0) {
            file = xasprintf("domain-%s.%s.xml", vm->name, hn);
            what = xasprintf("domain XML of %s on %s (%s)", vm->name, hn, be_state_name(st));
            keep(ctx, file, what, sb.buf);
            free(file);
            free(what);
        } else {
            run_log(ctx, "evidence: %s on %s: %s", vm->name, hn, err_msg());
        }
        strbuf_release(&sb);
    }
    free(hn);
}

void run_evidence(struct run_ctx *ctx, struct virt_vms *vms, double since_wall)
{
    if (ctx->status != RUN_FAIL && ctx->status != RUN_ERROR &&
        ctx->status != RUN_INTERRUPTED)
        return;
    if (!ctx->outdir || !vms->be)
        return;
    size_t reached = 0;
    for (size_t h = 0; h < vms->nhosts; h++)
        reached += virt_vms_opened(vms, (int)h);
    if (!reached)
        return;         /* nothing ran anywhere: nothing to explain */
    char since[32];
    time_t t = (time_t)since_wall;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
    double t0 = run_now();
    run_log(ctx, "evidence of the %s: from every host the test reached",
            ctx->status == RUN_FAIL ? "failure" : ctx->status == RUN_ERROR ? "error"
                                                                           : "interruption");
    for (size_t h = 0; h < vms->nhosts; h++)
        if (virt_vms_opened(vms, (int)h))
            host_evidence(ctx, vms, (int)h, since);
    /* inside the cleanup phase (phases never overlap): its time in the log only */
    run_log(ctx, "evidence kept in %.2f s", run_now() - t0);
}

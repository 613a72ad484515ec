/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate_over_unix's check_socket (tp-libvirt's libvirt/tests/src/migration/
 * migrate_over_unix.py) as a step of the timeline engine: on the source, the UNIX
 * sockets connected on the proxies' desturi-socket or migrateuri-socket counted until
 * they are expected_socket_num (default 2), for 30 s, else the test's FAIL "There
 * should be N connected unix sockets, but found M sockets."  The reference reads
 * `netstat -xanp | grep CONNECTED`; vtrun reads `ss -xanp` (iproute2, on every host),
 * whose ESTAB lines are netstat's CONNECTED ones.
 *
 * Not built: its migrate-postcopy first when postcopy_options is set (the type's
 * case is an ERROR naming it).
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UNIX_CHECK_TIMEOUT_S 30

static const char *const unix_socket_names[] = { "desturi-socket", "migrateuri-socket" };

/* Whether one ss line is a connected socket of one of the names. */
static bool unix_line_counts(const char *line, size_t len)
{
    char *l = xstrndup(line, len);
    char netid[16] = "", state[16] = "";
    bool yes = sscanf(l, "%15s %15s", netid, state) == 2 && !strcmp(state, "ESTAB");
    bool named = false;
    for (size_t k = 0; yes && k < ARRAY_SIZE(unix_socket_names) && !named; k++)
        named = strstr(l, unix_socket_names[k]) != NULL;
    free(l);
    return yes && named;
}

size_t run_tl_unix_connected(const char *ss)
{
    size_t n = 0;
    for (const char *p = ss; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        n += unix_line_counts(p, len);
        p = nl ? nl + 1 : p + len;
    }
    return n;
}

RUN_TL_MOS_STEP(run_tl_unix_sockets)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const char *exp = params_get(run_tl_run_params(t), "expected_socket_num");
    char *end;
    long want = strtol(exp && *exp ? exp : "2", &end, 10);
    struct virt_host *link = run_host_link(ctx, 0);
    struct strbuf ss = STRBUF_INIT;
    size_t found = 0;
    (void)a;

    if (*end || want < 0) {
        strbuf_addf(why, "expected_socket_num = '%s': not a number", exp);
        return MIG_TL_ERROR;
    }
    if (!link) {
        strbuf_addf(why, "check_socket: %s", err_msg());
        return MIG_TL_ERROR;
    }
    for (int tries = UNIX_CHECK_TIMEOUT_S * 2; tries > 0; tries--) {
        strbuf_reset(&ss);
        if (virt_host_run(link, (const char *[]){ "ss", "-xanp", NULL }, 30, &ss, NULL,
                          NULL) < 0) {
            strbuf_addf(why, "ss -xanp on %s: %s", ctx->hosts[0].name, err_msg());
            strbuf_release(&ss);
            return MIG_TL_ERROR;
        }
        size_t now = run_tl_unix_connected(ss.buf);
        if (now != found || tries == UNIX_CHECK_TIMEOUT_S * 2)
            run_log(ctx, "check_socket: %zu connected now", now);
        found = now;
        if ((long)found == want)
            break;
        nanosleep(&(struct timespec){ 0, 500000000 }, NULL);
    }
    run_log(ctx, "check_socket: %zu connected unix sockets of the proxies on %s (want %ld)",
            found, ctx->hosts[0].name, want);
    strbuf_release(&ss);
    if ((long)found != want) {
        strbuf_addf(why, "There should be %ld connected unix sockets, but found %zu sockets.",
                    want, found);
        return MIG_TL_FAIL;
    }
    return MIG_TL_OK;
}

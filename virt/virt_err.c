/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt_err: autotest's VMError family as one enum, one table, one formatter. */
#include "virt/virt.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <stdarg.h>
#include <string.h>

/* Command output printed in a message: the last lines are what explains a failure. */
#define VIRT_ERR_TAIL 1000

static const struct {
    const char *name;           /* autotest's class name */
    const char *what;           /* its message, without the context */
} kinds[VIRT_ERR__COUNT] = {
    [VIRT_ERR_NONE]              = { "NoError", "no error" },
    [VIRT_ERR_GENERIC]           = { "VMError", "VM error" },
    [VIRT_ERR_CREATE]            = { "VMCreateError", "VM creation failed" },
    [VIRT_ERR_IMAGE_MISSING]     = { "VMImageMissingError", "image file not found" },
    [VIRT_ERR_IMAGE_CHECK]       = { "VMImageCheckError", "image check error" },
    [VIRT_ERR_DEAD]              = { "VMDeadError", "VM is dead" },
    [VIRT_ERR_KERNEL_CRASH]      = { "VMDeadKernelCrashError", "kernel crash found on the console" },
    [VIRT_ERR_ADDRESS]           = { "VMAddressError", "guest address error" },
    [VIRT_ERR_LOGIN]             = { "LoginError", "login failed" },
    [VIRT_ERR_MIGRATE_TIMEOUT]   = { "VMMigrateTimeoutError", "migration timed out" },
    [VIRT_ERR_MIGRATE_CANCELLED] = { "VMMigrateCancelError", "migration cancelled" },
    [VIRT_ERR_MIGRATE_FAILED]    = { "VMMigrateFailedError", "migration failed" },
    [VIRT_ERR_MIGRATE_STATE]     = { "VMMigrateStateMismatchError",
                                     "VM state differs before and after migration" },
    [VIRT_ERR_COMMAND]           = { "CmdError", "command failed" },
    [VIRT_ERR_LEFT_BEHIND]       = { "LeftBehindError", "left behind" },
};

static _Thread_local enum virt_err_kind last_kind;

const char *virt_err_name(enum virt_err_kind kind)
{
    return (unsigned)kind < VIRT_ERR__COUNT ? kinds[kind].name : "VMError";
}

void virt_err_format(const struct virt_error *e, struct strbuf *out)
{
    enum virt_err_kind k = (unsigned)e->kind < VIRT_ERR__COUNT ? e->kind : VIRT_ERR_GENERIC;

    strbuf_addf(out, "%s: %s", kinds[k].name, kinds[k].what);
    if (e->vm && e->host)
        strbuf_addf(out, " (vm %s, host %s)", e->vm, e->host);
    else if (e->vm)
        strbuf_addf(out, " (vm %s)", e->vm);
    else if (e->host)
        strbuf_addf(out, " (host %s)", e->host);
    if (e->detail && *e->detail)
        strbuf_addf(out, ": %s", e->detail);
    if (e->command) {
        strbuf_addf(out, "; command `%s`", e->command);
        if (e->status >= 0)
            strbuf_addf(out, " exited %d", e->status);
    } else if (e->status >= 0) {
        strbuf_addf(out, "; status %d", e->status);
    }
    if (e->output && *e->output) {
        size_t len = strlen(e->output), start;
        while (len && (e->output[len - 1] == '\n' || e->output[len - 1] == ' '))
            len--;
        start = len > VIRT_ERR_TAIL ? len - VIRT_ERR_TAIL : 0;
        /* Start the tail at a line boundary when it was cut. */
        if (start) {
            const char *nl = memchr(e->output + start, '\n', len - start);
            if (nl)
                start = (size_t)(nl + 1 - e->output);
        }
        if (len)
            strbuf_addf(out, "; output%s:\n%.*s", start ? " (tail)" : "",
                        (int)(len - start), e->output + start);
    }
}

int virt_fail(const struct virt_error *e)
{
    struct strbuf sb = STRBUF_INIT;
    virt_err_format(e, &sb);
    err_set("%s", sb.buf);
    last_kind = e->kind;
    strbuf_release(&sb);
    return -1;
}

int virt_failf(enum virt_err_kind kind, const char *vm, const char *fmt, ...)
{
    struct strbuf detail = STRBUF_INIT;
    struct virt_error e = VIRT_ERROR_INIT(kind);
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&detail, fmt, ap);
    va_end(ap);
    e.vm = vm;
    e.detail = detail.buf;
    virt_fail(&e);
    strbuf_release(&detail);
    return -1;
}

enum virt_err_kind virt_err_last(void)
{
    return last_kind;
}

void virt_err_clear(void)
{
    last_kind = VIRT_ERR_NONE;
    err_clear();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The post-migration checks over a test's VM set (migration/mig.h): the environment
 * the check table talks to, filled from virt/'s VM set. */
#include "migration/mig.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "virt/virt.h"

static int pc_state(void *ud, size_t i, int h, enum be_state *out)
{
    return virt_vms_state(ud, i, h, out);
}

static int pc_console(void *ud, size_t i)
{
    return virt_vms_console_crash(ud, i);
}

static int pc_login(void *ud, size_t i, double timeout_s)
{
    return virt_vms_wait_login(ud, i, timeout_s);
}

static int pc_exec(void *ud, size_t i, const char *cmd, double timeout_s, struct strbuf *out,
                   int *status)
{
    return virt_vms_exec(ud, i, cmd, timeout_s, out, status);
}

static int pc_uptime(void *ud, size_t i, double *up)
{
    return virt_vms_uptime(ud, i, up);
}

static bool pc_should_stop(void *ud)
{
    return virt_vms_should_stop(ud);
}

void mig_vms_pc_env(struct virt_vms *vms, struct mig_pc_env *env)
{
    *env = (struct mig_pc_env){ .ud = vms, .state = pc_state, .console_crash = pc_console,
                                .login = pc_login, .exec = pc_exec, .uptime = pc_uptime,
                                .ping = NULL, .should_stop = pc_should_stop };
}

static void pc_log(void *ud, const char *line)
{
    struct virt_vms *vms = ud;
    virt_logf(&vms->conf.vctx, VIRT_LOG_DEBUG, "%s", line);
}

int mig_vms_postcheck(struct virt_vms *vms, const struct mig_pc_env *env,
                      const struct mig_pc_opts *o, struct mig_pc_vm *pv)
{
    struct strbuf why = STRBUF_INIT;
    int r = mig_postcheck_run(env, o, pv, &why, pc_log, vms);
    if (r < 0)
        err_set("%s", why.buf);
    strbuf_release(&why);
    return r;
}

int mig_vms_check_after_hop(struct virt_vms *vms, size_t i, int from, int to,
                            double login_timeout_s)
{
    struct virt_vm *vm = &vms->vm[i];
    struct mig_pc_env env;
    struct mig_pc_opts o;
    double before = vm->uptime;
    mig_vms_pc_env(vms, &env);
    mig_pc_opts_default(&o);
    o.check_dmesg = o.check_ping = o.check_disk = false;
    o.login_timeout_s = login_timeout_s;
    struct mig_pc_vm pv = { .vm = i, .name = vm->name, .src = from, .dst = to,
                            .uptime_before = before };
    if (mig_vms_postcheck(vms, &env, &o, &pv) < 0)
        return -1;
    virt_logf(&vms->conf.vctx, VIRT_LOG_DEBUG, "%s: on %s, uptime %.2f s (was %.2f s)",
              vm->name, virt_vms_host_name(vms, to), pv.uptime_before, before);
    return 0;
}

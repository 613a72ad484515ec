/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `p2p_keepalive`: tp-libvirt's
 * libvirt/tests/src/migration/p2p_keepalive/p2p_keepalive.py, declared so that its
 * cases say what vtrun does not build yet instead of "unknown test type".
 *
 * The reference: the keepalive settings of the source's qemu.conf (default_conf_on_src
 * removed, conf_on_src set) and of the destination daemon's file (target_conf_type
 * virtqemud / virtproxyd: default_conf_on_target removed, conf_on_target's
 * {r"KEY\s*=.*": "KEY = VALUE"} lines), the daemons restarted; both daemons' debug logs
 * (set_remote_libvirtd_log); `virsh event` on both hosts; a p2p migration
 * (--timeout 2 --timeout-suspend --bandwidth 10) whose daemon connection is broken
 * after "iteration: '1'" by libvirt_network.setup_firewall_rule (firewall_rule_on_dest
 * drops the source's packets to the daemon's port, firewall_rule_on_src the
 * destination's from it), restored by cleanup_firewall_rule before the keepalive
 * timeout (the migration succeeds) or after it (it fails: "connection closed due to
 * keepalive timeout", the VM running on the source, none on the destination); the
 * logs' countToDeath=N idle=S lines (check_str_local_log / check_str_remote_log), the
 * events, and with migrate_again a second migration that succeeds.
 *
 * Not built, an ERROR naming it (the first that applies): new_ssh_port (a second sshd
 * port with SELinux and firewalld rules, the desturi over it), tcp_config_list
 * (net.ipv4 sysctls), then the firewall steps of action_during_mig
 * (libvirt_network.setup_firewall_rule / cleanup_firewall_rule: a rule by source port
 * that virt_hostop_fw_add does not make, removed during the migration).  Built later,
 * the cases need hosts whose migration outlasts the firewall's 5 s and the keepalive's
 * 30 s after the first pass: a TCG guest's on the lab is over at once.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"

#include <stdlib.h>
#include <string.h>

struct ka_opts {
    struct run_base_mig mig;
    bool status_error, again_status_error, migrate_again;
    const char *err_msg, *test_case, *keepalive_timeout;
    const char *conf_src, *default_conf_src, *src_conf_type;
    const char *conf_target, *default_conf_target, *target_conf_type;
    const char *fw_dest, *fw_src, *new_ssh_port, *tcp_config;
    const char *events_src, *events_dst, *src_state, *dest_state;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct ka_opts, __VA_ARGS__)
static const struct run_param ka_params[] = {
    RUN_BASE_MIG_ROWS(struct ka_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail (after_keepalive_timeout)" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text must match" },
    { "test_case", AT(STR, test_case),
      .doc = "src_and_dest_keepalive_disabled: no events watched" },
    { "keepalive_timeout", AT(STR, keepalive_timeout),
      .doc = "after_keepalive_timeout: the migration fails, the VM stays on the source" },
    { "conf_on_src", AT(STR, conf_src),
      .doc = "{key: value} set in the source's src_conf_type file" },
    { "default_conf_on_src", AT(STR, default_conf_src),
      .doc = "keys (a list literal) removed from it" },
    { "src_conf_type", AT(STR, src_conf_type), .doc = "qemu: the source's qemu.conf" },
    { "conf_on_target", AT(STR, conf_target),
      .doc = "{r\"KEY\\s*=.*\": \"KEY = VALUE\"} lines of the destination daemon's file" },
    { "default_conf_on_target", AT(STR, default_conf_target),
      .doc = "keys (a list literal) removed from it" },
    { "target_conf_type", AT(STR, target_conf_type),
      .doc = "the destination daemon whose file it is (virtqemud, virtproxyd)" },
    { "firewall_rule_on_dest", AT(STR, fw_dest),
      .doc = "the rule setup_firewall_rule adds on the destination" },
    { "firewall_rule_on_src", AT(STR, fw_src),
      .doc = "the rule setup_firewall_rule adds on the source" },
    { "new_ssh_port", AT(STR, new_ssh_port),
      .doc = "desturi_ssh: a second sshd port on the destination, the desturi's" },
    { "tcp_config_list", AT(STR, tcp_config),
      .doc = "sysctls (net.ipv4.*) set on the hosts" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "expected_event_src", AT(STR, events_src),
      .doc = "a list of regexes the source's events must show" },
    { "expected_event_target", AT(STR, events_dst),
      .doc = "a list of regexes the destination's events must show" },
    { "migrate_src_state", AT(STR, src_state),
      .doc = "after_keepalive_timeout: the VM's state on the source" },
    { "migrate_dest_state", AT(STR, dest_state),
      .doc = "after_keepalive_timeout: nonexist, the VM gone from the destination" },
    { NULL },
};
#undef AT

/* The setups vtrun does not build, in the order the reference makes them: any value
 * of these params. */
static const char *const ka_unbuilt_params[] = { "new_ssh_port", "tcp_config_list" };

static const char *ka_unbuilt_param(const struct params *p, const char **val)
{
    for (size_t k = 0; k < ARRAY_SIZE(ka_unbuilt_params); k++) {
        const char *v = params_get(p, ka_unbuilt_params[k]);
        if (v && *v) {
            *val = v;
            return ka_unbuilt_params[k];
        }
    }
    return NULL;
}

/* Every case: what is not built is named, the first that applies. */
static bool ka_unbuilt_applies(const struct params *p)
{
    (void)p;
    return true;
}

static int ka_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = ka_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    if (run_base_unbuilt_verdict("p2p_keepalive", param, v, p) < 0)
        return -1;
    err_set("p2p_keepalive: the keepalive checks (both daemons' debug logs, the modular "
            "daemon's file of target_conf_type) are not built yet");
    return -1;
}

static const struct run_need ka_needs_last[] = {
    { "not built", .applies = ka_unbuilt_applies, .met = ka_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int ka_check(const struct run_common *c, void *opts)
{
    struct ka_opts *o = opts;
    (void)c;
    return run_base_words_check(&o->mig);
}

/* Every case stops at the "not built" need; a case that gets here is vtrun's bug. */
static int ka_run(struct run_ctx *ctx)
{
    return run_error(ctx, "NotBuilt", "p2p_keepalive: the firewall steps and the keepalive "
                     "checks are not built");
}

const struct run_type run_type_p2p_keepalive = {
    .name = "p2p_keepalive",
    .summary = "tp-libvirt's p2p migration whose daemon connection a firewall breaks: "
               "keepalive settings, timeout or not (not built yet: every case an ERROR "
               "naming what)",
    .needs = { .vms = 1, .hosts = 2, .rows_last = ka_needs_last },
    .params = ka_params,
    .opts_size = sizeof(struct ka_opts),
    .check = ka_check,
    .run = ka_run,
};

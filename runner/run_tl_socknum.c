/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The check_socket_num part of avocado-vt's libvirt_network.check_established(params)
 * (virttest/utils_libvirt/libvirt_network.py): with check_socket_num = yes, first the
 * UNIX sockets of the unix_proxy (desturi-socket / migrateuri-socket) connected on the
 * source are counted until they are expected_socket_num, for 30 s (run_tl_unix.c),
 * else the test's FAIL; then with check_port_or_network_conn_num = no nothing else is
 * looked at (the reference returns None).
 */
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_tl.h"

#include <string.h>

enum mig_tl_verdict run_tl_socknum_pre(struct tl_run *t, const struct mig_action *a,
                                       struct strbuf *why, bool *done)
{
    const struct params *p = run_tl_run_params(t);
    *done = false;
    if (strcmp(params_get_or(p, "check_socket_num", "no"), "yes"))
        return MIG_TL_OK;
    enum mig_tl_verdict v = run_tl_unix_sockets(t, a, why);
    *done = v != MIG_TL_OK ||
            !strcmp(params_get_or(p, "check_port_or_network_conn_num", "yes"), "no");
    return v;
}

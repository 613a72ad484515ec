/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lv_conn: a libvirt connection that comes back (issue 15, "connections that come
 * back").  Private to the libvirt backend (it includes libvirt's headers).
 *
 * Opening is bounded in time: virConnectOpen() runs in a thread of its own, with the
 * client keepalive set as soon as it returns, and the caller waits at most
 * LV_CONNECT_TIMEOUT_S; a daemon that accepts the socket and never answers (stopped,
 * hung) leaves that thread behind, which closes the connection itself if it ever opens.
 *
 * A call that failed because the connection is gone (the daemon was killed or
 * restarted, keepalive gave up on it: "client socket is closed", "End of file while
 * reading data") calls lv_conn_recover(): the connection is reopened, and the caller
 * calls again.  Reopening gets LV_RECONNECT_BUDGET_S of trying per connection between
 * two successes, so a host that stays away costs a bounded time in all; after that
 * each later call tries once more, for 2 s at most (the host may be back).
 *
 * The connection is shared by threads (the migration supervisor's calls while a hop
 * runs); a connection replaced by a new one stays open until lv_conn_close(), since
 * another thread may still be in a call on it.
 */
#ifndef VTRUN_LV_CONN_H
#define VTRUN_LV_CONN_H

#include <libvirt/libvirt.h>

#define LV_CONNECT_TIMEOUT_S 15.0
#define LV_RECONNECT_BUDGET_S 30.0

struct lv_conn;

/* Open uri, bounded; NULL + err_set() (naming uri and libvirt's words). */
struct lv_conn *lv_conn_open(const char *uri);
/* The current connection (borrowed; valid until lv_conn_close()). */
virConnectPtr lv_conn_get(struct lv_conn *c);
/* After a failed call: 1 when the connection was lost and is open again (call again),
 * 0 when the call failed for another reason (err untouched) or the connection did not
 * come back (err_set(): the call's error and why it was not reopened). */
int lv_conn_recover(struct lv_conn *c);
/* Whether the current connection is gone. */
int lv_conn_lost(struct lv_conn *c);
void lv_conn_close(struct lv_conn *c);

/* One bounded virConnectOpen() with keepalive, for a connection of its own (a
 * migration call's); NULL + err_set(). */
virConnectPtr lv_conn_open_bounded(const char *uri, double timeout_s);

#endif

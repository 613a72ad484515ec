/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * err: the last error of the calling thread.  Functions that fail return -1 (or NULL)
 * after err_set() with the whole context (file:line, VM, host, command); the caller
 * that decides what to do prints err_msg() once.
 */
#ifndef VTRUN_ERR_H
#define VTRUN_ERR_H

void err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefix the current message with more context: "ctx: <old message>". */
void err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *err_msg(void);
void err_clear(void);

#endif

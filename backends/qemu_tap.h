/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The qemu backend's bridge NICs: a tap device vtrun opens and puts on the bridge,
 * handed to QEMU as fd=N (qemu_tap.c). */
#ifndef VTRUN_QEMU_TAP_H
#define VTRUN_QEMU_TAP_H

/* A new tap device on bridge br, up: its descriptor (close-on-exec; QEMU gets it
 * through spawn_keep_fd), -1 + err naming the bridge.  The tap lives as long as a
 * descriptor of it is open: it goes with the QEMU that holds it, however that ends. */
int qtap_open(const char *br);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock: the one monotonic clock and the one sleep of vtrun.
 *
 * Deadlines, timeouts and durations are monotonic seconds (clock_now()); wall-clock
 * times (results' start stamps) are clock_wall().  clock_sleep() sleeps the whole time
 * even when a signal interrupts it (callers poll their cancel flag between naps).
 */
#ifndef VTRUN_CLOCK_H
#define VTRUN_CLOCK_H

double clock_now(void);         /* CLOCK_MONOTONIC, seconds */
double clock_wall(void);        /* CLOCK_REALTIME, seconds since the epoch */
void clock_sleep(double seconds);

#endif

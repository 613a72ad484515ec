/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vtrun cfg-dump CFG [STATEMENT]...`: the canonical dump of every case, the argv shape
 * of the reference runner used by the conformance tools.  CC_DEFAULTS=1 and
 * CC_EXPAND=a,b in the environment select defaults mode.  Exit 0, or 2 on a config
 * error (message "FILE:LINE: ..." on stderr; cases already printed stay printed).
 */
#ifndef VTRUN_RUN_CFGDUMP_H
#define VTRUN_RUN_CFGDUMP_H

int run_cfg_dump(int argc, char **argv);

#endif

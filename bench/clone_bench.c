/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clone_bench: one image clone through vtrun's own code (virt/virt_image.c), timed.
 * Built and driven by bench/clone.sh (not part of `make`: a benchmark, not a test).
 *
 *   clone_bench linked MASTER FORMAT DEST    qcow2 overlay, as image_clone_mode=linked
 *   clone_bench full MASTER DEST             copy, as image_clone_mode=full
 *
 * Prints the wall time in seconds on stdout; exit 1 with the error on stderr.
 */
#include "lib/err.h"
#include "virt/virt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double t0;
    int rc;

    if (argc == 5 && !strcmp(argv[1], "linked")) {
        t0 = mono();
        rc = virt_image_clone_linked(NULL, argv[2], argv[3], argv[4], NULL);
    } else if (argc == 4 && !strcmp(argv[1], "full")) {
        t0 = mono();
        rc = virt_image_clone_full(NULL, argv[2], argv[3], NULL);
    } else {
        fprintf(stderr, "usage: %s linked MASTER FORMAT DEST | full MASTER DEST\n", argv[0]);
        return 2;
    }
    if (rc < 0) {
        fprintf(stderr, "clone_bench: %s\n", err_msg());
        return 1;
    }
    printf("%.6f\n", mono() - t0);
    return 0;
}

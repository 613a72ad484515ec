/* SPDX-License-Identifier: GPL-2.0-or-later */
/* forkstuck: children stuck between fork and exec (lib/forkstuck.h). */
#include "lib/forkstuck.h"
#include "lib/strbuf.h"

#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Seconds since boot, as /proc/<pid>/stat's starttime counts them. */
static double uptime_s(void)
{
    double up = 0;
    FILE *f = fopen("/proc/uptime", "r");
    if (f) {
        if (fscanf(f, "%lf", &up) != 1)
            up = 0;
        fclose(f);
    }
    return up;
}

/* The ppid and start time (seconds since boot) of /proc/<name>; false if gone or a
 * zombie. */
static bool proc_stat(const char *name, long *ppid, double *start)
{
    struct strbuf sb = STRBUF_INIT;
    char *path = xasprintf("/proc/%s/stat", name);
    bool ok = false;
    if (strbuf_read_file(&sb, path, 1024) > 0) {
        /* "pid (comm) S ppid ..." and starttime is field 22: skip comm (it may hold
         * spaces) and count fields from the state, field 3 */
        char *p = strrchr(sb.buf, ')');
        char state = 0;
        unsigned long long ticks = 0;
        if (p && sscanf(p + 1, " %c %ld", &state, ppid) == 2 && state != 'Z') {
            for (int field = 3; p && field <= 22; field++)
                p = strchr(p + 1, ' ');
            ok = p && sscanf(p, " %llu", &ticks) == 1;
            *start = (double)ticks / (double)sysconf(_SC_CLK_TCK);
        }
    }
    strbuf_release(&sb);
    free(path);
    return ok;
}

static bool same_file(const struct stat *a, const char *path)
{
    struct stat b;
    return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

int forkstuck_kill(double older_s)
{
    struct stat self;
    long me = (long)getpid();
    double now = uptime_s();
    int killed = 0;
    DIR *d;

    if (stat("/proc/self/exe", &self) < 0 || !(d = opendir("/proc")))
        return 0;
    for (struct dirent *de; (de = readdir(d));) {
        long ppid;
        double start;
        if (!isdigit((unsigned char)de->d_name[0]) ||
            !proc_stat(de->d_name, &ppid, &start) || ppid != me || now - start < older_s)
            continue;
        char *exe = xasprintf("/proc/%s/exe", de->d_name);
        if (same_file(&self, exe) && kill((pid_t)atol(de->d_name), SIGKILL) == 0)
            killed++;
        free(exe);
    }
    closedir(d);
    return killed;
}

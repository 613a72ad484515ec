/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_file: atomic file replacement, mkdir -p, whole-file reads. */
#include "results/res_model.h"

#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Write to "<path>.tmp.<pid>.<tid>" in the same directory, fsync, rename over path:
 * readers (and a job killed at any point) see the old file or the new one, never a
 * half-written one.  The temp name is unique per thread so concurrent writers of the
 * same file cannot truncate each other's temp file. */
int res_write_atomic(const char *path, const char *data, size_t len)
{
    static __thread unsigned seq;
    char *tmp = xasprintf("%s.tmp.%ld.%u", path, (long)getpid(), ++seq);
    int fd = -1, ret = -1;
    size_t off = 0;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err_set("%s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err_set("%s: write: %s", tmp, strerror(errno));
            goto cleanup;
        }
        off += (size_t)n;
    }
    /* fdatasync so a power cut after rename cannot leave an empty file behind */
    if (fdatasync(fd) < 0) {
        err_set("%s: fdatasync: %s", tmp, strerror(errno));
        goto cleanup;
    }
    if (close(fd) < 0) {
        fd = -1;
        err_set("%s: close: %s", tmp, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        err_set("rename %s -> %s: %s", tmp, path, strerror(errno));
        goto cleanup;
    }
    ret = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (ret < 0)
        unlink(tmp);
    free(tmp);
    return ret;
}

int res_mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    int ret = -1;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                err_set("mkdir %s: %s", p, strerror(errno));
                goto cleanup;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    ret = 0;
cleanup:
    free(p);
    return ret;
}

char *res_read_file(const char *path, size_t *lenp)
{
    struct strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, path, 0) < 0) {
        err_set("%s: %s", path, strerror(errno));
        strbuf_release(&sb);
        return NULL;
    }
    return strbuf_detach(&sb, lenp);
}

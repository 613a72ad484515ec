/* SPDX-License-Identifier: GPL-2.0-or-later */
/* res_file: atomic file replacement, mkdir -p, whole-file reads, tree copies. */
#include "results/res_model.h"

#include "lib/err.h"
#include "lib/strbuf.h"

#include <dirent.h>
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

/* One file of the tree: a hard link when src and dst share a file system (the
 * shards' logs are not changed after their job), else a copy. */
static int copy_file(const char *src, const char *dst, mode_t mode)
{
    char buf[65536];
    int in, out, ret = -1;
    if (link(src, dst) == 0)
        return 0;
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        err_set("%s: %s", src, strerror(errno));
        return -1;
    }
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0777);
    if (out < 0) {
        err_set("%s: %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf)), off = 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set("%s: read: %s", src, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        while (off < n) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                err_set("%s: write: %s", dst, strerror(errno));
                goto cleanup;
            }
            off += w;
        }
    }
    ret = 0;
cleanup:
    close(in);
    if (close(out) < 0 && !ret) {
        err_set("%s: close: %s", dst, strerror(errno));
        ret = -1;
    }
    return ret;
}

int res_copy_tree(const char *src, const char *dst)
{
    DIR *d = opendir(src);
    struct dirent *e;
    int ret = -1;
    if (!d) {
        err_set("%s: %s", src, strerror(errno));
        return -1;
    }
    if (mkdir(dst, 0755) < 0 && errno != EEXIST) {
        err_set("mkdir %s: %s", dst, strerror(errno));
        goto cleanup;
    }
    while ((e = readdir(d))) {
        char *s, *t;
        struct stat st;
        int rc = 0;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        s = xasprintf("%s/%s", src, e->d_name);
        t = xasprintf("%s/%s", dst, e->d_name);
        if (lstat(s, &st) < 0) {
            err_set("%s: %s", s, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = res_copy_tree(s, t);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlink(s, target, sizeof(target) - 1);
            if (n >= 0) {
                target[n] = '\0';
                unlink(t);
                rc = symlink(target, t);
                if (rc < 0)
                    err_set("symlink %s: %s", t, strerror(errno));
            }
        } else if (S_ISREG(st.st_mode)) {
            unlink(t); /* merging again into the same directory */
            rc = copy_file(s, t, st.st_mode);
        }
        free(s);
        free(t);
        if (rc < 0)
            goto cleanup;
    }
    ret = 0;
cleanup:
    closedir(d);
    return ret;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bridge NIC of the qemu backend, as avocado-vt makes one for vm_type = qemu: vtrun
 * opens a tap device itself (/dev/net/tun), adds it to the bridge, and QEMU gets the
 * open descriptor (-netdev tap,fd=N), as libvirt does too.  QEMU's own bridge helper
 * would need the machine's /etc/qemu/bridge.conf to allow the bridge; this needs only
 * what vtrun has for the libvirt system daemon anyway (root, CAP_NET_ADMIN).
 *
 * The tap is not persistent: the kernel removes it when its last descriptor closes,
 * so once QEMU runs and vtrun has closed its copy, the tap ends with QEMU (killed,
 * crashed, or quit) and nothing is left to clean.
 */
#include "backends/qemu_tap.h"
#include "lib/err.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Add tap `name` to bridge br and bring it up (socket s: any, for the ioctls). */
static int attach(int s, const char *br, const char *name)
{
    struct ifreq ifr = { 0 };

    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", br);
    ifr.ifr_ifindex = (int)if_nametoindex(name);
    if (!ifr.ifr_ifindex || ioctl(s, SIOCBRADDIF, &ifr) < 0) {
        err_set("bridge %s: cannot add tap %s: %s", br, name,
                errno == ENODEV ? "no such bridge on this machine" : strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        goto fail;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        goto fail;
    return 0;
fail:
    err_set("tap %s on bridge %s: cannot bring it up: %s", name, br, strerror(errno));
    return -1;
}

int qtap_open(const char *br)
{
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
    int fd, s = -1;

    if (!br || !*br || strlen(br) >= IFNAMSIZ) {
        err_set("bridge NIC: bad bridge name '%s' (netdst)", br ? br : "");
        return -1;
    }
    /* the kernel picks the first free vtrtapN */
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vtrtap%%d");
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
        err_set("bridge %s: cannot create a tap device (/dev/net/tun): %s", br,
                strerror(errno));
        goto fail;
    }
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        err_set("bridge %s: socket: %s", br, strerror(errno));
        goto fail;
    }
    if (attach(s, br, ifr.ifr_name) < 0)
        goto fail;
    close(s);
    return fd;
fail:
    if (s >= 0)
        close(s);
    if (fd >= 0)
        close(fd);
    return -1;
}

/*
 * The sandbox's own network namespace: bringing up its loopback
 * interface, and waiting for the launcher's NAT helper.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child_ctx.h"

/*
 * sbx_step_loopback_up sets IFF_UP on "lo". A new network namespace has
 * its loopback interface down, so even 127.0.0.1 is unreachable inside.
 * SIOCSIFFLAGS needs CAP_NET_ADMIN in the user namespace that owns the
 * network namespace: the plan puts this step before lock-mounts (which
 * enters a further user namespace) and before capabilities are dropped.
 * An ioctl on a datagram socket is all it takes: no netlink, no buffers.
 */
int sbx_step_loopback_up(struct sbx_ctx *c)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return sbx_fail(c, "socket", "lo");
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		int e = errno;
		close(fd);
		return sbx_fail_errno(c, e, "SIOCGIFFLAGS", "lo");
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
			int e = errno;
			close(fd);
			return sbx_fail_errno(c, e, "SIOCSIFFLAGS", "lo");
		}
	}
	close(fd);
	return 0;
}

/*
 * sbx_wait_network blocks until the launcher has attached its NAT helper
 * (pasta or slirp4netns) to our network namespace and the helper said it
 * configured it: one byte on the sync pipe. The payload must not start
 * on a network that is not there yet. EOF means the launcher gave up (it
 * kills and reaps us and reports why) or died.
 */
void sbx_wait_network(struct sbx_ctx *c)
{
	char b;
	ssize_t n;

	while ((n = read(c->plan->sync_fd, &b, 1)) < 0 && errno == EINTR) {
	}
	if (n != 1)
		_exit(125);
}

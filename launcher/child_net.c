/*
 * The sandbox's own network namespace: bringing up its loopback
 * interface, and waiting for the launcher's NAT helper.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
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
	if (c->plan->egress_fd >= 0)
		return sbx_egress_listen(c);
	return 0;
}

/*
 * sbx_egress_listen makes the egress proxy's listening socket, bound to
 * 127.0.0.1:egress_port in the sandbox's own network namespace, and hands
 * it to the launcher over egress_fd (SCM_RIGHTS). The launcher accepts on
 * it from outside: connections made inside arrive at a proxy that is not
 * in the sandbox, and the sandbox keeps no copy of the socket (both fds
 * are closed here, before anything of the payload runs). It runs right
 * after lo is up, while the child still has its capabilities in the
 * namespace's user namespace (a port below 1024 needs them).
 */
int sbx_egress_listen(struct sbx_ctx *c)
{
	const struct sbx_plan *p = c->plan;
	struct sockaddr_in a;
	struct msghdr msg;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct cmsghdr *cm;
	char byte = 'L';
	int one = 1, e;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		e = errno;
		close(p->egress_fd);
		return sbx_fail_errno(c, e, "socket", "egress proxy 127.0.0.1");
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)p->egress_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0) {
		e = errno;
		close(fd);
		close(p->egress_fd);
		return sbx_fail_errno(c, e, "bind", "egress proxy 127.0.0.1");
	}
	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	while (sendmsg(p->egress_fd, &msg, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		e = errno;
		close(fd);
		close(p->egress_fd);
		return sbx_fail_errno(c, e, "sendmsg", "egress proxy socket");
	}
	close(fd);
	close(p->egress_fd);
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

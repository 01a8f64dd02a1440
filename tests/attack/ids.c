/*
 * ids: prints the process's user and group ids and its permitted and
 * effective capabilities, then exits.
 *
 * The privilege tests install copies of it that are setuid root or carry
 * file capabilities, run them inside a sandbox and check that they gained
 * nothing (checklist P2). It does nothing else, so a setuid-root copy left
 * on the host for the length of a test gives no one anything either.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);

	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{0}};
	if (syscall(SYS_capget, &hdr, data) != 0) {
		perror("capget");
		return 1;
	}
	unsigned long long eff = ((unsigned long long)data[1].effective << 32) | data[0].effective;
	unsigned long long prm = ((unsigned long long)data[1].permitted << 32) | data[0].permitted;
	printf("uid=%u,%u,%u gid=%u,%u,%u capeff=%016llx capprm=%016llx\n", ru, eu, su, rg, eg, sg, eff, prm);
	return 0;
}

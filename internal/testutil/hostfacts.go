package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// SkipHostFact skips a check that this machine cannot make meaningful
// because of a fact of the host itself, not a missing package or
// privilege: the same test passes on the next machine of this kind, and
// CI must not fail because it landed on this one. Unlike RequireOrSkip it
// skips under CI=true too, so it is only for facts a test has measured by
// comparing with an unfiltered run on the same machine (I386Syscalls), and
// the reason says what was measured.
func SkipHostFact(t testing.TB, why string) {
	t.Helper()
	t.Skip("this machine cannot make the check meaningful: " + why)
}

// i386Probe makes one i386 getpid through int 0x80 from a 64-bit process,
// in a child so that a fault does not end the probe, and prints what
// happened: "ok", "errno N", or "signal N".
const i386Probe = `#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
		_exit(ret == (long)getpid() ? 0 : 1);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 2;
	if (WIFSIGNALED(st))
		printf("signal %d\n", WTERMSIG(st));
	else if (WEXITSTATUS(st) == 0)
		printf("ok\n");
	else
		printf("wrong answer\n");
	return 0;
}
`

var i386 struct {
	once   sync.Once
	answer string
	err    error
}

// I386Syscalls reports whether this machine runs i386 system calls made
// with int 0x80 from a 64-bit process, without any seccomp filter. Some
// virtual machines fault on every int 0x80 (SIGSEGV) although the kernel
// has IA32 emulation; there a filter's i386 rule cannot be observed, and
// every test of it (checklist S2, S8) asks here first, so the probe and
// the rule for skipping exist once. The answer is what the unfiltered
// call did ("ok", "signal 11", ...).
func I386Syscalls(t testing.TB) (ok bool, answer string) {
	t.Helper()
	i386.once.Do(func() {
		gcc, err := exec.LookPath("gcc")
		if err != nil {
			i386.err = fmt.Errorf("gcc is needed to probe int 0x80 (apt-get install gcc): %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "i386-probe-")
		if err != nil {
			i386.err = err
			return
		}
		defer os.RemoveAll(dir)
		src, bin := filepath.Join(dir, "p.c"), filepath.Join(dir, "p")
		if err := os.WriteFile(src, []byte(i386Probe), 0o644); err != nil {
			i386.err = err
			return
		}
		if out, err := exec.Command(gcc, "-O0", "-o", bin, src).CombinedOutput(); err != nil {
			i386.err = fmt.Errorf("building the int 0x80 probe: %w: %s", err, out)
			return
		}
		out, err := exec.Command(bin).Output()
		if err != nil {
			i386.err = fmt.Errorf("running the int 0x80 probe: %w", err)
			return
		}
		i386.answer = strings.TrimSpace(string(out))
	})
	RequireOrSkip(t, i386.err == nil, fmt.Sprint(i386.err))
	return i386.answer == "ok", i386.answer
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sameIsolation builds the bubblewrap command that gives payload the
// isolation of profile, from the sandbox's own translation of the profile
// (`sandbox export bwrap -0`), so that the reference cannot drift from the
// profile it is compared with: the same binds, the /proc masks, the nested
// user namespace that stops new ones, and the same seccomp filter, which
// bwrap reads from descriptor 3.
//
// The translation is run as the benchmark's user. A root launch's
// translation starts with setpriv, which makes bwrap run as uid 65534 as
// the sandbox's own ids are; the benchmark runs bwrap directly instead,
// sparing it setpriv's exec. What the translation reports as gaps
// (Landlock, above all) is work bwrap leaves undone, so the comparison
// errs in bwrap's favour; gaps lists them.
func (r *runner) sameIsolation(sandbox, profile, dir string, payload ...string) (c command, gaps []string, err error) {
	argv := append([]string{sandbox, "export", "bwrap", profile, "-0", "--allow-gaps", "-o", dir, "--"}, payload...)
	cmd, err := r.cmd(command{name: "export", argv: argv}, -1)
	if err != nil {
		return c, nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return c, nil, fmt.Errorf("sandbox export bwrap %s: %w: %s", profile, err, bytes.TrimSpace(stderr.Bytes()))
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if _, gap, ok := strings.Cut(line, ": gap: "); ok {
			gaps = append(gaps, gap)
		}
	}
	args := strings.Split(strings.TrimSuffix(stdout.String(), "\x00"), "\x00")
	if len(args) > 0 && args[0] == "setpriv" {
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
	}
	if len(args) == 0 || args[0] != "bwrap" {
		return c, nil, fmt.Errorf("sandbox export bwrap %s printed no bwrap command", profile)
	}
	c = command{name: "bwrap", argv: args}
	if bpf := filepath.Join(dir, "seccomp.bpf"); fileExists(bpf) {
		f, err := os.Open(bpf)
		if err != nil {
			return c, nil, err
		}
		c.files = []*os.File{f}
	}
	return c, gaps, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// settle is how long a launcher gets to finish setting up before its
// processes are measured; the payload sleeps well beyond it.
const settle = 500 * time.Millisecond

// usage is the memory of a launcher's own processes: the whole process tree
// it started except the payload.
type usage struct {
	cmd    command
	procs  int
	rssKiB uint64
	pssKiB uint64
	err    error
}

// measureMemory starts each command, waits for it to settle and sums RSS
// and PSS over its process tree, leaving out processes whose name is
// payload. PSS divides shared pages among the processes mapping them, so it
// is the fairer measure of what one more sandbox costs.
func (r *runner) measureMemory(cmds []command, payload string) []usage {
	var out []usage
	for _, c := range cmds {
		out = append(out, r.measureOne(c, payload))
	}
	return out
}

func (r *runner) measureOne(c command, payload string) usage {
	u := usage{cmd: c}
	cmd, err := r.cmd(c, -1)
	if err != nil {
		u.err = err
		return u
	}
	if err := cmd.Start(); err != nil {
		u.err = err
		return u
	}
	defer cmd.Wait()
	time.Sleep(settle)
	for _, pid := range tree(cmd.Process.Pid) {
		if comm(pid) == payload {
			continue
		}
		rss, pss, err := rollup(pid)
		gone := errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
		if gone && pid != cmd.Process.Pid {
			// A helper that exited between listing and reading
			// holds no memory any more.
			continue
		}
		if err != nil {
			u.err = fmt.Errorf("%s exited or cannot be read within %v: %w", c.name, settle, err)
			return u
		}
		u.procs++
		u.rssKiB += rss
		u.pssKiB += pss
	}
	return u
}

// tree returns root and all its descendants, found through the parent pid
// of every process (children lists need CONFIG_PROC_CHILDREN).
func tree(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := ppid(pid); ok {
			children[pp] = append(children[pp], pid)
		}
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// ppid reads the parent pid from /proc/PID/stat. The command name in field
// 2 may hold spaces and parentheses, so parsing starts after the last ')'.
func ppid(pid int) (int, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

func comm(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	return strings.TrimSpace(string(b))
}

// rollup reads Rss and Pss (KiB) from /proc/PID/smaps_rollup.
func rollup(pid int) (rss, pss uint64, err error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		v, perr := strconv.ParseUint(fields[1], 10, 64)
		if perr != nil {
			continue
		}
		switch fields[0] {
		case "Rss:":
			rss = v
		case "Pss:":
			pss = v
		}
	}
	return rss, pss, sc.Err()
}

func printMemory(us []usage) {
	fmt.Printf("memory held by the launcher's own processes while the payload runs (payload excluded, after %v)\n", settle)
	fmt.Printf("%-10s %6s %10s %10s\n", "command", "procs", "RSS KiB", "PSS KiB")
	for _, u := range us {
		if u.err != nil {
			fmt.Printf("%-10s failed: %v\n", u.cmd.name, u.err)
			continue
		}
		fmt.Printf("%-10s %6d %10d %10d\n", u.cmd.name, u.procs, u.rssKiB, u.pssKiB)
	}
}

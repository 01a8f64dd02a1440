// Command bench compares the cost of starting a sandbox with the peers that
// give the same isolation: launch time (median and p90 wall time over many
// interleaved runs) and the memory the launcher's own processes hold while a
// payload runs.
//
//	go run ./tools/bench -n 200 -sandbox bin/sandbox
//
// Runs are interleaved (one of each command in turn) so that a change in
// machine load affects every command alike instead of whichever happened to
// run during it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

func main() {
	n := flag.Int("n", 200, "runs of each command")
	sandboxPath := flag.String("sandbox", "bin/sandbox", "path of the sandbox binary")
	rootless := flag.Bool("rootless", false, "run every command as uid/gid 65534 (needs root to switch)")
	flag.Parse()
	if err := run(*n, *sandboxPath, *rootless); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n int, sandboxPath string, rootless bool) error {
	if n < 1 {
		return fmt.Errorf("-n must be at least 1, not %d", n)
	}
	bin, err := filepath.Abs(sandboxPath)
	if err != nil {
		return fmt.Errorf("resolving -sandbox: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("sandbox binary: %w (build it with make)", err)
	}
	r := &runner{}
	// Every Go binary timed here runs from a copy in a directory of the
	// benchmark's own, as an installed one would (installExecutable).
	dir, err := os.MkdirTemp("", "sandbox-bench-")
	if err != nil {
		return fmt.Errorf("installing the binary for the benchmark: %w", err)
	}
	defer os.RemoveAll(dir)
	if bin, err = installExecutable(bin, dir); err != nil {
		return fmt.Errorf("installing the binary for the benchmark: %w", err)
	}
	if rootless {
		if os.Geteuid() != 0 {
			return fmt.Errorf("-rootless switches to uid 65534, which needs root")
		}
		r.rootless = true
		// A login session's private runtime directory, where the
		// plan cache lives.
		rt := filepath.Join(dir, "run")
		if err := os.Mkdir(rt, 0o700); err != nil {
			return fmt.Errorf("runtime directory for -rootless: %w", err)
		}
		if err := os.Chown(rt, 65534, 65534); err != nil {
			return fmt.Errorf("runtime directory for -rootless: %w", err)
		}
		r.runtimeDir = rt
	}

	fmt.Printf("kernel %s, %d CPUs, %s, %d runs each\n\n", kernelRelease(), runtime.NumCPU(), r.who(), n)

	work, err := os.MkdirTemp("", "sandbox-bench-bwrap-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	// Each payload gets its own translation: the command is part of it.
	// Without one (the failure is said) the reference is left out.
	same := func(payload ...string) (command, []string) {
		dir, err := os.MkdirTemp(work, "export-")
		if err == nil {
			err = os.Chmod(dir, 0o777)
		}
		var c command
		var gaps []string
		if err == nil {
			c, gaps, err = r.sameIsolation(bin, "minimal", dir, payload...)
		}
		if err != nil {
			fmt.Printf("skipping bwrap (the same isolation): %v\n", err)
			return command{name: "bwrap"}, nil
		}
		return c, gaps
	}
	trueBwrap, gaps := same("/bin/true")
	cmds := commands(bin, trueBwrap, "/bin/true")
	// The binary's own start-up, next to the hello worlds it is
	// measured against.
	hellos, helloNotes := helloWorlds(work)
	if c, err := helloImports(work, bin); err != nil {
		helloNotes = append(helloNotes, fmt.Sprintf("skipping go-hello-imports: %v", err))
	} else {
		hellos = append(hellos, c)
	}
	for _, note := range helloNotes {
		fmt.Println(note)
	}
	cmds = append(cmds, command{name: "version", argv: []string{bin, "--version"}, reference: true})
	cmds = append(cmds, hellos...)
	timed, notes := r.available(cmds)
	for _, note := range notes {
		fmt.Println(note)
	}
	if len(notes) > 0 {
		fmt.Println()
	}
	results := r.timeAll(timed, n)
	printTimes(results)
	printGaps(gaps)

	fmt.Println()
	sleepBwrap, _ := same("/bin/sleep", "2")
	sleepCmds := commands(bin, sleepBwrap, "/bin/sleep", "2")
	mem := []command{cmdNamed(sleepCmds, "sandbox"), cmdNamed(sleepCmds, "bwrap")}
	memTimed, memNotes := r.available(mem)
	for _, note := range memNotes {
		fmt.Println(note)
	}
	printMemory(r.measureMemory(memTimed, "sleep"))

	for _, res := range results {
		if strings.HasPrefix(res.cmd.name, "sandbox") && res.err != nil {
			return fmt.Errorf("the sandbox failed: %w", res.err)
		}
	}
	return nil
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// installExecutable copies src into dir, with mode 0755 in a directory
// anyone may enter (uid 65534 runs it under -rootless), and returns the
// copy's path.
//
// The copy is what the benchmark times, rather than the file the linker
// wrote: the linker writes its output through a mapping, which leaves the
// file in the page cache as large folios, and the kernel maps a large
// folio whole when a process touches any page of it. Run from there, the
// launcher's RSS counted some 2 MB of the binary it never read (3.1 MB
// instead of 1.4 MB for a cached launch) and `sandbox --version` took
// 0.5 ms longer (9.29 against 8.80 ms, 400 interleaved runs), which is
// no installed binary's case. Written a page at a time, as install(1) or
// a package manager writes it, or read back from disk, the file is in
// small folios.
func installExecutable(src, dir string) (string, error) {
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, filepath.Base(src))
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	for len(b) > 0 {
		n := min(len(b), os.Getpagesize())
		if _, err := f.Write(b[:n]); err != nil {
			f.Close()
			return "", err
		}
		b = b[n:]
	}
	return dst, f.Close()
}

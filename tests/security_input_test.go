package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"sandbox/internal/testutil"
)

// Bad input rows of the security checklist (B1-B13): each bad profile is an
// error naming file:line:col (or the file, when the file as a whole is
// wrong), exit 125, with nothing run and nothing changed on the host, from
// `sandbox check` and from a launch alike. The profile package's own tests
// hold the exact messages; these go through the binary. B12's plain cases
// are TestArgumentsVerbatim.

// badProfile is one bad profile and where its error must point.
type badProfile struct {
	name string
	text string
	// line is the line the error must name; 0 means the file only. For
	// a key inside a [[mount]] entry, the entry's own line (the header)
	// is accepted too: entry is that line.
	line, entry int
	// says is a piece of the message that must be there ("" for none).
	says string
}

// expectRefused runs check and a launch on a profile file and fails unless
// both refuse it with a positioned error and nothing runs.
func expectRefused(t *testing.T, m mode, path string, line, entry int, says string) {
	t.Helper()
	before := mountPoints(t)
	base := regexp.QuoteMeta(filepath.Base(path))
	pos := regexp.MustCompile(base)
	if line > 0 {
		lines := fmt.Sprint(line)
		if entry > 0 {
			lines = fmt.Sprintf("(%d|%d)", line, entry)
		}
		pos = regexp.MustCompile(fmt.Sprintf(`%s:%s:\d+`, base, lines))
	}
	for _, args := range [][]string{
		{"check", path},
		{"-p", path, "--", "/bin/sh", "-c", "echo RAN"},
	} {
		r, err := launch(m, nil, args...)
		if err != nil {
			t.Errorf("sandbox %s: %v (it must not hang)", strings.Join(args[:2], " "), err)
			continue
		}
		if r.code != 125 || strings.Contains(r.stdout, "RAN") {
			t.Errorf("sandbox %s: exit %d, want 125 and nothing run\n%s", args[0], r.code, r)
			continue
		}
		if !pos.MatchString(r.stderr) {
			t.Errorf("sandbox %s: the error does not name %s (line %d):\n%s", args[0], filepath.Base(path), line, r.stderr)
		}
		if says != "" && !saysAny(r.stderr, says) {
			t.Errorf("sandbox %s: the error does not say %q:\n%s", args[0], says, r.stderr)
		}
	}
	sameMounts(t, before)
}

// saysAny reports whether msg contains one of the "|"-separated pieces,
// ignoring case.
func saysAny(msg, pieces string) bool {
	for _, p := range strings.Split(pieces, "|") {
		if strings.Contains(strings.ToLower(msg), strings.ToLower(p)) {
			return true
		}
	}
	return false
}

// runBadProfiles writes each profile and expects it refused.
func runBadProfiles(t *testing.T, cases []badProfile) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				expectRefused(t, m, secProfile(t, "bad.toml", c.text), c.line, c.entry, c.says)
			})
		}
	})
}

// TestB1SyntaxErrors: unterminated string, duplicate key, duplicate table.
func TestB1SyntaxErrors(t *testing.T) {
	runBadProfiles(t, []badProfile{
		{"unterminated string", "extends = [\"minimal\"]\ndescription = \"abc\n", 2, 0, ""},
		{"duplicate key", "extends = [\"minimal\"]\nhostname = \"a\"\nhostname = \"b\"\n", 3, 0, ""},
		{"duplicate table", "extends = [\"minimal\"]\n[process]\ninit = true\n[process]\ninit = false\n", 4, 0, ""},
	})
}

// TestB2UnknownKeys: typos in keys and tables, with a suggestion.
func TestB2UnknownKeys(t *testing.T) {
	runBadProfiles(t, []badProfile{
		{"unknown table", "extends = [\"minimal\"]\n\n[namespace]\nnet = false\n", 3, 0, "namespaces"},
		{"unknown key", "extends = [\"minimal\"]\n\n[process]\ndie_with_parnet = true\n", 4, 0, "die_with_parent"},
		{"unknown mount key", "extends = [\"minimal\"]\n\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/x\"\nsise = \"1M\"\n", 6, 3, "size"},
	})
}

// TestB3WrongTypes: strings for numbers, negative and too large ids, floats.
func TestB3WrongTypes(t *testing.T) {
	runBadProfiles(t, []badProfile{
		{"uid as a string", "extends = [\"minimal\"]\n[identity]\nuid = \"0\"\n", 3, 0, "uid"},
		{"negative uid", "extends = [\"minimal\"]\n[identity]\nuid = -1\n", 3, 0, "uid"},
		{"uid of 2^32", "extends = [\"minimal\"]\n[identity]\nuid = 4294967296\n", 3, 0, "uid"},
		{"float gid", "extends = [\"minimal\"]\n[identity]\ngid = 1.5\n", 3, 0, "gid"},
		{"boolean as a string", "extends = [\"minimal\"]\n[namespaces]\nnet = \"false\"\n", 3, 0, "net"},
	})
}

// TestB4RelativePaths: relative source and target.
func TestB4RelativePaths(t *testing.T) {
	runBadProfiles(t, []badProfile{
		{"relative source", "extends = [\"minimal\"]\n[[mount]]\ntype = \"ro-bind\"\nsource = \"usr/share\"\ntarget = \"/share\"\n", 4, 2, "absolute"},
		{"relative target", "extends = [\"minimal\"]\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"scratch\"\n", 4, 2, "absolute"},
	})
}

// TestB5MissingSource: a missing bind source is an error before any clone,
// unless the mount is optional.
func TestB5MissingSource(t *testing.T) {
	missing := "/nonexistent-sandbox-source"
	runBadProfiles(t, []badProfile{
		{"missing source", fmt.Sprintf("extends = [\"minimal\"]\n[[mount]]\ntype = \"ro-bind\"\nsource = %q\ntarget = \"/x\"\n", missing), 4, 2, missing},
	})
	bothModes(t, func(t *testing.T, m mode) {
		p := secProfile(t, "optional.toml", fmt.Sprintf("extends = [\"minimal\"]\n[[mount]]\ntype = \"ro-bind\"\nsource = %q\ntarget = \"/x\"\noptional = true\n", missing))
		if r := sandbox(t, m, "-p", p, "--", "/bin/sh", "-c", "test ! -e /x"); r.code != 0 {
			t.Errorf("an optional missing source was not skipped:\n%s", r)
		}
	})
}

// TestB6SpecialSources binds a FIFO, a device and a socket, and copies from
// a FIFO: no hang; binds work, a copy of a non-regular file is refused.
func TestB6SpecialSources(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		fifo, sock := testutil.FIFOAndSocket(t, sharedDir(t, 0o755), 0o666)
		for _, c := range []struct{ name, src string }{{"FIFO", fifo}, {"device", "/dev/null"}, {"socket", sock}} {
			p := secProfile(t, "special.toml", "extends = [\"minimal\"]\n"+bindTOML("ro-bind", c.src, "/special"))
			r, err := launch(m, nil, "-p", p, "--", "/bin/sh", "-c", "test -e /special && echo THERE")
			if err != nil {
				t.Errorf("bind of a %s: %v", c.name, err)
				continue
			}
			if r.code != 0 || !strings.Contains(r.stdout, "THERE") {
				t.Errorf("bind of a %s: %s", c.name, r)
			}
		}
		p := secProfile(t, "copy.toml", fmt.Sprintf("extends = [\"minimal\"]\n[[mount]]\ntype = \"file\"\nsource = %q\ntarget = \"/copied\"\n", fifo))
		expectRefused(t, m, p, 4, 2, "FIFO")
	})
}

// TestB7HugeInputs: a 100 MB profile, 10^5 mounts, a 64 KiB path.
func TestB7HugeInputs(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		big := secProfile(t, "big.toml", "")
		f, err := os.OpenFile(big, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("extends = [\"minimal\"]\ndescription = \"")
		chunk := strings.Repeat("a", 1<<20)
		for i := 0; i < 100; i++ {
			f.WriteString(chunk)
		}
		f.WriteString("\"\n")
		f.Close()
		expectRefused(t, m, big, 0, 0, "")

		var mounts strings.Builder
		mounts.WriteString("extends = [\"minimal\"]\n")
		for i := 0; i < 100000; i++ {
			fmt.Fprintf(&mounts, "[[mount]]\ntype = \"dir\"\ntarget = \"/d/%d\"\n", i)
		}
		expectRefused(t, m, secProfile(t, "many.toml", mounts.String()), 0, 0, "")

		long := "/" + strings.Repeat("a/", 32<<10)
		expectRefused(t, m, secProfile(t, "long.toml", fmt.Sprintf("extends = [\"minimal\"]\n[[mount]]\ntype = \"dir\"\ntarget = %q\n", long)), 4, 2, "")
	})
}

// TestB8ControlCharacters: NUL and control characters in a path, an
// environment value and a hostname (flatpak CVE-2023-28101).
func TestB8ControlCharacters(t *testing.T) {
	runBadProfiles(t, []badProfile{
		{"NUL in a target", "extends = [\"minimal\"]\n[[mount]]\ntype = \"dir\"\ntarget = \"/a\\u0000b\"\n", 4, 2, ""},
		{"escape in a target", "extends = [\"minimal\"]\n[[mount]]\ntype = \"dir\"\ntarget = \"/a\\u001b[2Jb\"\n", 4, 2, ""},
		{"NUL in an environment value", "extends = [\"minimal\"]\n[environment.set]\nFOO = \"a\\u0000b\"\n", 3, 0, ""},
		{"control character in the hostname", "extends = [\"minimal\"]\nhostname = \"a\\u0007b\"\n", 2, 0, ""},
	})
}

// TestB9Conflicts: a duplicate destination, and a file mounted onto a
// directory, give the same error every time.
func TestB9Conflicts(t *testing.T) {
	runBadProfiles(t, []badProfile{
		{"duplicate target", "extends = [\"minimal\"]\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/x\"\n[[mount]]\ntype = \"dir\"\ntarget = \"/x/\"\n", 7, 5, ""},
	})
	bothModes(t, func(t *testing.T, m mode) {
		p := secProfile(t, "onto.toml", "extends = [\"minimal\"]\n"+bindTOML("ro-bind", "/etc/hostname", "/usr/share"))
		var first result
		for i := 0; i < 3; i++ {
			r, err := launch(m, nil, "-p", p, "--", "/bin/sh", "-c", "echo RAN")
			if err != nil {
				t.Fatal(err)
			}
			if r.code != 125 || strings.Contains(r.stdout, "RAN") || !strings.Contains(r.stderr, "onto.toml") {
				t.Fatalf("a file mounted onto a directory: %s", r)
			}
			if i == 0 {
				first = r
			} else if r.stderr != first.stderr {
				t.Errorf("the error changed between runs:\n%s\n---\n%s", first.stderr, r.stderr)
			}
		}
	})
}

// TestB10BadIDMaps: overlapping and empty ranges, and host root mapped by
// a rootless launcher.
func TestB10BadIDMaps(t *testing.T) {
	runBadProfiles(t, []badProfile{
		{"overlapping ranges", "extends = [\"minimal\"]\n[identity]\nuid_map = [{inside = 0, outside = 100000, count = 10}, {inside = 5, outside = 200000, count = 10}]\n", 3, 0, ""},
		{"zero-size range", "extends = [\"minimal\"]\n[identity]\nuid_map = [{inside = 0, outside = 100000, count = 0}]\n", 3, 0, ""},
	})
	p := secProfile(t, "rootmap.toml", "extends = [\"minimal\"]\n[identity]\nuid = 0\ngid = 0\nuid_map = [{inside = 0, outside = 0, count = 1}]\ngid_map = [{inside = 0, outside = 0, count = 1}]\n")
	t.Run("host root mapped rootless", func(t *testing.T) {
		requireOrSkip(t, os.Geteuid() == 0, "dropping to an unprivileged user needs root")
		r, err := launch(asRootless, nil, "-p", p, "--", "/bin/sh", "-c", "echo RAN")
		if err != nil {
			t.Fatal(err)
		}
		if r.code != 125 || strings.Contains(r.stdout, "RAN") || !regexp.MustCompile(`rootmap\.toml:\d+:\d+`).MatchString(r.stderr) {
			t.Fatalf("a rootless launcher mapping host root: %s", r)
		}
	})
}

// TestB11UnknownNames: a capability, a syscall and an errno that do not
// exist; the error lists the valid forms.
func TestB11UnknownNames(t *testing.T) {
	runBadProfiles(t, []badProfile{
		{"capability", "extends = [\"minimal\"]\n[capabilities]\nkeep = [\"CAP_BOGUS\"]\n", 3, 0, "CAP_NET_RAW|did you mean"},
		{"syscall", "extends = [\"minimal\"]\n[seccomp.syscalls]\nptrase = \"allow\"\n", 3, 0, "ptrace"},
		{"errno", "extends = [\"minimal\"]\n[seccomp.syscalls]\nptrace = \"EBOGUS\"\n", 3, 0, "EPERM|did you mean"},
	})
}

// TestB12CommandStartingWithDashes runs commands named like options: they
// are looked up as programs, never read as the launcher's options.
func TestB12CommandStartingWithDashes(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		for _, cmd := range []string{"--version", "--help", "-p", "--profile=x"} {
			r := sandbox(t, m, "-p", "minimal", "--", cmd, "arg")
			if r.code != 127 || strings.Contains(r.stdout, "sandbox") || strings.Contains(r.stdout, "Usage") {
				t.Errorf("%q after --: %s, want 127 (no such program)", cmd, r)
			}
		}
	})
}

// TestB13ProfileNotAFile: a FIFO, /dev/zero, a directory and a dangling
// symlink as the profile: an error naming it, and no hang.
func TestB13ProfileNotAFile(t *testing.T) {
	bothModes(t, func(t *testing.T, m mode) {
		dir := sharedDir(t, 0o755)
		fifo := filepath.Join(dir, "fifo.toml")
		syscall.Mkfifo(fifo, 0o666)
		zero := filepath.Join(dir, "zero.toml")
		os.Symlink("/dev/zero", zero)
		sub := filepath.Join(dir, "dir.toml")
		os.Mkdir(sub, 0o755)
		dangling := filepath.Join(dir, "dangling.toml")
		os.Symlink(filepath.Join(dir, "missing"), dangling)
		for _, p := range []string{fifo, zero, sub, dangling} {
			start := time.Now()
			expectRefused(t, m, p, 0, 0, "")
			t.Logf("%s refused after %v", filepath.Base(p), time.Since(start).Round(time.Millisecond))
		}
	})
}

// TestB14NestingBombs: profiles of nothing but nesting, inline tables and
// dotted headers, at 32 KiB and near the 1 MiB limit, are refused before
// anything runs with the position of the first level too deep (they took
// seconds and gigabytes to decode). The scan `sandbox CMD` makes of every
// installed profile for its programs passes over such files and still
// finds the profile made for the command.
func TestB14NestingBombs(t *testing.T) {
	bombs := func(size int) map[string]string {
		n := size / 5
		return map[string]string{
			"inline.toml":  "extends = [\"minimal\"]\na = " + strings.Repeat("{a = ", n) + "1" + strings.Repeat("}", n) + "\n",
			"headers.toml": "extends = [\"minimal\"]\n[" + strings.TrimSuffix(strings.Repeat("a.", 2*n), ".") + "]\n",
		}
	}
	bothModes(t, func(t *testing.T, m mode) {
		for _, size := range []int{32 << 10, 800 << 10} {
			for name, text := range bombs(size) {
				expectRefused(t, m, secProfile(t, name, text), 2, 0, "nested more than 32 levels deep")
			}
		}

		// An installed-profile directory with bombs that claim the
		// program, and the profile really made for it.
		cfg := sharedDir(t, 0o755)
		dir := filepath.Join(cfg, "sandbox", "profiles")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(cfg, "sandbox"), 0o755)
		for name, text := range bombs(800 << 10) {
			text = strings.Replace(text, "extends = [\"minimal\"]\n", "programs = [\"true\"]\n", 1)
			if err := os.WriteFile(filepath.Join(dir, "a-"+name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "true.toml"), []byte("extends = [\"minimal\"]\nprograms = [\"true\"]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := launch(m, []string{"XDG_CONFIG_HOME=" + cfg, "SANDBOX_PLAN_CACHE=off"}, "true")
		if err != nil || r.code != 0 {
			t.Errorf("sandbox true with nesting bombs installed: %v %s", err, r)
		}
		r, err = launch(m, []string{"XDG_CONFIG_HOME=" + cfg}, "list")
		if err != nil || !strings.Contains(r.stdout+r.stderr, "nested more than 32 levels deep") {
			t.Errorf("sandbox list does not report the bombs: %v %s", err, r)
		}
	})
}

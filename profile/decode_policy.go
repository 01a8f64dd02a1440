package profile

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

func (d *fileDecoder) decodeCapabilities(t map[string]any, p string) {
	d.boolAt(t, p, "ambient")
	v, kp, ok := d.child(t, p, "keep")
	if !ok {
		return
	}
	vals, paths := d.stringList(v, kp, verbatim)
	for i, s := range vals {
		c, msg := canonicalCap(s)
		if msg != "" {
			d.errorf(paths[i], "%s", msg)
			continue
		}
		d.addEntry(kp, c, c, paths[i])
	}
}

var policies = []string{string(PolicyDefault), string(PolicyAllowList), string(PolicyNone)}

func (d *fileDecoder) decodeSeccomp(t map[string]any, p string) {
	if v, kp, ok := d.child(t, p, "policy"); ok {
		if s, ok := d.str(v, kp, verbatim); ok {
			if contains(policies, s) {
				d.setScalar(kp, SeccompPolicy(s))
			} else {
				d.errorf(kp, "unknown policy %s%s", quote(s), suggestOr(s, policies, `write "default", "allow-list" or "none"`))
			}
		}
	}
	if v, kp, ok := d.child(t, p, "default_action"); ok {
		if s, ok := d.str(v, kp, verbatim); ok {
			if a, err := ParseAction(s); err != nil {
				d.errorf(kp, "%v", err)
			} else {
				d.setScalar(kp, a)
			}
		}
	}
	d.boolAt(t, p, "allow_terminal_injection")
	sv, sp, ok := d.child(t, p, "syscalls")
	if !ok {
		return
	}
	st := sv.(map[string]any)
	for _, name := range sortedKeys(st) {
		v, kp, ok := d.child(st, sp, name)
		if !ok {
			continue
		}
		if !IsSyscall(name) {
			d.errorf(kp, "%s", unknownSyscallMsg(name))
			continue
		}
		s, ok := d.str(v, kp, verbatim)
		if !ok {
			continue
		}
		a, err := ParseAction(s)
		if err != nil {
			d.errorf(kp, "%v", err)
			continue
		}
		d.addEntry(sp, name, SyscallRule{Name: name, Action: a, At: d.origin(kp)}, kp)
	}
}

// maxEnvValue bounds one environment value; the kernel's limit for a
// single string passed to execve is 128 KiB (MAX_ARG_STRLEN).
const maxEnvValue = 128 << 10

func (d *fileDecoder) decodeEnvironment(t map[string]any, p string) {
	for _, key := range []string{"keep", "unset"} {
		v, kp, ok := d.child(t, p, key)
		if !ok {
			continue
		}
		vals, paths := d.stringList(v, kp, verbatim)
		for i, s := range vals {
			if msg := envNameMessage(s, true); msg != "" {
				d.errorf(paths[i], "%s", msg)
				continue
			}
			d.addEntry(kp, s, s, paths[i])
		}
	}
	sv, sp, ok := d.child(t, p, "set")
	if !ok {
		return
	}
	st := sv.(map[string]any)
	for _, name := range sortedKeys(st) {
		v, kp, ok := d.child(st, sp, name)
		if !ok {
			continue
		}
		if msg := envNameMessage(name, false); msg != "" {
			d.errorf(kp, "%s", msg)
			continue
		}
		s, ok := d.str(v, kp, tabs)
		if !ok {
			continue
		}
		if len(s) > maxEnvValue {
			d.errorf(kp, "value is %d bytes; the limit is %d (128 KiB)", len(s), maxEnvValue)
			continue
		}
		d.addEntry(sp, name, EnvVar{Name: name, Value: s}, kp)
	}
}

// limitResources are the rlimit names a profile may set, with the
// resource each sets; bytes marks those measured in bytes, which also
// accept size strings.
var limitResources = [...]struct {
	name     string
	resource int
	bytes    bool
}{
	{"as", unix.RLIMIT_AS, true}, {"core", unix.RLIMIT_CORE, true}, {"cpu", unix.RLIMIT_CPU, false},
	{"data", unix.RLIMIT_DATA, true}, {"fsize", unix.RLIMIT_FSIZE, true}, {"locks", unix.RLIMIT_LOCKS, false},
	{"memlock", unix.RLIMIT_MEMLOCK, true}, {"msgqueue", unix.RLIMIT_MSGQUEUE, true}, {"nice", unix.RLIMIT_NICE, false},
	{"nofile", unix.RLIMIT_NOFILE, false}, {"nproc", unix.RLIMIT_NPROC, false}, {"rss", unix.RLIMIT_RSS, true},
	{"rtprio", unix.RLIMIT_RTPRIO, false}, {"rttime", unix.RLIMIT_RTTIME, false},
	{"sigpending", unix.RLIMIT_SIGPENDING, false}, {"stack", unix.RLIMIT_STACK, true},
}

// LimitResource is the RLIMIT_* number of a limits key a profile may set.
func LimitResource(name string) (int, bool) {
	for _, r := range limitResources {
		if r.name == name {
			return r.resource, true
		}
	}
	return 0, false
}

func limitNames() []string {
	names := make([]string, len(limitResources))
	for i, r := range limitResources {
		names[i] = r.name
	}
	return names
}

func (d *fileDecoder) decodeLimits(t map[string]any, p string) {
	for _, name := range sortedKeys(t) {
		v, kp, ok := d.child(t, p, name)
		if !ok {
			continue
		}
		bytes, known := false, false
		for _, r := range limitResources {
			if r.name == name {
				bytes, known = r.bytes, true
			}
		}
		if !known {
			d.errorf(kp, "unknown resource %s%s", quote(name), suggestOr(name, limitNames(), "valid resources are "+strings.Join(limitNames(), " ")))
			continue
		}
		lim := Limit{Name: name, At: d.origin(kp)}
		if tbl, isTable := v.(map[string]any); isTable {
			var have [2]bool
			for i, key := range []string{"soft", "hard"} {
				lv, lp, ok := d.child(tbl, kp, key)
				if !ok {
					if lp == "" {
						d.errorf(kp, "a {soft, hard} limit needs both; %s is missing (write an integer, or \"unlimited\")", key)
					}
					continue
				}
				n, ok := d.limitValue(lv, lp, name, bytes)
				if !ok {
					continue
				}
				have[i] = true
				if i == 0 {
					lim.Soft = n
				} else {
					lim.Hard = n
				}
			}
			if !have[0] || !have[1] {
				continue
			}
			if lim.Soft > lim.Hard {
				d.errorf(joinKey(kp, "soft"), "soft limit %s is above hard limit %s; the kernel refuses that", limitText(lim.Soft), limitText(lim.Hard))
				continue
			}
		} else {
			n, ok := d.limitValue(v, kp, name, bytes)
			if !ok {
				continue
			}
			lim.Soft, lim.Hard = n, n
		}
		d.addEntry(p, name, lim, kp)
	}
}

// limitValue reads one rlimit value: a non-negative integer, "unlimited",
// or for byte resources a size string.
func (d *fileDecoder) limitValue(v any, path, name string, bytes bool) (uint64, bool) {
	s, isString := v.(string)
	if isString {
		if msg := controlCharMessage(s, 0); msg != "" {
			d.errorf(path, "%s", msg)
			return 0, false
		}
		if s == "unlimited" {
			return Unlimited, true
		}
		if !bytes {
			d.errorf(path, "%s is not a limit for %s, which is not measured in bytes; write an integer or \"unlimited\"", quote(s), name)
			return 0, false
		}
	}
	if n, ok := v.(int64); ok && n < 0 {
		d.errorf(path, "%d is negative; write an integer from 0, or \"unlimited\"", n)
		return 0, false
	}
	n, msg := parseSize(v, Unlimited-1)
	if msg != "" {
		d.errorf(path, "%s, or \"unlimited\"", msg)
		return 0, false
	}
	return n, true
}

func limitText(n uint64) string {
	if n == Unlimited {
		return "unlimited"
	}
	return fmt.Sprint(n)
}

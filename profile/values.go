package profile

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// maxPathLen is PATH_MAX: the kernel refuses longer paths anyway, and the
// bound keeps a 64 KiB path out of every later message (checklist B7).
const maxPathLen = 4096

// path reads a path value: a string, variables expanded, then checked by
// checkPath.
func (d *fileDecoder) path(v any, p string) (string, bool) {
	s, ok := d.str(v, p, 0)
	if !ok {
		return "", false
	}
	return d.checkPath(s, p)
}

// checkPath accepts an absolute path and returns it cleaned ("//" and a
// trailing "/" removed). A ".." component is refused rather than cleaned,
// with the cleaned form suggested: "/a/../../etc" is usually an attempt
// to climb out of somewhere (checklist F7), and a profile should say
// plainly where it mounts.
func (d *fileDecoder) checkPath(s, p string) (string, bool) {
	if msg := pathMessage(s); msg != "" {
		d.errorf(p, "%s", msg)
		return "", false
	}
	return path.Clean(s), true
}

func pathMessage(s string) string {
	switch {
	case s == "":
		return `empty path; write an absolute path such as "/data"`
	case len(s) > maxPathLen:
		return fmt.Sprintf("path is %d bytes long; the limit is %d", len(s), maxPathLen)
	case !strings.HasPrefix(s, "/"):
		return fmt.Sprintf(`%s is a relative path; write an absolute path, such as "${HOME}/%s" or "${PROFILE_DIR}/%s"`,
			quote(s), strings.TrimPrefix(s, "./"), strings.TrimPrefix(s, "./"))
	}
	for _, c := range strings.Split(s, "/") {
		if c == ".." {
			return fmt.Sprintf(`%s contains a ".." component; write %s`, quote(s), quote(path.Clean(s)))
		}
	}
	return ""
}

// hostnameMessage checks a hostname (RFC 1123 label: letters, digits and
// inner hyphens) or, with domain, a domain name (labels joined by dots).
// Both are limited to 64 bytes, the kernel's __NEW_UTS_LEN.
func hostnameMessage(s string, domain bool) string {
	what := "hostname"
	if domain {
		what = "domainname"
	}
	if s == "" {
		return fmt.Sprintf("empty %s; remove the key to keep the default", what)
	}
	if len(s) > 64 {
		return fmt.Sprintf("%s is %d bytes; the limit is 64", what, len(s))
	}
	labels := []string{s}
	if domain {
		labels = strings.Split(s, ".")
	}
	for _, l := range labels {
		if l == "" {
			return fmt.Sprintf("%s has an empty label; write labels joined by single dots, such as \"example.org\"", quote(s))
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Sprintf("%s: a label cannot start or end with '-'", quote(s))
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				allowed := "letters, digits and '-'"
				if domain {
					allowed += " and '.'"
				}
				return fmt.Sprintf("%s contains %q; a %s may only use %s", quote(s), c, what, allowed)
			}
		}
	}
	return ""
}

// maxTmpfsSize is the largest mount size a profile may ask for. Larger
// sizes are almost always a unit mistake ("64G" meant as "64M").
const maxTmpfsSize = 1 << 40

// parseSize reads an integer byte count or a string such as "64M", "1G" or
// "512k" (binary units, so "1k" is 1024), refusing more than limit.
func parseSize(v any, limit uint64) (uint64, string) {
	const hint = `write bytes as an integer, or a string such as "512k", "64M", "1G"`
	var n uint64
	switch t := v.(type) {
	case int64:
		if t < 0 {
			return 0, fmt.Sprintf("%d is negative; %s", t, hint)
		}
		n = uint64(t)
	case string:
		s := t
		mult := uint64(1)
		if s != "" {
			switch s[len(s)-1] {
			case 'k', 'K':
				mult = 1 << 10
			case 'm', 'M':
				mult = 1 << 20
			case 'g', 'G':
				mult = 1 << 30
			case 't', 'T':
				mult = 1 << 40
			}
			if mult != 1 {
				s = s[:len(s)-1]
			}
		}
		num, err := strconv.ParseUint(s, 10, 64)
		if err != nil || s == "" || s[0] == '+' {
			return 0, fmt.Sprintf("%s is not a size; %s", quote(t), hint)
		}
		if num > limit/mult {
			return 0, fmt.Sprintf("%s is more than %s; is the unit right?", quote(t), sizeText(limit))
		}
		n = num * mult
	default:
		return 0, hint
	}
	if n > limit {
		return 0, fmt.Sprintf("%d bytes is more than %s; is the unit right?", n, sizeText(limit))
	}
	return n, ""
}

// sizeText renders a byte count with the largest exact unit.
func sizeText(n uint64) string {
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"T", 40}, {"G", 30}, {"M", 20}, {"k", 10}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.suffix)
		}
	}
	return fmt.Sprint(n)
}

// envNameMessage checks an environment variable name; glob allows a
// trailing "*" that matches a prefix ("LC_*").
func envNameMessage(s string, glob bool) string {
	name := s
	if glob && strings.HasSuffix(name, "*") {
		name = strings.TrimSuffix(name, "*")
	}
	ok := name != ""
	for i := 0; i < len(name) && ok; i++ {
		c := name[i]
		ok = c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9'
	}
	if ok {
		return ""
	}
	if glob {
		return fmt.Sprintf(`%s is not a variable name; write letters, digits and '_' (not starting with a digit), optionally ending in "*" for a prefix such as "LC_*"`, quote(s))
	}
	return fmt.Sprintf(`%s is not a variable name; write letters, digits and '_', not starting with a digit`, quote(s))
}

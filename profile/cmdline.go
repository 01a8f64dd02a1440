package profile

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CommandLineFile is the Origin file of what the run command line's
// loosening flags set: explain shows it as the origin.
const CommandLineFile = "command line"

// Flag is one of the run command line's ad-hoc changes to a profile:
// --bind SRC[:DEST], --ro-bind SRC[:DEST], --net MODE, --env NAME[=VALUE].
// Opt is the option's name with its dashes, Value its argument.
type Flag struct {
	Opt, Value string
}

func (f Flag) String() string { return f.Opt + " " + f.Value }

// IsFlag reports whether opt is one of the loosening flags.
func IsFlag(opt string) bool {
	switch opt {
	case "--bind", "--ro-bind", "--net", "--env":
		return true
	}
	return false
}

// CommandLine is the loosening flags of one run, in order. They become a
// profile layer of their own, merged after every file, so that every rule
// of the language applies to them as to a file: the validation of paths,
// names and modes, and after it the compiler's, which keeps the files the
// host trusts read-only under any writable bind. A flag's bind replaces an
// inherited entry with the same target, in place, so that entries below
// it stay on top.
type CommandLine struct {
	Flags []Flag
	// Cwd makes a relative SRC absolute.
	Cwd string
	// lineFlag maps a line of the generated layer to its flag.
	lineFlag map[int]int
}

// LoadWith is Load with the command line's flags as the last layer.
func LoadWith(nameOrPath string, env Env, src Source, cl *CommandLine) (*Profile, error) {
	if cl == nil || len(cl.Flags) == 0 {
		return Load(nameOrPath, env, src)
	}
	text, errs := cl.layerText()
	if len(errs) > 0 {
		return nil, errs
	}
	res := loadProfileWith(nameOrPath, env, src, text)
	if len(res.errs) > 0 {
		return nil, cl.Rewrite(res.errs)
	}
	return res.profile, nil
}

// loadProfileWith loads nameOrPath with one more layer decoded from text.
func loadProfileWith(nameOrPath string, env Env, src Source, text string) loadResult {
	extra := &sourceFile{display: CommandLineFile, ident: "\x00" + CommandLineFile, level: -1}
	src.extra = &extraLayer{sf: extra, text: text}
	return loadProfile(nameOrPath, env, src)
}

// extraLayer is a layer that is not a file: the command line's.
type extraLayer struct {
	sf   *sourceFile
	text string
}

// addExtra decodes the extra layer after every file; its mounts replace
// inherited ones with the same target.
func (ld *loader) addExtra() {
	x := ld.src.extra
	if x == nil || ld.incomplete {
		return
	}
	l, errs := decodeLayer(x.sf, x.text, ld.env)
	ld.errs = append(ld.errs, errs...)
	if l == nil {
		ld.incomplete = true
		return
	}
	l.replaceTargets = true
	ld.order = append(ld.order, l)
}

// layerText writes the flags as a profile: every line belongs to one
// flag, so that an error found in it names the flag.
func (cl *CommandLine) layerText() (string, Errors) {
	cl.lineFlag = map[int]int{}
	var lines []string
	var errs Errors
	add := func(i int, s ...string) {
		for _, l := range s {
			lines = append(lines, l)
			cl.lineFlag[len(lines)] = i
		}
	}
	var keep, set []int
	net := -1
	for i, f := range cl.Flags {
		bad := func(format string, args ...any) {
			errs = append(errs, &Error{Msg: f.String() + ": " + fmt.Sprintf(format, args...)})
		}
		switch f.Opt {
		case "--bind", "--ro-bind":
			src, dst, _ := strings.Cut(f.Value, ":")
			if src == "" {
				bad("needs a host path: %s SRC[:DEST]", f.Opt)
				continue
			}
			if !filepath.IsAbs(src) {
				if !filepath.IsAbs(cl.Cwd) {
					bad("%s is relative and the current directory is not known; give an absolute path", src)
					continue
				}
				src = filepath.Join(cl.Cwd, src)
			}
			if dst == "" {
				dst = src
			}
			add(i, "[[mount]]", "type = "+tomlString(strings.TrimPrefix(f.Opt, "--")),
				"source = "+tomlString(literal(src)), "target = "+tomlString(literal(dst)))
		case "--net":
			net = i
		case "--env":
			name, _, hasValue := strings.Cut(f.Value, "=")
			if name == "" {
				bad("needs a variable name: --env NAME[=VALUE]")
				continue
			}
			// A variable given twice takes the last value, as a
			// later layer's would: TOML refuses a repeated key.
			set = slices.DeleteFunc(set, func(j int) bool { return envName(cl.Flags[j].Value) == name })
			keep = slices.DeleteFunc(keep, func(j int) bool { return cl.Flags[j].Value == name })
			if hasValue {
				set = append(set, i)
			} else {
				keep = append(keep, i)
			}
		default:
			bad("not a flag that changes the profile")
		}
	}
	// Tables are written once each: TOML refuses a table defined twice.
	if net >= 0 {
		// Both keys, or the base's namespaces.net = true would
		// contradict mode "host".
		mode := cl.Flags[net].Value
		add(net, "[namespaces]", "net = "+strconv.FormatBool(mode != string(NetworkHost)),
			"[network]", "mode = "+tomlString(mode))
	}
	if len(keep) > 0 {
		// One array, an element a line: a key may not repeat.
		add(keep[0], "[environment]", "keep = [")
		for _, i := range keep {
			add(i, tomlString(cl.Flags[i].Value)+",")
		}
		add(keep[len(keep)-1], "]")
	}
	if len(set) > 0 {
		add(set[0], "[environment.set]")
		for _, i := range set {
			name, value, _ := strings.Cut(cl.Flags[i].Value, "=")
			add(i, tomlString(name)+" = "+tomlString(literal(value)))
		}
	}
	return strings.Join(lines, "\n") + "\n", errs
}

// Rewrite makes the errors found in the command line's layer name their
// flag instead of a line of a file the user never wrote. The compiler's
// errors pass through it too.
func (cl *CommandLine) Rewrite(err error) error {
	var es Errors
	if cl == nil || !errors.As(err, &es) {
		return err
	}
	out := make(Errors, 0, len(es))
	for _, e := range es {
		if e.File != CommandLineFile {
			out = append(out, e)
			continue
		}
		what := CommandLineFile
		if i, ok := cl.lineFlag[e.Line]; ok {
			what = cl.Flags[i].String()
		}
		out = append(out, &Error{Msg: "sandbox: " + what + ": " + e.Msg})
	}
	return out
}

func envName(v string) string {
	name, _, _ := strings.Cut(v, "=")
	return name
}

// literal keeps "$" literal: a path or value on the command line is
// never a variable reference.
func literal(s string) string { return strings.ReplaceAll(s, "$", "$$") }

// tomlString is s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

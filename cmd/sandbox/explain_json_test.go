package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sandbox/profiles"
)

// The shape of `sandbox explain --json` is documented key by key in
// docs/explain-json.md. TestExplainJSONDocumented runs explain on every
// shipped profile, on a headless machine and in a desktop session, and
// checks the output against that table both ways, so that neither can
// change without the other.

const explainJSONDoc = "../../docs/explain-json.md"

// jsonDocRow is one row of the table: the types a key may have.
type jsonDocRow struct {
	types    map[string]bool
	alias    string // "same as `X`": the value has the shape of X
	optional bool   // the meaning starts with "Only": not every output has it
}

var docRowRE = regexp.MustCompile("^\\| `([^`]+)` \\| ([^|]+) \\| (.*) \\|$")
var aliasRE = regexp.MustCompile("^same as `([^`]+)`$")

func readJSONDoc(t *testing.T) map[string]*jsonDocRow {
	t.Helper()
	text, err := os.ReadFile(explainJSONDoc)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]*jsonDocRow{}
	for _, line := range strings.Split(string(text), "\n") {
		m := docRowRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		r := &jsonDocRow{types: map[string]bool{}, optional: strings.HasPrefix(m[3], "Only ")}
		typ := strings.TrimSpace(m[2])
		if a := aliasRE.FindStringSubmatch(typ); a != nil {
			r.alias = a[1]
		} else {
			for _, t := range strings.Split(typ, " or ") {
				r.types[strings.TrimSpace(t)] = true
			}
		}
		if _, dup := rows[m[1]]; dup {
			t.Errorf("%s documents %s twice", explainJSONDoc, m[1])
		}
		rows[m[1]] = r
	}
	if len(rows) < 50 {
		t.Fatalf("%s: only %d rows found; is the table still in the `key` | type | meaning form?", explainJSONDoc, len(rows))
	}
	return rows
}

// jsonType names a decoded value's JSON type as the table does.
func jsonType(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(t.String(), ".eE") {
			return "number"
		}
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// jsonShape walks a decoded explain output and records the types seen at
// each documented key path ("plan.steps[].target"). The keys of a "map"
// row are data, so they are walked as "*"; an "any" row is not entered.
type jsonShape struct {
	doc     map[string]*jsonDocRow
	seen    map[string]map[string]bool
	profile string
	errs    []string
}

func (s *jsonShape) walk(path string, v any) {
	if path == "" {
		for k, e := range v.(map[string]any) {
			s.walk(k, e)
		}
		return
	}
	if r, ok := s.doc[path]; ok && r.alias != "" {
		path = r.alias
	}
	typ := jsonType(v)
	if s.seen[path] == nil {
		s.seen[path] = map[string]bool{}
	}
	s.seen[path][typ] = true
	r, ok := s.doc[path]
	switch {
	case !ok:
		// Walked on, so that one run names every missing row.
		s.errs = append(s.errs, fmt.Sprintf("%s: `%s` (%s) is not documented", s.profile, path, typ))
		r = &jsonDocRow{types: map[string]bool{}}
	case typ == "object" && r.types["origin"]:
		s.origin(path, v.(map[string]any))
		return
	case !r.types[typ] && !r.types["any"] && !(typ == "object" && r.types["map"]):
		s.errs = append(s.errs, fmt.Sprintf("%s: `%s` is %s, documented as %v", s.profile, path, typ, keys(r.types)))
	}
	if r.types["any"] {
		return
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if r.types["map"] {
				k = "*"
			}
			s.walk(join(k), e)
		}
	case []any:
		for _, e := range t {
			s.walk(path+"[]", e)
		}
	}
}

// origin checks a value of the table's "origin" type: where a value was
// set, {"file": string, "line": integer, "col": integer}.
func (s *jsonShape) origin(path string, o map[string]any) {
	want := map[string]string{"file": "string", "line": "integer", "col": "integer"}
	for k, v := range o {
		if want[k] != jsonType(v) {
			s.errs = append(s.errs, fmt.Sprintf("%s: `%s.%s` (%s) is not part of an origin", s.profile, path, k, jsonType(v)))
		}
	}
	if len(o) != len(want) {
		s.errs = append(s.errs, fmt.Sprintf("%s: `%s` has keys %v, an origin has file, line and col", s.profile, path, o))
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fakeSession makes a runtime directory with the sockets of a desktop
// session (nothing listens behind them but the names), so that explain
// shows what a desktop launch would bind.
func fakeSession(t *testing.T) string {
	t.Helper()
	rt, err := os.MkdirTemp("", "sbx-rt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(rt) })
	if err := os.Mkdir(filepath.Join(rt, "pulse"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"wayland-0", "pulse/native", "bus", "pipewire-0"} {
		l, err := net.Listen("unix", filepath.Join(rt, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
	return rt
}

func shippedProfiles(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(profiles.FS, "*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped profiles: %v", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(f, ".toml"))
	}
	return names
}

// explainJSON runs `sandbox explain NAME --json` and decodes it.
func explainJSONOf(t *testing.T, name string) any {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cmdExplain([]string{name, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("explain %s --json: exit %d\n%s", name, code, errb.String())
	}
	dec := json.NewDecoder(&out)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("explain %s --json: %v", name, err)
	}
	return v
}

func TestExplainJSONDocumented(t *testing.T) {
	doc := readJSONDoc(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER", "XAUTHORITY"} {
		t.Setenv(k, "")
	}
	shape := &jsonShape{doc: doc, seen: map[string]map[string]bool{}}
	session := fakeSession(t)
	for _, env := range []struct{ name, runtime string }{{"headless", ""}, {"session", session}} {
		t.Setenv("XDG_RUNTIME_DIR", env.runtime)
		if env.runtime != "" {
			t.Setenv("WAYLAND_DISPLAY", "wayland-0")
		}
		for _, name := range shippedProfiles(t) {
			shape.profile = env.name + " " + name
			out := explainJSONOf(t, name)
			shape.walk("", out)
			checkTyped(t, shape.profile, out)
		}
	}
	for _, e := range shape.errs {
		t.Error(e)
	}
	for path, r := range doc {
		if _, ok := shape.seen[path]; !ok && !r.optional && r.alias == "" {
			t.Errorf("`%s` is documented, but no shipped profile's explain --json has it; remove the row or start its meaning with \"Only when\"", path)
		}
	}
}

// checkTyped fails on a value that is a preformatted string where the
// output should have a typed one: "true"/"false" for a boolean, "[a, b]"
// or "a, b" for a list, digits for a number.
func checkTyped(t *testing.T, who string, out any) {
	t.Helper()
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		case string:
			if x == "true" || x == "false" || strings.HasPrefix(x, "[") && strings.HasSuffix(x, "]") {
				t.Errorf("%s: %s is the preformatted string %q", who, path, x)
			}
		}
	}
	walk("", out)
	// The effective settings hold only values, never prose: a list
	// there must be an array and a number a number.
	m, _ := out.(map[string]any)
	eff, _ := m["effective"].([]any)
	if len(eff) == 0 {
		t.Fatalf("%s: no effective settings", who)
	}
	for _, e := range eff {
		s, _ := e.(map[string]any)
		key, _ := s["key"].(string)
		v, isString := s["value"].(string)
		if !isString || key == "description" || key == "hostname" || key == "domainname" || strings.HasPrefix(key, "environment.set.") {
			continue
		}
		if strings.Contains(v, ", ") || regexp.MustCompile(`^-?[0-9]+$`).MatchString(v) {
			t.Errorf("%s: effective %s is the preformatted string %q", who, key, v)
		}
	}
}

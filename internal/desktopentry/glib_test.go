package desktopentry

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// The desktop entry parser must read a file exactly as GLib does, so it is
// checked against GLib itself: testdata/glib_keyfile.py loads each file
// with GLib's GKeyFile (through python3-gi) and says what GLib sees, and
// the test compares that with parseKeyFile, key by key.

// glibKeyFile is what the helper reports for one file.
type glibKeyFile struct {
	OK     bool              `json:"ok"`
	Error  string            `json:"error"`
	Opaque bool              `json:"opaque"`
	Start  string            `json:"start"`
	Groups []json.RawMessage `json:"groups"`
	Shell  []json.RawMessage `json:"shell"`
}

// glibValue is one key as GLib reads it.
type glibValue struct {
	raw    string
	str    *string
	strict bool
	boolV  *bool
	shell  []json.RawMessage
}

// glibOracle is one long-running helper process; a fuzz worker asks it
// thousands of times, so it is started once per test process, and again
// if an input kills it.
type glibOracle struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  *os.File
	out *os.File
	r   *bufio.Reader
}

var (
	oracleOnce sync.Once
	oracle     *glibOracle
	oracleErr  error
)

// glibPython is a python3 that has GLib's introspection bindings: the
// system's, which python3-gi installs into, before any other on $PATH.
func glibPython() (string, error) {
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if exec.Command(p, "-W", "ignore", "-c", "from gi.repository import GLib").Run() == nil {
			return p, nil
		}
	}
	return "", errors.New("no python3 with GLib's bindings (Debian: python3-gi gir1.2-glib-2.0, installed by make deps)")
}

func (o *glibOracle) start() error {
	py, err := glibPython()
	if err != nil {
		return err
	}
	helper, err := filepath.Abs(filepath.Join("testdata", "glib_keyfile.py"))
	if err != nil {
		return err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return err
	}
	cmd := exec.Command(py, helper)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return fmt.Errorf("starting %s: %w", helper, err)
	}
	// The helper ends when its stdin closes: at the latest when this
	// process ends.
	o.cmd, o.in, o.out, o.r = cmd, inW, outR, bufio.NewReader(outR)
	return nil
}

// stop ends a helper that failed, so the next question starts a new one.
func (o *glibOracle) stop() {
	o.in.Close()
	o.out.Close()
	o.cmd.Process.Kill()
	o.cmd.Wait()
	o.cmd = nil
}

// requireOracle returns the shared helper, or skips (fails under CI) when
// GLib's bindings are missing.
func requireOracle(t testing.TB) *glibOracle {
	t.Helper()
	oracleOnce.Do(func() {
		oracle = &glibOracle{}
		oracleErr = oracle.start()
	})
	if oracleErr != nil {
		requireOrSkip(t, false, "GLib is the oracle of this test: "+oracleErr.Error())
	}
	return oracle
}

func (o *glibOracle) read(t testing.TB, data []byte) glibKeyFile {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cmd == nil {
		if err := o.start(); err != nil {
			t.Fatalf("restarting the GLib helper: %v", err)
		}
	}
	var head [4]byte
	binary.BigEndian.PutUint32(head[:], uint32(len(data)))
	_, err := o.in.Write(append(head[:], data...))
	var line []byte
	if err == nil {
		o.out.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err = o.r.ReadBytes('\n')
	}
	if err != nil {
		o.stop()
		t.Fatalf("the GLib helper failed on %q: %v", data, err)
	}
	var res glibKeyFile
	if err := json.Unmarshal(line, &res); err != nil {
		t.Fatalf("the GLib helper said %q: %v", line, err)
	}
	return res
}

// groupsOf decodes the helper's groups: name, then its keys.
func (g glibKeyFile) groupsOf(t testing.TB) ([]string, map[string]map[string]glibValue) {
	t.Helper()
	var names []string
	values := map[string]map[string]glibValue{}
	for _, raw := range g.Groups {
		var pair []json.RawMessage
		var name string
		var keys [][]json.RawMessage
		if json.Unmarshal(raw, &pair) != nil || len(pair) != 2 || json.Unmarshal(pair[0], &name) != nil || json.Unmarshal(pair[1], &keys) != nil {
			t.Fatalf("bad group from the helper: %s", raw)
		}
		names = append(names, name)
		values[name] = map[string]glibValue{}
		for _, k := range keys {
			var key string
			var v glibValue
			if len(k) != 6 || json.Unmarshal(k[0], &key) != nil || json.Unmarshal(k[1], &v.raw) != nil ||
				json.Unmarshal(k[2], &v.str) != nil || json.Unmarshal(k[3], &v.strict) != nil || json.Unmarshal(k[4], &v.boolV) != nil ||
				json.Unmarshal(k[5], &v.shell) != nil {
				t.Fatalf("bad key from the helper: %q", k)
			}
			values[name][key] = v
		}
	}
	return names, values
}

// compareWithGLib fails t where parseKeyFile and GLib read data
// differently. Refusing what GLib loads is allowed only for the reasons
// we give up on on purpose (keyFileError.glibRejects false); saying GLib
// refuses a file it loads, or reading one it loads differently, is not.
func compareWithGLib(t testing.TB, name string, data []byte, g glibKeyFile) {
	t.Helper()
	kf, err := parseKeyFile(name, string(data))
	var kfe *keyFileError
	switch {
	case err != nil && !errors.As(err, &kfe):
		t.Fatalf("%s: %v is not a keyFileError", name, err)
	case err != nil && kfe.glibRejects && g.OK:
		t.Errorf("%s: we say GLib refuses it (%v), but GLib loads it", name, err)
	case err != nil:
		// Refused: by GLib too, or on purpose.
	case !g.OK:
		t.Errorf("%s: GLib refuses it (%s), but we read it", name, g.Error)
	case g.Opaque:
		t.Errorf("%s: we read a file that is not UTF-8 or holds a NUL", name)
	default:
		compareContent(t, name, kf, g)
	}
	compareShell(t, name+" as a command line", data, g.Shell)
}

func compareContent(t testing.TB, name string, kf *keyFile, g glibKeyFile) {
	t.Helper()
	names, values := g.groupsOf(t)
	if got := kf.startGroup(); got != g.Start {
		t.Errorf("%s: first group %q, GLib %q", name, got, g.Start)
	}
	if got := kf.groups(); !reflect.DeepEqual(got, names) && !(len(got) == 0 && len(names) == 0) {
		t.Errorf("%s: groups %q, GLib %q", name, got, names)
	}
	for _, group := range names {
		want := values[group]
		got := map[string]bool{}
		for _, l := range kf.lines {
			if !l.header && l.key != "" && l.group == group {
				got[l.key] = true
			}
		}
		var gotKeys, wantKeys []string
		for k := range got {
			gotKeys = append(gotKeys, k)
		}
		for k := range want {
			wantKeys = append(wantKeys, k)
		}
		sort.Strings(gotKeys)
		sort.Strings(wantKeys)
		if !reflect.DeepEqual(gotKeys, wantKeys) {
			t.Errorf("%s: [%s] keys %q, GLib %q", name, group, gotKeys, wantKeys)
			continue
		}
		for key, v := range want {
			raw, _ := kf.get(group, key)
			if raw != v.raw {
				t.Errorf("%s: [%s] %s = %q, GLib %q", name, group, key, raw, v.raw)
			}
			s, strict := glibString(raw)
			if strict != v.strict || strict && v.str != nil && s != *v.str {
				t.Errorf("%s: [%s] %s reads as the string %q (strict %v), GLib %v (strict %v)", name, group, key, s, strict, deref(v.str), v.strict)
			}
			if strict {
				compareShell(t, fmt.Sprintf("%s: [%s] %s", name, group, key), []byte(s), v.shell)
			}
			wantBool := v.boolV != nil && *v.boolV
			if b := kf.boolean(group, key); b != wantBool {
				t.Errorf("%s: [%s] %s reads as the boolean %v, GLib %v", name, group, key, b, wantBool)
			}
		}
	}
}

// compareShell checks the Exec splitter on data read as one command line
// against GLib's result.
func compareShell(t testing.TB, name string, data []byte, glib []json.RawMessage) {
	t.Helper()
	if len(glib) != 2 || !utf8.Valid(data) || strings.IndexByte(string(data), 0) >= 0 {
		return
	}
	var status string
	json.Unmarshal(glib[0], &status)
	words, err := glibShellParse(string(data))
	if status != "ok" {
		if err == nil {
			var msg string
			json.Unmarshal(glib[1], &msg)
			t.Errorf("%s: GLib refuses to split it (%s), we split it into %q", name, msg, wordsOf(words))
		}
		return
	}
	var want []string
	json.Unmarshal(glib[1], &want)
	if err != nil {
		t.Errorf("%s: GLib splits it into %q, we refuse it: %v", name, want, err)
	} else if got := wordsOf(words); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: we split it into %q, GLib into %q", name, got, want)
	}
}

func wordsOf(words []shellWordSpan) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w.word
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}

// keyFileCorpus is every committed test file and the desktop entries and
// D-Bus service files installed on this machine.
func keyFileCorpus(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var paths []string
	for _, pattern := range []string{"testdata/keyfiles/*", "/usr/share/applications/*.desktop",
		"/usr/local/share/applications/*.desktop", "/usr/share/dbus-1/services/*.service"} {
		m, _ := filepath.Glob(pattern)
		paths = append(paths, m...)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || len(b) > maxKeyFile {
			continue
		}
		out[p] = b
	}
	if len(out) < 30 {
		t.Fatalf("the corpus has %d files; testdata/keyfiles is missing?", len(out))
	}
	return out
}

// TestKeyFileMatchesGLib reads the corpus with both parsers.
func TestKeyFileMatchesGLib(t *testing.T) {
	o := requireOracle(t)
	corpus := keyFileCorpus(t)
	agreed := 0
	for name, data := range corpus {
		g := o.read(t, data)
		compareWithGLib(t, name, data, g)
		if _, err := parseKeyFile(name, string(data)); err == nil == g.OK {
			agreed++
		}
	}
	t.Logf("%d files; GLib and we agree on loading %d of them (the others we refuse on purpose)", len(corpus), agreed)
}

// TestKeyFileGLibRefusals pins what GLib refuses and what we refuse on
// purpose in the committed corpus, so that a change in either shows.
func TestKeyFileGLibRefusals(t *testing.T) {
	want := map[string]string{ // file: "glib" (GLib refuses it), "ours" (only we do), "" (both read it)
		"w4-nbsp-group.desktop": "", "w4-nbsp-key.desktop": "", "bracket-key.desktop": "glib",
		"crlf.desktop": "", "crlf-header-eof.desktop": "glib", "duplicate-keys.desktop": "",
		"duplicate-groups.desktop": "", "locales.desktop": "", "locale-space.desktop": "glib",
		"locale-unicode.desktop": "ours", "locale-bad.desktop": "glib", "locale-trailing.desktop": "glib",
		"locale-unterminated.desktop": "glib", "key-closing-bracket.desktop": "glib", "escapes.desktop": "",
		"comments.desktop": "", "bad-line.desktop": "glib", "key-before-group.desktop": "glib",
		"bad-group-name.desktop": "glib", "group-control.desktop": "glib", "group-empty.desktop": "glib",
		"group-trailing.desktop": "glib", "encoding-latin1.desktop": "glib", "encoding-utf8.desktop": "",
		"encoding-later-group.desktop": "", "encoding-merged.desktop": "glib", "vertical-tab.desktop": "",
		"equals-first.desktop": "glib", "spaces-in-key.desktop": "", "booleans.desktop": "",
		"no-final-newline.desktop": "", "start-group-other.desktop": "", "exec-quirks.desktop": "",
		"not-utf8.desktop": "ours", "nul.desktop": "ours", "overlong.desktop": "ours",
	}
	files, _ := filepath.Glob("testdata/keyfiles/*")
	if len(files) != len(want) {
		t.Errorf("testdata/keyfiles has %d files, the table %d", len(files), len(want))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = parseKeyFile(p, string(b))
		got := ""
		if err != nil {
			got = "ours"
			if glibCannotLoad(err) {
				got = "glib"
			}
		}
		if w, ok := want[filepath.Base(p)]; !ok || got != w {
			t.Errorf("%s: refused by %q (%v), want %q", p, got, err, w)
		}
	}
}

// FuzzKeyFileGLib has GLib as its oracle: whatever the input, our reading
// must be GLib's, or a refusal we make on purpose.
func FuzzKeyFileGLib(f *testing.F) {
	o := requireOracle(f)
	for _, data := range keyFileCorpus(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		compareWithGLib(t, "input", data, o.read(t, data))
	})
}

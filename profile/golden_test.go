package profile

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestErrorGolden")

// testEnv is the caller every test loads for, unless it says otherwise.
func testEnv() Env {
	return Env{
		UID: 1000, GID: 1000, User: "alice", Home: "/home/alice", Cwd: "/home/alice/src",
		Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"},
	}
}

// goldenSource is the search path of the error cases: their lib
// directory, then two built-in profiles.
func goldenSource() Source {
	return Source{
		Dirs: []string{"testdata/errors/lib"},
		Builtin: fstest.MapFS{
			"minimal.toml": {Data: []byte("description = \"built in\"\n")},
			"desktop.toml": {Data: []byte("extends = [\"minimal\"]\n")},
		},
	}
}

// TestErrorGolden loads every testdata/errors/*.toml and compares the
// complete error report with the .golden file next to it. Each case file
// is a class of bad input from the security checklist (B1-B13, F7) or a
// rule of the profile specification; the golden files are the messages a
// user sees, so a change in wording shows up in review.
func TestErrorGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/errors/*.toml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no error cases found: %v", err)
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".toml")
		t.Run(name, func(t *testing.T) {
			p, err := Load(file, testEnv(), goldenSource())
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want errors; profile: %+v", file, p)
			}
			if _, ok := err.(Errors); !ok {
				t.Fatalf("Load returned %T, want profile.Errors", err)
			}
			checkPositions(t, err.(Errors))
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".toml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file (run with -update to create it): %v", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\n--- got:\n%s--- want:\n%s", golden, got, want)
			}
		})
	}
}

// checkPositions asserts the invariant every report keeps: an error about a
// key has a position, and only problems with a whole file lack one.
func checkPositions(t *testing.T, errs Errors) {
	t.Helper()
	for _, e := range errs {
		if e.Line < 0 || e.Col < 0 || (e.Line == 0) != (e.Col == 0) {
			t.Errorf("bad position in %q", e.Error())
		}
		if e.Key != "" && e.Line == 0 {
			t.Errorf("error about key %s has no position: %q", e.Key, e.Error())
		}
	}
}

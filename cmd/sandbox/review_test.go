package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffExitStatus: diff exits 1 when B loosens A, 0 otherwise, and its
// JSON says the same.
func TestDiffExitStatus(t *testing.T) {
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, "Downloads"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Chdir(home)
	prof := filepath.Join(t.TempDir(), "wider.toml")
	if err := os.WriteFile(prof, []byte("extends = [\"minimal\"]\n\n[[mount]]\ntype = \"ro-bind\"\nsource = \"${HOME}/Downloads\"\ntarget = \"/data\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"diff", "minimal", prof}, &out, &errb); code != 1 {
		t.Fatalf("diff minimal wider: exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "LOOSENING  mount: /data") || !strings.Contains(out.String(), "wider.toml:3") {
		t.Errorf("output %q: want the /data loosening at wider.toml:3", out.String())
	}
	out.Reset()
	if code := run([]string{"diff", prof, "minimal", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("diff wider minimal: exit %d, want 0\n%s", code, errb.String())
	}
	var j struct {
		Loosens bool `json:"loosens"`
		Changes []struct {
			Direction string `json:"direction"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(out.Bytes(), &j); err != nil || j.Loosens || len(j.Changes) != 1 || j.Changes[0].Direction != "tightening" {
		t.Errorf("json %s (%v): want one tightening", out.String(), err)
	}
}

// TestExportArgs: bad export command lines are refused before anything is
// compiled, and a gap that weakens isolation stops the export without
// --allow-gaps.
func TestExportArgs(t *testing.T) {
	for _, args := range [][]string{
		{"export"}, {"export", "tar", "minimal"}, {"export", "oci", "minimal"},
		{"export", "systemd", "minimal", "--", "/bin/true"}, {"export", "bwrap", "minimal", "--frob"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitLauncher || !strings.Contains(errb.String(), "usage: sandbox export") {
			t.Errorf("%q: exit %d, stderr %q: want 125 with the usage", args, code, errb.String())
		}
	}
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	prof := filepath.Join(dir, "open.toml")
	// With seccomp off, the user namespace limit is the only thing
	// stopping nested namespaces: an OCI runtime cannot set it.
	if err := os.WriteFile(prof, []byte("extends = [\"minimal\"]\n\n[process]\nnew_session = true\n\n[seccomp]\npolicy = \"none\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	bundle := filepath.Join(dir, "b")
	code := run([]string{"export", "oci", bundle, prof}, &out, &errb)
	if code != exitLauncher || !strings.Contains(errb.String(), "[weakens isolation]") {
		t.Fatalf("export oci of a profile without seccomp: exit %d, stderr %q: want 125 and a weakening gap", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(bundle, "config.json")); err == nil {
		t.Errorf("config.json written although the export failed")
	}
	if code := run([]string{"export", "oci", bundle, prof, "--allow-gaps"}, &out, &errb); code != 0 {
		t.Fatalf("--allow-gaps: exit %d\n%s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(bundle, "config.json")); err != nil {
		t.Errorf("--allow-gaps wrote no config.json: %v", err)
	}
}

// TestExplainScore: explain --score prints the grade, and --json carries it.
func TestExplainScore(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	var out, errb bytes.Buffer
	if code := run([]string{"explain", "minimal", "--score"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "grade A") {
		t.Fatalf("explain minimal --score: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"explain", "minimal", "--json"}, &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	var j struct {
		Score struct {
			Grade string `json:"grade"`
		} `json:"score"`
	}
	if err := json.Unmarshal(out.Bytes(), &j); err != nil || j.Score.Grade != "A" {
		t.Errorf("explain --json score %+v (%v): want grade A", j.Score, err)
	}
}

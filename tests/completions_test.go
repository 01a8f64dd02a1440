package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var completionFiles = []string{"../completions/sandbox.bash", "../completions/_sandbox", "../completions/sandbox.fish"}

// TestCompletionsCoverTheCommandLine checks each shell's completion
// against the binary's own usage: every subcommand, every desktop action
// and the options they take, so that a subcommand added to the binary
// without its completion fails here.
func TestCompletionsCoverTheCommandLine(t *testing.T) {
	usage := hostOutput(t, sandboxBin, "--help") + hostOutput(t, sandboxBin, "desktop", "--help")
	words := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+sandbox ((?:desktop )?[a-z]+)`).FindAllStringSubmatch(usage, -1) {
		for _, w := range strings.Fields(m[1]) {
			words[w] = true
		}
	}
	for _, must := range []string{"check", "explain", "list", "desktop", "install", "remove", "audit"} {
		if !words[must] {
			t.Fatalf("the usage no longer names %q; the pattern reading it is stale:\n%s", must, usage)
		}
	}
	for _, opt := range []string{"--json", "--force", "--profile", "--help", "--version", "list --names"} {
		words[opt] = true
	}
	// The options of a run are listed in the usage, not only completed.
	for _, opt := range []string{"-p, --profile PROFILE", "--profile=PROFILE", "--verbose", "--name NAME", "--status-fd N"} {
		if !strings.Contains(usage, opt) {
			t.Errorf("sandbox --help does not list %q:\n%s", opt, usage)
		}
	}
	for _, file := range completionFiles {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for w := range words {
			pattern := regexp.QuoteMeta(w)
			if long, ok := strings.CutPrefix(w, "--"); ok {
				pattern = `(--|-l )` + regexp.QuoteMeta(long) // fish writes -l NAME
			}
			if !regexp.MustCompile(`(^|[^a-z-])` + pattern + `($|[^a-z-])`).Match(text) {
				t.Errorf("%s does not complete %q", file, w)
			}
		}
	}
}

// completionWorld is a fake set of desktop entries: a system one, one
// `sandbox desktop install` wrote and one of the user's own.
func completionWorld(t *testing.T) []string {
	t.Helper()
	root := t.TempDir()
	write := func(path, text string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "sys", "applications", "fakeviewer.desktop"), "[Desktop Entry]\nExec=fakeviewer\n")
	write(filepath.Join(root, "home", "applications", "wrapped.desktop"), "[Desktop Entry]\nX-Sandbox-Profile=minimal\nExec=sandbox -p minimal -- wrapped\n")
	write(filepath.Join(root, "home", "applications", "mine.desktop"), "[Desktop Entry]\nExec=mine\n")
	return []string{
		"PATH=" + filepath.Dir(sandboxBin) + ":/usr/bin:/bin",
		"HOME=" + root, "XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_DATA_HOME=" + filepath.Join(root, "home"), "XDG_DATA_DIRS=" + filepath.Join(root, "sys"),
	}
}

// TestBashCompletion drives the bash completion function as bash does on
// TAB, without the bash-completion package (its fallback path), and with
// it when it is installed.
func TestBashCompletion(t *testing.T) {
	env := completionWorld(t)
	tests := []struct {
		words []string // the last one is the word being completed
		want  []string // must all be offered
		only  bool     // and nothing else
	}{
		{[]string{"sandbox", ""}, []string{"check", "explain", "list", "desktop"}, false},
		{[]string{"sandbox", "ch"}, []string{"check"}, false},
		{[]string{"sandbox", "-p", ""}, []string{"base", "minimal", "shell"}, false},
		{[]string{"sandbox", "-p", "mi"}, []string{"minimal"}, true},
		// bash splits --profile=mi into three words.
		{[]string{"sandbox", "--profile", "=", "mi"}, []string{"minimal"}, true},
		// The command after --profile=NAME is a command, not a file
		// name, and its arguments are its own.
		{[]string{"sandbox", "--profile", "=", "minimal", "l"}, []string{"ls"}, false},
		{[]string{"sandbox", "--profile", "=", "minimal", "ls", "completion-fi"}, []string{"completion-file"}, true},
		{[]string{"sandbox", "-p", "minimal", "l"}, []string{"ls"}, false},
		{[]string{"sandbox", "-"}, []string{"-p", "--profile", "--help", "--version"}, false},
		{[]string{"sandbox", "-p", "minimal", "--", "l"}, []string{"ls"}, false},
		{[]string{"sandbox", "--net", ""}, []string{"none", "host", "nat", "filtered"}, true},
		{[]string{"sandbox", "--bind", "/tm"}, []string{"/tmp"}, false},
		{[]string{"sandbox", "--ro-bind", "/tmp", "-p", "minimal", "l"}, []string{"ls"}, false},
		{[]string{"sandbox", "--q"}, []string{"--quiet"}, true},
		{[]string{"sandbox", "check", "mi"}, []string{"minimal"}, false},
		{[]string{"sandbox", "explain", "--j"}, []string{"--json"}, true},
		{[]string{"sandbox", "desktop", ""}, []string{"install", "remove", "audit"}, true},
		{[]string{"sandbox", "desktop", "install", ""}, []string{"fakeviewer", "wrapped", "mine"}, true},
		{[]string{"sandbox", "desktop", "install", "--f"}, []string{"--force"}, true},
		{[]string{"sandbox", "desktop", "install", "-p", "mi"}, []string{"minimal"}, true},
		{[]string{"sandbox", "desktop", "remove", ""}, []string{"wrapped"}, true},
		{[]string{"sandbox", "en"}, []string{"enter"}, false},
		{[]string{"sandbox", "enter", "web", ""}, []string{"--"}, true},
		{[]string{"sandbox", "enter", "web", "--", "l"}, []string{"ls"}, false},
	}
	preludes := map[string]string{"without bash-completion": ""}
	if _, err := os.Stat("/usr/share/bash-completion/bash_completion"); err == nil {
		preludes["with bash-completion"] = "source /usr/share/bash-completion/bash_completion\n"
	} else {
		// make deps installs it: CI must run the path most users have.
		t.Run("with bash-completion", func(t *testing.T) {
			requireOrSkip(t, false, "the bash-completion package is not installed (make deps)")
		})
	}
	script, err := filepath.Abs("../completions/sandbox.bash")
	if err != nil {
		t.Fatal(err)
	}
	// The directory completion runs in: file names are offered only
	// where a command's arguments are.
	cwd := t.TempDir()
	if err := os.WriteFile(filepath.Join(cwd, "completion-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, prelude := range preludes {
		t.Run(name, func(t *testing.T) {
			for _, tt := range tests {
				script := prelude + "source " + script + "\n" +
					// The line as typed: bash splits "--profile=mi" at "="
					// into words with no blank between them.
					`COMP_LINE=; p=; for w in "$@"; do if [[ $w == = || $p == = ]]; then COMP_LINE+=$w; else COMP_LINE+="${COMP_LINE:+ }$w"; fi; p=$w; done` + "\n" +
					`COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_POINT=${#COMP_LINE}` + "\n" +
					`_sandbox; printf '%s\n' "${COMPREPLY[@]}"`
				cmd := exec.Command("bash", append([]string{"-c", script, "bash"}, tt.words...)...)
				cmd.Env, cmd.Dir = env, cwd
				out, err := cmd.Output()
				if err != nil {
					t.Errorf("completing %q: %v", tt.words, err)
					continue
				}
				got := strings.Fields(string(out))
				for _, w := range tt.want {
					if !slices.Contains(got, w) {
						t.Errorf("completing %q offers %q, not %q", tt.words, got, w)
					}
				}
				if tt.only && len(got) != len(tt.want) {
					t.Errorf("completing %q offers %q, want exactly %q", tt.words, got, tt.want)
				}
			}
		})
	}
}

// TestZshAndFishCompletions checks the zsh and fish files where those
// shells are installed: their syntax, and for fish, which completes from
// a script, what it offers. CI's machine may have neither; the bash test
// and the coverage test above run everywhere.
func TestZshAndFishCompletions(t *testing.T) {
	checked := 0
	if _, err := exec.LookPath("zsh"); err == nil {
		checked++
		if out, err := exec.Command("zsh", "-n", "../completions/_sandbox").CombinedOutput(); err != nil {
			t.Errorf("zsh -n _sandbox: %v\n%s", err, out)
		}
	}
	if _, err := exec.LookPath("fish"); err == nil {
		checked++
		if out, err := exec.Command("fish", "-n", "../completions/sandbox.fish").CombinedOutput(); err != nil {
			t.Errorf("fish -n sandbox.fish: %v\n%s", err, out)
		}
		env := completionWorld(t)
		for line, want := range map[string][]string{
			"sandbox -p mi":             {"minimal"},
			"sandbox desktop ":          {"audit", "install", "remove"},
			"sandbox desktop remove ":   {"wrapped"},
			"sandbox desktop install -": {"-f", "-p", "--force", "--profile"},
		} {
			cmd := exec.Command("fish", "--no-config", "-c", "source ../completions/sandbox.fish; complete -C '"+line+"'")
			cmd.Env = env
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("fish completing %q: %v", line, err)
				continue
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				got = append(got, strings.SplitN(l, "\t", 2)[0])
			}
			if !slices.Equal(got, want) {
				t.Errorf("fish completing %q offers %q, want %q", line, got, want)
			}
		}
	}
	if checked == 0 {
		t.Log("neither zsh nor fish is installed: their completions were checked only for coverage")
	}
}

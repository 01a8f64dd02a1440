package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sandbox/plan"
	"sandbox/profile"
	"sandbox/profiles"
)

// envPlan loads and compiles the shipped profile name as a launch does
// (newCaller, the profile's load, the lenient compile) in the environment
// environ, and returns the plan and the variables recorded as what it
// depends on.
func envPlan(t *testing.T, name string, environ []string) (*plan.Plan, []string) {
	t.Helper()
	c := newCallerIn(environ)
	p, err := profile.LoadWith(name, c.env, c.src, commandLine(nil, c.env.Cwd))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	command := []string{"/bin/true"}
	if len(p.Programs) > 0 {
		command = []string{p.Programs[0]}
	}
	pl, err := compilePlan(p, command, c.host)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return pl, c.inputs.EnvUsed()
}

// envCovered reports whether the variable name is among the recorded
// names or under a recorded prefix.
func envCovered(name string, used []string) bool {
	for _, u := range used {
		if prefix, ok := strings.CutSuffix(u, "*"); ok && strings.HasPrefix(name, prefix) || u == name {
			return true
		}
	}
	return false
}

// realisticEnv is a desktop session's environment, with the variables the
// shipped profiles keep, and the ones that change from one launch to the
// next (a terminal's, a benchmark's, a menu's).
func realisticEnv(t *testing.T) []string {
	home := t.TempDir()
	rt := fakeSession(t)
	env := []string{
		"HOME=" + home, "USER=user", "LOGNAME=user", "SHELL=/bin/bash", "PATH=/usr/local/bin:/usr/bin:/bin",
		"TERM=xterm-256color", "COLORTERM=truecolor", "LANG=en_GB.UTF-8", "LC_TIME=C", "TZ=UTC",
		// Not the defaults: a read of them then shows in the plan.
		"XDG_RUNTIME_DIR=" + rt, "XDG_CONFIG_HOME=" + filepath.Join(home, "cfg"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"), "XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "XDG_SESSION_TYPE=wayland",
		"XDG_CURRENT_DESKTOP=GNOME", "WAYLAND_DISPLAY=wayland-0", "DISPLAY=:0",
		"XAUTHORITY=" + filepath.Join(home, ".Xauthority"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(rt, "bus"),
		"PULSE_SERVER=unix:" + filepath.Join(rt, "pulse", "native"),
		"SSH_AUTH_SOCK=" + filepath.Join(rt, "ssh-agent"), "EDITOR=vi", "PAGER=less",
		"OLDPWD=/tmp", "SHLVL=2", "_=/usr/bin/sandbox", "DESKTOP_STARTUP_ID=menu-1",
		"INVOCATION_ID=0123", "HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET=17", "SECRET_TOKEN=s3cret",
		"SUDO_UID=1000", "SUDO_GID=1000", "PKEXEC_UID=1000", "SANDBOX_PLAN_CACHE=verbose",
	}
	// Each shipped profile's own keep list, set, so that what a profile
	// passes is there to be passed.
	for _, name := range shippedProfiles(t) {
		p, err := profile.LoadWith(name, profile.Env{Home: home, User: "user", Cwd: "/tmp/project"},
			profile.Source{Builtin: profiles.FS}, nil)
		if err != nil {
			continue
		}
		for _, k := range p.Environment.Keep {
			k = strings.TrimSuffix(k, "*")
			if k != "" && !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, k+"=") }) {
				env = append(env, k+"=kept")
			}
		}
	}
	return env
}

// TestPlanEnvRecorded checks that a plan depends on no variable but those
// recorded for the plan cache: every shipped profile is compiled in a
// realistic environment, then every variable not recorded is changed and
// an unrelated one added, and the plan must come out the same. An
// environment read the cache's key does not see fails here, since a
// cached plan would then be run in an environment it was not compiled
// for.
func TestPlanEnvRecorded(t *testing.T) {
	base := realisticEnv(t)
	for _, name := range shippedProfiles(t) {
		plan, used := envPlan(t, name, base)
		if len(used) == 0 {
			t.Errorf("%s: no variable recorded", name)
		}
		t.Logf("%s depends on %q", name, used)
		var changed, moved []string
		for _, kv := range base {
			k, v, _ := strings.Cut(kv, "=")
			if envCovered(k, used) {
				changed = append(changed, kv)
				continue
			}
			moved = append(moved, k)
			changed = append(changed, k+"="+v+"-changed")
		}
		if extra := "SANDBOX_TEST_UNRELATED_VARIABLE"; !envCovered(extra, used) {
			changed = append(changed, extra+"=1")
		}
		again, usedAgain := envPlan(t, name, changed)
		if diff := planFieldsDiffer(plan, again); len(diff) > 0 {
			t.Errorf("%s: the plan's %s changed with variables the cache does not record (%q; recorded %q)",
				name, diff, moved, used)
		}
		if !slices.Equal(used, usedAgain) {
			t.Errorf("%s: recorded %q, then %q", name, used, usedAgain)
		}
		// The recording is not vacuous: a variable the plan passes
		// to the payload is recorded.
		if !envCovered("PATH", used) || !envCovered("LC_TIME", used) {
			t.Errorf("%s: the payload's default variables are not recorded: %q", name, used)
		}
	}
}

// TestPlanEnvRecordedSeesReads checks the check above: a variable the
// profile's load reads changes the plan and is recorded.
func TestPlanEnvRecordedSeesReads(t *testing.T) {
	base := realisticEnv(t)
	plan, used := envPlan(t, "minimal", base)
	for _, want := range []string{"HOME", "XDG_CONFIG_HOME", "USER"} {
		if !slices.Contains(used, want) {
			t.Errorf("%s is not recorded: %q", want, used)
		}
	}
	var changed []string
	for _, kv := range base {
		if strings.HasPrefix(kv, "HOME=") {
			kv = "HOME=" + t.TempDir()
		}
		changed = append(changed, kv)
	}
	if again, _ := envPlan(t, "minimal", changed); len(planFieldsDiffer(plan, again)) == 0 {
		t.Error("a changed HOME left the plan as it was: the check cannot see a read")
	}

	// A persistent home is placed by $XDG_DATA_HOME, which only the
	// profile's load reads.
	dir := t.TempDir()
	file := filepath.Join(dir, "keeper.toml")
	if err := os.WriteFile(file, []byte("extends = [\"minimal\"]\n[filesystem]\npersistent_home = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, used := envPlan(t, file, base); !slices.Contains(used, "XDG_DATA_HOME") {
		t.Errorf("a persistent home's XDG_DATA_HOME is not recorded: %q", used)
	}
}

// planFieldsDiffer names the fields of the two plans that differ.
func planFieldsDiffer(a, b *plan.Plan) []string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	var out []string
	for i := 0; i < va.NumField(); i++ {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, va.Type().Field(i).Name)
		}
	}
	return out
}

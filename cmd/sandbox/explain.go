package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"sandbox/compile"
	"sandbox/launcher"
	"sandbox/plan"
	"sandbox/profile"
	"sandbox/review"
)

// cmdExplain prints the effective profile, with the file that set each
// value, and the compiled plan step by step.
func cmdExplain(args []string, stdout, stderr io.Writer) int {
	var name string
	asJSON, score := false, false
	var command []string
	var flags []profile.Flag
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case command == nil && profile.IsFlag(a) && i+1 < len(args):
			flags = append(flags, profile.Flag{Opt: a, Value: args[i+1]})
			i++
		case command == nil && isFlagAssign(a):
			k, v, _ := strings.Cut(a, "=")
			flags = append(flags, profile.Flag{Opt: k, Value: v})
		case a == "--json":
			asJSON = true
		case a == "--score":
			score = true
		case a == "--":
			command = args[i+1:]
		case name == "" && !strings.HasPrefix(a, "-"):
			name = a
		default:
			if command == nil {
				fmt.Fprintf(stderr, "sandbox: explain: unexpected argument %q\n", a)
				return exitLauncher
			}
		}
		if command != nil {
			break
		}
	}
	if name == "" {
		fmt.Fprintln(stderr, "sandbox: explain needs a profile name or path")
		return exitLauncher
	}
	c := newCaller()
	cl := commandLine(flags, c.env.Cwd)
	p, err := profile.LoadWith(name, c.env, c.src, cl)
	if err != nil {
		printLoadErr(stderr, name, err)
		return exitLauncher
	}
	if len(command) == 0 {
		command = []string{"COMMAND"}
		if len(p.Programs) > 0 {
			command = []string{p.Programs[0]}
		}
	}
	// What this machine lacks (a display, a bus) is shown as a
	// warning: explain describes the profile on a headless machine too.
	pl, err := compilePlan(p, command, c.host)
	if err != nil {
		printLoadErr(stderr, name, cl.Rewrite(err))
		return exitLauncher
	}
	cache := launcher.PlanCacheable(pl, c.inputs, c.environ)
	sc := review.ScorePlan(pl, c.host.Home)
	if asJSON {
		return explainJSON(stdout, stderr, p, pl, cache, sc)
	}
	if score {
		printScore(stdout, sc)
		return 0
	}
	// Built whole, then fitted to the terminal (textfit.go).
	width := outputWidth(stdout)
	var text bytes.Buffer
	explainText(&text, p, pl, cache, width)
	fitLines(stdout, text.String(), width)
	return 0
}

// explainLoosened is every way the plan is weaker than the defaults, one
// line each, as explain prints them after "LOOSENED:".
func explainLoosened(p *profile.Profile, pl *plan.Plan) []looseLine {
	out := []looseLine{}
	if !pl.DieWithParent {
		out = append(out, looseLine{"process.die_with_parent", "the sandbox outlives the launcher (process.die_with_parent = false)"})
	}
	for _, l := range loosenings(p) {
		out = append(out, looseLine{Text: l})
	}
	return append(out, desktopLoosenings(p)...)
}

// planCacheJSON says whether launches run the plan from the plan cache.
type planCacheJSON struct {
	Cached bool   `json:"cached"`
	WhyNot string `json:"why_not,omitempty"`
}

func explainJSON(stdout, stderr io.Writer, p *profile.Profile, pl *plan.Plan, cache string, sc review.Score) int {
	type step struct {
		Index       int            `json:"index"`
		Kind        string         `json:"kind"`
		Description string         `json:"description"`
		From        string         `json:"from"`
		Detail      plan.Step      `json:"detail"`
		At          profile.Origin `json:"at"`
	}
	out := struct {
		Profile   *profile.Profile `json:"profile"`
		Effective []setting        `json:"effective"`
		Plan      *plan.Plan       `json:"plan"`
		Steps     []step           `json:"steps"`
		Loosened  []looseLine      `json:"loosened"`
		PlanCache planCacheJSON    `json:"plan_cache"`
		Score     review.Score     `json:"score"`
		Cwd       cwdJSON          `json:"cwd"`
	}{Cwd: explainCwd(p, pl), Score: sc, Profile: p, Effective: settings(p), Plan: pl, PlanCache: planCacheJSON{Cached: cache == "", WhyNot: cache},
		Loosened: explainLoosened(p, pl)}
	for i, s := range pl.Steps {
		out.Steps = append(out.Steps, step{Index: i + 1, Kind: s.Kind(), Description: s.Describe(),
			From: originString(profile.Origin(s.Origin())), Detail: s, At: profile.Origin(s.Origin())})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "sandbox: explain: %v\n", err)
		return exitLauncher
	}
	return 0
}

func explainText(w io.Writer, p *profile.Profile, pl *plan.Plan, cache string, width int) {
	fmt.Fprintf(w, "Profile %s", p.Name)
	if p.Description != "" {
		fmt.Fprintf(w, ": %s", p.Description)
	}
	fmt.Fprintf(w, "\nLayers, base first: %s\n\n", strings.Join(p.Files, ", "))

	fmt.Fprintln(w, "Effective profile (value, then the file that set it):")
	explainSettings(w, settings(p), width)

	fmt.Fprintf(w, "\nPlan:\n  namespaces: %s\n", describeNamespaces(p.Namespaces))
	if pl.IDs != nil {
		fmt.Fprintf(w, "  ids: %s\n", describeIDs(pl.IDs))
		if pl.IDs.Note != "" {
			fmt.Fprintf(w, "       (%s)\n", pl.IDs.Note)
		}
	}
	if l := homeLine(p, pl); l != "" {
		fmt.Fprintf(w, "  %s\n", l)
	}
	for i, s := range pl.Steps {
		from := ""
		if o := s.Origin(); o.File != "" {
			from = "  (from " + originString(profile.Origin(o)) + ")"
		}
		fmt.Fprintf(w, "  %2d. %s%s\n", i+1, s.Describe(), from)
		if sc, ok := s.(plan.Seccomp); ok {
			for _, line := range sc.Summary {
				fmt.Fprintf(w, "        - %s\n", line)
			}
		}
	}
	explainProtected(w, pl)
	explainCwdText(w, p, pl)
	explainServices(w, pl)
	fmt.Fprintf(w, "\n  environment (everything else is cleared):\n")
	for _, kv := range pl.Env {
		fmt.Fprintf(w, "    %s\n", kv)
	}
	if pl.DieWithParent {
		fmt.Fprintln(w, "  the sandbox is killed when the launcher dies")
	}
	for _, l := range explainLoosened(p, pl) {
		fmt.Fprintf(w, "  LOOSENED: %s\n", l.Text)
	}
	if cache == "" {
		fmt.Fprintln(w, "\n  launch: compiled once, then run from the plan cache by later launches with the same arguments and environment")
	} else {
		fmt.Fprintf(w, "\n  launch: compiled at every launch (not cached: %s)\n", cache)
	}
}

// explainSettings prints the effective profile as a table: key, value,
// file. In a terminal too narrow for three columns with a readable value,
// the file follows the value in parentheses instead.
func explainSettings(w io.Writer, set []setting, width int) {
	keyW, fromW := 0, 0
	for _, s := range set {
		keyW, fromW = max(keyW, len(s.Key)), max(fromW, len(s.From))
	}
	const readable = 32
	if width > 0 && 2+keyW+columnGap+readable+columnGap+fromW > width {
		tw := &textTable{indent: "  ", wrap: []int{0, 1}}
		for _, s := range set {
			tw.add(s.Key, s.Text+"  ("+s.From+")")
		}
		tw.write(w, width)
		return
	}
	tw := &textTable{indent: "  ", wrap: []int{0, 1, 0}}
	for _, s := range set {
		tw.add(s.Key, s.Text, s.From)
	}
	tw.write(w, width)
}

// explainProtected lists the files the host trusts that a writable bind
// exposes: kept read-only, or released by filesystem.unprotect.
func explainProtected(w io.Writer, pl *plan.Plan) {
	if len(pl.Protected) == 0 {
		return
	}
	fmt.Fprintln(w, "\n  files the host trusts, exposed by a writable bind (read-only inside whatever the profile binds):")
	for _, p := range pl.Protected {
		at := ""
		if p.Inside != p.Host {
			at = " (inside: " + p.Inside + ")"
		}
		if p.Released != "" {
			fmt.Fprintf(w, "    LOOSENED: %s%s stays writable: released by filesystem.unprotect %s (%s); it is %s\n",
				p.Host, at, p.Released, originString(profile.Origin(p.At)), p.Why)
			continue
		}
		fmt.Fprintf(w, "    %s%s: %s  (exposed by %s)\n", p.Host, at, p.Why, originString(profile.Origin(p.At)))
	}
}

// explainServices says what the sandbox reaches of the caller's desktop,
// its buses and the network, and what this machine lacks for it.
func explainServices(w io.Writer, pl *plan.Plan) {
	if len(pl.Desktop) > 0 {
		fmt.Fprintln(w, "\n  desktop:")
		for _, d := range pl.Desktop {
			fmt.Fprintf(w, "    %s: %s  (from %s)\n", d.Key, d.Description, originString(profile.Origin(d.At)))
		}
	}
	fmt.Fprintln(w, "\n  D-Bus:")
	for _, line := range compile.DescribeDBus(pl) {
		fmt.Fprintf(w, "    %s\n", line)
	}
	fmt.Fprintln(w, "\n  network:")
	for _, line := range compile.DescribeNetwork(pl) {
		fmt.Fprintf(w, "    %s\n", line)
	}
	if len(pl.Warnings) > 0 {
		// A launch leaves these parts out and goes on (report.go).
		fmt.Fprintln(w, "\n  missing on this machine (a launch leaves these parts out; it warns about each WARNING, and shows the others only with -v):")
		for _, e := range pl.Warnings {
			label := "WARNING"
			if e.Optional {
				label = "not running"
			}
			fmt.Fprintf(w, "    %s: %s\n", label, e.Error())
		}
	}
}

func originString(o profile.Origin) string {
	if o.File == "" {
		return "default"
	}
	f := o.File
	if f == profile.CommandLineFile {
		return f
	}
	if !strings.HasPrefix(f, "builtin:") {
		f = filepath.Base(f)
	}
	if o.Line == 0 {
		return f
	}
	return fmt.Sprintf("%s:%d", f, o.Line)
}

func describeNamespaces(ns profile.Namespaces) string {
	var newNS, shared []string
	for _, n := range []struct {
		name string
		on   bool
	}{{"user", ns.User}, {"mount", ns.Mount}, {"pid", ns.PID}, {"net", ns.Net}, {"ipc", ns.IPC},
		{"uts", ns.UTS}, {"cgroup", ns.Cgroup}, {"time", ns.Time}} {
		if n.on {
			newNS = append(newNS, n.name)
		} else {
			shared = append(shared, n.name)
		}
	}
	s := "new " + strings.Join(newNS, ", ")
	if len(shared) > 0 {
		s += "; shared with the host: " + strings.Join(shared, ", ")
	}
	if !ns.Net {
		s += " (the host network is reachable)"
	}
	return s
}

func describeIDs(m *plan.IDMapping) string {
	var parts []string
	for _, r := range m.UIDMap {
		parts = append(parts, fmt.Sprintf("uid %d..%d -> host %d", r.Inside, r.Inside+r.Count-1, r.Outside))
	}
	for _, r := range m.GIDMap {
		parts = append(parts, fmt.Sprintf("gid %d..%d -> host %d", r.Inside, r.Inside+r.Count-1, r.Outside))
	}
	s := strings.Join(parts, ", ")
	if m.DenySetgroups {
		s += "; setgroups denied"
	}
	if m.Helper {
		s += " (written by newuidmap/newgidmap)"
	}
	return s
}

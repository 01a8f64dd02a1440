package main

import (
	"fmt"
	"io"
	"os"

	"sandbox/compile"
	"sandbox/plan"
	"sandbox/profile"
)

// cwdJSON is `explain --json`'s "cwd": what the payload would see as its
// working directory if the sandbox were started from the directory explain
// runs in.
type cwdJSON struct {
	// Caller is the directory explain runs in, on the host.
	Caller string `json:"caller"`
	// Inside is the payload's working directory.
	Inside string `json:"inside"`
	// Kind is what Inside lies on: "bind", "tmpfs", "overlay", "root"
	// (the sandbox's empty root) or "special" (/proc, /dev, mqueue).
	Kind string `json:"kind"`
	// Source is the host directory shown at Inside, for a bind or a
	// persistent overlay.
	Source string `json:"source,omitempty"`
	// Writable says whether the payload can write there; Kept whether
	// what it writes reaches the host.
	Writable bool `json:"writable"`
	Kept     bool `json:"kept"`
	// Same says whether Inside is the caller's own directory.
	Same bool `json:"same"`
	// FellBack is true when the directory the plan names does not
	// exist inside and the payload starts in the fallback.
	FellBack bool `json:"fell_back"`
	// Description says the same in words.
	Description string `json:"description"`
	// Notice is the line a launch from here prints before it runs, ""
	// for none; NoticeEnabled is filesystem.cwd_notice.
	Notice        string `json:"notice"`
	NoticeEnabled bool   `json:"notice_enabled"`
	// At is the profile line of the mount Inside lies on, when there
	// is one.
	At *profile.Origin `json:"at,omitempty"`
}

// explainCwd reads the payload's working directory from the plan, for the
// directory explain runs in.
func explainCwd(p *profile.Profile, pl *plan.Plan) cwdJSON {
	caller, _ := os.Getwd()
	v := compile.CwdOf(pl, caller, os.Stat)
	out := cwdJSON{Caller: caller, Inside: v.Inside, Kind: v.Kind, Source: v.Source,
		Writable: v.Writable, Kept: v.Persistent, Same: v.Same, FellBack: v.FellBack,
		Description: v.Describe(), NoticeEnabled: p.Filesystem.CwdNotice}
	if v.Step >= 0 {
		if o := pl.Steps[v.Step].Origin(); o.File != "" {
			at := profile.Origin(o)
			out.At = &at
		}
	}
	with := *p
	with.Filesystem.CwdNotice = true
	out.Notice = cwdNotice(&with, pl, caller)
	return out
}

// explainCwdText prints the working directory part of explain's text.
func explainCwdText(w io.Writer, p *profile.Profile, pl *plan.Plan) {
	c := explainCwd(p, pl)
	at := ""
	if c.At != nil {
		at = "  (from " + originString(*c.At) + ")"
	}
	fmt.Fprintf(w, "\n  working directory, started from %s: %s, %s%s\n", c.Caller, c.Inside, c.Description, at)
	switch {
	case c.Notice == "":
	case c.NoticeEnabled:
		fmt.Fprintf(w, "    a launch from here says so first: sandbox: notice: %s\n", c.Notice)
	default:
		fmt.Fprintf(w, "    (filesystem.cwd_notice = false: a launch from here says nothing about it)\n")
	}
}

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"sandbox/profile"
)

// cmdWhich says which profile `sandbox PROGRAM` runs, from which file and
// why, and which other profiles list the program and why they lose: the
// rule of profile.Resolve, shown instead of guessed.
//
//	sandbox which PROGRAM [--json]
func cmdWhich(args []string, stdout, stderr io.Writer) int {
	var prog string
	asJSON := false
	for _, a := range args {
		switch {
		case a == "--json":
			asJSON = true
		case prog == "" && a != "":
			prog = a
		default:
			fmt.Fprintf(stderr, "sandbox: which takes one PROGRAM and --json\n")
			return exitLauncher
		}
	}
	if prog == "" {
		fmt.Fprintf(stderr, "sandbox: which needs a PROGRAM\n")
		return exitLauncher
	}
	c := newCaller()
	choice, err := profile.Resolve(prog, c.env, c.src)
	if asJSON {
		return whichJSON(stdout, stderr, prog, choice, err, profile.LevelNames(c.src))
	}
	if err != nil {
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: profile %s (%s)\n", choice.Program, choice.Name, choice.Place)
	fmt.Fprintf(stdout, "  why: %s\n", choice.Why)
	if choice.Broken {
		fmt.Fprintf(stdout, "  it does not load: 'sandbox check %s' shows why\n", choice.Name)
	}
	for _, l := range choice.Losers {
		fmt.Fprintf(stdout, "  not %s (%s): %s\n", l.Name, l.Place, l.Why)
	}
	return 0
}

// whichOutput is `which --json`: the choice, or the error that stops one,
// with the levels of the search path the rule walks.
type whichOutput struct {
	Program string          `json:"program"`
	Chosen  *profile.Claim  `json:"chosen"`
	Losers  []profile.Claim `json:"losers"`
	Error   string          `json:"error,omitempty"`
	Claims  []profile.Claim `json:"conflict,omitempty"`
	Levels  []string        `json:"search_levels"`
}

func whichJSON(stdout, stderr io.Writer, prog string, choice profile.Choice, err error, levels []string) int {
	out := whichOutput{Program: prog, Losers: []profile.Claim{}, Levels: levels}
	code := 0
	if err != nil {
		out.Error = err.Error()
		var conflict *profile.ConflictError
		if errors.As(err, &conflict) {
			out.Claims = []profile.Claim{conflict.A, conflict.B}
		}
		code = 1
	} else {
		out.Program = choice.Program
		out.Chosen = &choice.Claim
		out.Losers = choice.Losers
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "sandbox: which: %v\n", err)
		return exitLauncher
	}
	return code
}

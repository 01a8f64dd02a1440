package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"sandbox/internal/instance"
	"sandbox/launcher"
)

// psRow is one line of `sandbox ps`, and one object of `ps --json`.
type psRow struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Profile   string   `json:"profile"`
	PID       int      `json:"pid"`
	UID       int      `json:"uid"`
	Uptime    float64  `json:"uptime_seconds"`
	Command   []string `json:"command"`
	Processes int      `json:"processes"`
	Memory    uint64   `json:"memory_bytes"`
}

func cmdPs(args []string, stdout, stderr io.Writer) int {
	asJSON := false
	for _, a := range args {
		switch a {
		case "--json":
			asJSON = true
		default:
			fmt.Fprintf(stderr, "sandbox: ps: unknown argument %q (usage: sandbox ps [--json])\n", a)
			return exitLauncher
		}
	}
	rows := []psRow{}
	for _, r := range instance.List(instanceDirs()) {
		rows = append(rows, newPsRow(r))
	}
	if asJSON {
		b, _ := json.MarshalIndent(rows, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tPROFILE\tPID\tUPTIME\tPROCS\tMEMORY\tCOMMAND")
	for _, r := range rows {
		name := r.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", r.ID, name, r.Profile, r.PID,
			time.Duration(r.Uptime*float64(time.Second)).Round(time.Second), r.Processes,
			psSize(r.Memory), strings.Join(r.Command, " "))
	}
	w.Flush()
	return 0
}

// instanceDirs are the record directories the caller sees: its own, and
// everyone's for root.
func instanceDirs() []string {
	return instance.Dirs(launcher.InstanceBase(os.Environ(), os.Geteuid()), os.Geteuid())
}

// newPsRow reads the profile and the command back from the launcher's
// arguments, with the launcher's own parser, so both launch paths need
// to record only those.
func newPsRow(r instance.Record) psRow {
	row := psRow{ID: r.ID, Name: r.Name, PID: r.PID, UID: r.UID, Profile: "-"}
	if inv, err := parseArgs(r.Args); err == nil {
		row.Command = inv.command
		if inv.profile != "" {
			row.Profile = inv.profile
		} else if len(inv.command) > 0 {
			row.Profile = "(by program)"
		}
	}
	if row.Command == nil {
		row.Command = []string{}
	}
	pids := instance.Tree(r.PID)
	row.Processes = len(pids)
	row.Memory = instance.RSS(pids)
	row.Uptime = uptimeOf(r.Start)
	return row
}

// uptimeOf turns a start time in clock ticks since boot into seconds.
func uptimeOf(start uint64) float64 {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	var up float64
	if _, err := fmt.Sscanf(string(b), "%f", &up); err != nil {
		return 0
	}
	// USER_HZ is 100 on every Linux architecture's ABI.
	s := up - float64(start)/100
	if s < 0 {
		return 0
	}
	return float64(int64(s*10)) / 10
}

func psSize(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%dK", b>>10)
}

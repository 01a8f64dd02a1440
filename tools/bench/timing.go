package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"time"
)

// timing is the wall times of every run of one command.
type timing struct {
	cmd   command
	times []time.Duration
	err   error
}

// timeAll runs every command n times, one of each in turn.
func (r *runner) timeAll(cmds []command, n int) []*timing {
	res := make([]*timing, len(cmds))
	for i, c := range cmds {
		res[i] = &timing{cmd: c}
	}
	for run := range n {
		for _, t := range res {
			if t.err != nil {
				continue
			}
			d, err := r.timeOne(t.cmd, run)
			if err != nil {
				t.err = err
				continue
			}
			t.times = append(t.times, d)
		}
	}
	return res
}

// timeOne measures from just before fork to the reaped exit, which is what
// a user waits for.
func (r *runner) timeOne(c command, run int) (time.Duration, error) {
	cmd, err := r.cmd(c, run)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w", c.name, err)
	}
	return time.Since(start), nil
}

// quantile returns the q-quantile (0..1) of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)) + 0.5)
	if i > 0 {
		i--
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func printTimes(res []*timing) {
	fmt.Printf("%-16s %6s %10s %10s\n", "command", "runs", "median ms", "p90 ms")
	med := map[string]time.Duration{}
	p90 := map[string]time.Duration{}
	for _, t := range res {
		if t.err != nil {
			fmt.Printf("%-16s failed: %v\n", t.cmd.name, t.err)
			continue
		}
		s := append([]time.Duration(nil), t.times...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		med[t.cmd.name], p90[t.cmd.name] = quantile(s, 0.5), quantile(s, 0.9)
		fmt.Printf("%-16s %6d %10.2f %10.2f\n", t.cmd.name, len(s), ms(med[t.cmd.name]), ms(p90[t.cmd.name]))
	}
	printStartRatios(med, p90)
	printVersionRatios(os.Stdout, med)
}

// startFloors are what `sandbox --version` is compared with, each a floor
// under the next: a Go hello world as plain `go build` makes it; with cgo
// linked as the sandbox's is (what any binary with the sandbox's C side
// starts from); and with every package the sandbox imports linked in
// (go-hello-imports, hello_imports.go), whose initialisation runs before
// any code of the sandbox's does.
var startFloors = []string{"go-hello", "go-hello-cgo", "go-hello-imports"}

// printVersionRatios divides the binary's own start, and each floor, by
// every floor below it.
func printVersionRatios(w io.Writer, med map[string]time.Duration) {
	if med["version"] == 0 || med["go-hello"] == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-16s", "binary start")
	for _, f := range startFloors {
		fmt.Fprintf(w, " %17s", "/"+f)
	}
	fmt.Fprintln(w)
	rows := append(append([]string(nil), startFloors[1:]...), "version")
	for i, name := range rows {
		if med[name] == 0 {
			continue
		}
		label := name
		if name == "version" {
			label = "--version"
		}
		fmt.Fprintf(w, "%-16s", label)
		for _, f := range startFloors[:i+1] {
			if med[f] == 0 {
				fmt.Fprintf(w, " %17s", "-")
				continue
			}
			fmt.Fprintf(w, " %17.2f", ms(med[name])/ms(med[f]))
		}
		fmt.Fprintln(w)
	}
}

// startRows are the sandbox's launches that are compared with bwrap, each
// with what makes it differ.
var startRows = []struct{ name, what string }{
	{"sandbox", "plan cache hit: the same arguments and environment each time"},
	{"sandbox-env", "one variable no profile reads changes at each launch (BENCH_RUN_ID)"},
	{"sandbox-cold", "cache off (SANDBOX_PLAN_CACHE=off): a first launch"},
}

// references are what the launches are divided by: bwrap with the
// profile's isolation, and the bare hand-written line earlier figures used.
var references = []string{"bwrap", "bwrap-bare"}

// printStartRatios puts the sandbox's launches side by side as ratios to
// each reference's, all from the same interleaved runs: the median, and the
// p90 over the reference's p90.
func printStartRatios(med, p90 map[string]time.Duration) {
	var refs []string
	for _, ref := range references {
		if med[ref] != 0 {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return
	}
	fmt.Printf("\n%-13s", "start-up")
	for _, ref := range refs {
		fmt.Printf(" %11s %5s", "/"+ref, "p90")
	}
	fmt.Println()
	for _, row := range startRows {
		if med[row.name] == 0 {
			continue
		}
		fmt.Printf("%-13s", row.name)
		for _, ref := range refs {
			fmt.Printf(" %11.2f %5.2f", ms(med[row.name])/ms(med[ref]), ms(p90[row.name])/ms(p90[ref]))
		}
		fmt.Printf("  %s\n", row.what)
	}
}

// printGaps says what the same-isolation bwrap does not do that the
// sandbox does (from the translation), so that a reader knows which way
// the comparison leans.
func printGaps(gaps []string) {
	if len(gaps) == 0 {
		return
	}
	fmt.Println("\nbwrap runs the profile's translation (sandbox export bwrap), which differs from the profile in:")
	for _, g := range gaps {
		fmt.Println("  " + g)
	}
}

package main

import (
	"fmt"
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
	fmt.Printf("%-13s %6s %10s %10s\n", "command", "runs", "median ms", "p90 ms")
	med := map[string]time.Duration{}
	p90 := map[string]time.Duration{}
	for _, t := range res {
		if t.err != nil {
			fmt.Printf("%-13s failed: %v\n", t.cmd.name, t.err)
			continue
		}
		s := append([]time.Duration(nil), t.times...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		med[t.cmd.name], p90[t.cmd.name] = quantile(s, 0.5), quantile(s, 0.9)
		fmt.Printf("%-13s %6d %10.2f %10.2f\n", t.cmd.name, len(s), ms(med[t.cmd.name]), ms(p90[t.cmd.name]))
	}
	printStartRatios(med, p90)
}

// startRows are the sandbox's launches that are compared with bwrap, each
// with what makes it differ.
var startRows = []struct{ name, what string }{
	{"sandbox", "plan cache hit: the same arguments and environment each time"},
	{"sandbox-env", "one variable no profile reads changes at each launch (BENCH_RUN_ID)"},
	{"sandbox-cold", "cache off (SANDBOX_PLAN_CACHE=off): a first launch"},
}

// printStartRatios puts the sandbox's launches side by side as ratios to
// bwrap's, all from the same interleaved runs.
func printStartRatios(med, p90 map[string]time.Duration) {
	if med["bwrap"] == 0 {
		return
	}
	fmt.Printf("\n%-13s %8s %8s  %s\n", "start-up", "/bwrap", "p90", "")
	for _, row := range startRows {
		if med[row.name] == 0 {
			continue
		}
		fmt.Printf("%-13s %8.2f %8.2f  %s\n", row.name,
			ms(med[row.name])/ms(med["bwrap"]), ms(p90[row.name])/ms(p90["bwrap"]), row.what)
	}
}

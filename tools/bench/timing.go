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
	for range n {
		for _, t := range res {
			if t.err != nil {
				continue
			}
			d, err := r.timeOne(t.cmd)
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
func (r *runner) timeOne(c command) (time.Duration, error) {
	cmd, err := r.cmd(c)
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
	if med["sandbox"] > 0 && med["bwrap"] > 0 {
		fmt.Printf("\nsandbox/bwrap: %.2f (median), %.2f (p90)\n",
			ms(med["sandbox"])/ms(med["bwrap"]), ms(p90["sandbox"])/ms(p90["bwrap"]))
	}
	if med["sandbox-cold"] > 0 && med["bwrap"] > 0 {
		fmt.Printf("sandbox-cold/bwrap: %.2f (median): a first launch, or SANDBOX_PLAN_CACHE=off\n",
			ms(med["sandbox-cold"])/ms(med["bwrap"]))
	}
}

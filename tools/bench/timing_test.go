package main

import (
	"strings"
	"testing"
	"time"
)

// Each row of the binary-start table is divided by every floor below it,
// and a floor the run lacks (a hello world that did not build) shows as
// "-" rather than as a ratio to nothing.
func TestVersionRatiosDivideByEachFloorBelow(t *testing.T) {
	ms := time.Millisecond
	var b strings.Builder
	printVersionRatios(&b, map[string]time.Duration{
		"go-hello":         4 * ms,
		"go-hello-imports": 6 * ms,
		"version":          9 * ms,
	})
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
		f := strings.Fields(line)
		got[f[0]] = f[1:]
	}
	want := map[string][]string{
		"go-hello-imports": {"1.50", "-"},
		"--version":        {"2.25", "-", "1.50"},
	}
	if len(got) != len(want) {
		t.Fatalf("rows %v, want %v:\n%s", got, want, b.String())
	}
	for row, cols := range want {
		if strings.Join(got[row], " ") != strings.Join(cols, " ") {
			t.Errorf("%s: %v, want %v:\n%s", row, got[row], cols, b.String())
		}
	}

	b.Reset()
	printVersionRatios(&b, map[string]time.Duration{"version": 9 * ms})
	if b.Len() != 0 {
		t.Errorf("without go-hello the table is printed:\n%s", b.String())
	}
}

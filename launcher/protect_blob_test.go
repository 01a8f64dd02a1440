package launcher

import (
	"testing"

	"sandbox/plan"
)

// TestProtectStepsPack checks that protect steps (which the golden host,
// having no files to protect, never produces) survive the plan blob both
// ways, pins and read-only files alike.
func TestProtectStepsPack(t *testing.T) {
	pl := minimalPlan(t, "", "/bin/true")
	at := plan.From{At: plan.Origin{File: "p.toml", Line: 7, Col: 1}}
	var steps []plan.Step
	for _, s := range pl.Steps {
		if _, ok := s.(plan.PivotRoot); ok {
			steps = append(steps,
				plan.Protect{From: at, Target: "/newroot/src/.git/config", Root: "/newroot/src", Rel: ".git/config", Host: "/home/user/src/.git/config", ReadOnly: true, Why: "git configuration"},
				plan.Protect{From: at, Target: "/newroot/src/.git", Root: "/newroot/src", Rel: ".git", Host: "/home/user/src/.git", Why: "pins .git/config"})
		}
		steps = append(steps, s)
	}
	pl.Steps = steps
	checkBlobRoundTrip(t, pl)
}

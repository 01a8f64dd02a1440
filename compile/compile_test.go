package compile

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sandbox/internal/compiletest"
	"sandbox/plan"
)

var update = flag.Bool("update", false, "rewrite the golden plans in testdata/plans")

// renderPlan prints a plan the way a reviewer reads it: one line a step,
// its kind, description, origin and fields (BPF bytes left out: their
// size is in the description).
func renderPlan(t *testing.T, p *plan.Plan) string {
	t.Helper()
	var b strings.Builder
	head, _ := json.Marshal(struct {
		CloneFlags uintptr         `json:"clone_flags"`
		IDs        *plan.IDMapping `json:"ids"`
		Env        []string        `json:"env"`
		Die        bool            `json:"die_with_parent"`
		Session    bool            `json:"new_session"`
		Init       bool            `json:"init"`
	}{p.CloneFlags, p.IDs, p.Env, p.DieWithParent, p.InNewSession(), p.RunsInit()})
	b.Write(head)
	b.WriteString("\n")
	for i, s := range p.Steps {
		fields, _ := json.Marshal(s)
		o := s.Origin()
		b.WriteString(strings.Join([]string{
			strconv.Itoa(i + 1), s.Kind(), o.File + ":" + strconv.Itoa(o.Line), string(fields),
		}, " | "))
		b.WriteString("\n    " + s.Describe() + "\n")
	}
	return b.String()
}

// compileShipped compiles a shipped profile for the golden host, as the
// golden plans are compiled.
func compileShipped(t *testing.T, name string) *plan.Plan {
	t.Helper()
	p := compiletest.LoadShipped(t, name)
	pl, err := Compile(p, []string{"/bin/true"}, compiletest.GoldenHost())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return pl
}

// TestGoldenPlans compiles every shipped profile and compares the plan with
// testdata/plans/NAME.golden. Run `go test ./compile -run GoldenPlans
// -update` after an intended change and review the diff.
func TestGoldenPlans(t *testing.T) {
	for _, name := range compiletest.ShippedNames(t) {
		t.Run(name, func(t *testing.T) {
			pl := compileShipped(t, name)
			got := renderPlan(t, pl)
			golden := filepath.Join("testdata", "plans", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("plan for %s changed; review and run with -update if intended\n--- got\n%s\n--- want\n%s", name, got, want)
			}
		})
	}
}

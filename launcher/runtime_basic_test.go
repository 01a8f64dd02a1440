package launcher_test

import (
	"strings"
	"testing"

	"sandbox/launcher/internal/testutil"
)

var caseEcho = defineCase("echo", func(b *testutil.Builder, args []string) {
	b.Argv = testutil.Shell("echo hello from $(id -u); exit 7")
})

func TestRuntimeRunsPayload(t *testing.T) {
	forEachMode(t, func(t *testing.T, m runtimeMode) {
		r := runCase(t, m, caseEcho)
		if r.Code != 7 || !strings.HasPrefix(r.Stdout, "hello from ") {
			t.Fatalf("want exit 7 and a greeting, got %v", r)
		}
	})
}

package launcher_test

import (
	"os"
	"testing"

	"sandbox/launcher"
	"sandbox/launcher/internal/testutil"
)

// BenchmarkRuntimeTrue measures Run alone (no profile, no compile) for
// /bin/true in the usual view, with and without the init.
func BenchmarkRuntimeTrue(b *testing.B) {
	for _, init := range []bool{false, true} {
		name := "direct"
		if init {
			name = "init"
		}
		b.Run(name, func(b *testing.B) {
			tb := testutil.New("/bin/true")
			tb.Init, tb.DieWithParent = init, true
			p := tb.Plan()
			devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer devnull.Close()
			opts := launcher.RunOptions{Stdin: devnull, Stdout: devnull, Stderr: devnull}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if code, err := launcher.Run(p, opts); err != nil || code != 0 {
					b.Fatalf("%d %v", code, err)
				}
			}
		})
	}
}

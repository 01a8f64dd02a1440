package launcher_test

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"sandbox/launcher/internal/testutil"
)

var caseCountINT = defineCase("count-int", func(b *testutil.Builder, args []string) {
	b.Init = args[0] == "init"
	b.NewSession = args[1] == "setsid"
	b.DieWithParent = true // so that killing a stuck launcher ends the test
	b.Argv = testutil.Shell(`n=0; trap 'n=$((n+1)); echo int $n' INT; trap 'echo end $n; exit 0' USR1
		echo ready; while :; do sleep 0.05; done`)
})

// A ^C typed on the terminal reaches the sandbox once: the sandbox's
// process group holds the terminal's foreground, so the terminal sends it
// there and the launcher gets none to forward. With a new session the
// terminal cannot reach the sandbox: it sends the ^C to the launcher, which
// forwards it.
func TestRuntimeTerminalSignalsArriveOnce(t *testing.T) {
	bin := testutil.PublicBinary(t)
	for _, m := range launcherModes() {
		for _, init := range []string{"", "init"} {
			for _, session := range []string{"", "setsid"} {
				t.Run(m.name+"-"+init+"-"+session, func(t *testing.T) {
					master, slave := testutil.OpenPTY(t)
					cmd := testutil.Command(bin, "case", m.cred(), caseCountINT, init, session)
					cmd.Stdin = slave
					cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, true, 0
					out, err := cmd.StdoutPipe()
					if err != nil {
						t.Fatal(err)
					}
					var stderr strings.Builder
					cmd.Stderr = &stderr
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					defer cmd.Process.Kill()
					// A lost signal would leave the reads below
					// waiting forever: end the run instead.
					guard := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
					defer guard.Stop()
					r := bufio.NewReader(out)
					expect := func(want string) {
						t.Helper()
						line, err := r.ReadString('\n')
						if err != nil || line != want+"\n" {
							cmd.Process.Kill()
							rest, _ := io.ReadAll(r)
							t.Fatalf("want %q, got %q %v; then %q; stderr %s", want, line, err, rest, stderr.String())
						}
					}
					expect("ready")
					// Two copies sent close together may merge into
					// one pending signal (more so through the init,
					// which relays later); over several rounds a
					// second copy shows as an extra line.
					for i := 1; i <= 4; i++ {
						if _, err := master.Write([]byte{3}); err != nil { // ^C
							t.Fatal(err)
						}
						expect(fmt.Sprintf("int %d", i))
					}
					cmd.Process.Signal(syscall.SIGUSR1)
					expect("end 4")
					if err := cmd.Wait(); err != nil {
						t.Fatalf("%v; stderr %s", err, stderr.String())
					}
				})
			}
		}
	}
}

package launcher

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// The forwarded signals are caught once per process, not once per Run.
//
// signal.Notify and signal.Stop are slow for what they do: for each signal
// the runtime makes a round trip to a goroutine locked to a thread of its
// own, which costs a thread or two and some context switches, some 0.4 ms
// to register the seven signals and 0.2 ms to let them go on a machine
// where a whole launch takes 10. The hub registers them once, in the
// background when PrepareSignals is called early, and hands each signal to
// every Run in progress (each forwards it to its own sandbox).
//
// A signal that comes while no Run is in progress gets what it would have
// got without the hub: the hub lets go of the signals and sends the signal
// again, so it takes its default action, or goes to whoever else asked for
// it; an ignored signal stays ignored. The next Run registers anew.

var runHub struct {
	mu    sync.Mutex
	ready chan struct{} // closed once registered; nil when not registered
	runs  map[*runSignals]bool
}

// PrepareSignals starts catching the signals Run forwards (SIGINT, SIGTERM,
// SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH) in the background, so that
// the registration overlaps the caller's own work, such as loading the
// profile. Until a Run starts, a caught signal still takes its default
// action. Calling it is optional: Run registers the signals itself
// otherwise.
func PrepareSignals() { runHubStart() }

// runHubStart registers the signals unless they are, and returns a channel
// closed once they are.
func runHubStart() chan struct{} {
	runHub.mu.Lock()
	defer runHub.mu.Unlock()
	if runHub.ready != nil {
		return runHub.ready
	}
	ready := make(chan struct{})
	runHub.ready = ready
	if runHub.runs == nil {
		runHub.runs = map[*runSignals]bool{}
	}
	go runHubLoop(ready)
	return ready
}

func runHubLoop(ready chan struct{}) {
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, runForwarded...)
	close(ready)
	for s := range ch {
		if !runHubDispatch(ready, ch, s.(syscall.Signal)) {
			return
		}
	}
}

// runHubDispatch hands s to every Run in progress. With none, it unregisters
// and sends s again to this process, and reports false.
func runHubDispatch(ready chan struct{}, ch chan os.Signal, s syscall.Signal) bool {
	runHub.mu.Lock()
	if len(runHub.runs) > 0 {
		for f := range runHub.runs {
			// Like the runtime itself, drop rather than block when a
			// Run does not keep up.
			select {
			case f.ch <- s:
			default:
			}
		}
		runHub.mu.Unlock()
		return true
	}
	// Still under the lock, so that a Run starting now waits and then
	// registers anew.
	signal.Stop(ch)
	_ = syscall.Kill(os.Getpid(), s)
	if runHub.ready == ready {
		runHub.ready = nil
	}
	runHub.mu.Unlock()
	return false
}

// runHubAttach makes f receive the forwarded signals until runHubDetach.
func runHubAttach(f *runSignals) {
	for {
		ready := runHubStart()
		<-ready
		runHub.mu.Lock()
		// A signal may have come, with no Run to take it, between
		// the registration and now: then register anew.
		if runHub.ready == ready {
			runHub.runs[f] = true
			runHub.mu.Unlock()
			return
		}
		runHub.mu.Unlock()
	}
}

func runHubDetach(f *runSignals) {
	runHub.mu.Lock()
	delete(runHub.runs, f)
	runHub.mu.Unlock()
}

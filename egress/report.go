package egress

import (
	"fmt"
	"io"
	"sandbox/plan"
	"sort"
	"strconv"
	"sync"
)

// egressReport records what the proxy did: every refused connection by
// name and port, for the summary printed when the sandbox ends, and, in
// verbose mode, each connection as it happens.
type egressReport struct {
	mu      sync.Mutex
	w       io.Writer
	verbose bool
	refused map[string]*egressRefusal
	allowed int
	// notify, if set, hears of each connection as it is decided
	// (RunOptions.Egress): the status stream's egress lines.
	notify func(verdict, target, reason string)
}

type egressRefusal struct {
	target string // "host:port" as the sandbox asked
	why    string
	count  int
	first  int // order of first refusal
}

func newEgressReport(w io.Writer, verbose bool) *egressReport {
	return &egressReport{w: w, verbose: verbose, refused: map[string]*egressRefusal{}}
}

func egressTarget(host string, port int) string {
	if len(host) > 0 && host[0] != '[' && containsColon(host) {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

func containsColon(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
}

func (r *egressReport) allow(target, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.allowed++
	if r.notify != nil {
		r.notify("allowed", target, "")
	}
	if r.verbose {
		fmt.Fprintf(r.w, "sandbox: egress: allowed %s (%s)\n", target, addr)
	}
}

func (r *egressReport) refuse(target, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := target + "\x00" + why
	f, ok := r.refused[key]
	if !ok {
		f = &egressRefusal{target: target, why: why, first: len(r.refused)}
		r.refused[key] = f
	}
	f.count++
	if r.notify != nil {
		r.notify("refused", target, why)
	}
	if r.verbose {
		fmt.Fprintf(r.w, "sandbox: egress: refused %s: %s\n", target, why)
	}
}

// summary writes the refused connections, once each with a count, in
// the order they first happened; nothing when none was refused.
func (r *egressReport) summary(e *plan.Egress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.refused) == 0 {
		return
	}
	list := make([]*egressRefusal, 0, len(r.refused))
	for _, f := range r.refused {
		list = append(list, f)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].first < list[j].first })
	fmt.Fprintf(r.w, "sandbox: egress: refused connections (network.mode \"filtered\" at %s:%d; add what the sandbox needs to network.allow):\n", e.At.File, e.At.Line)
	for _, f := range list {
		times := ""
		if f.count > 1 {
			times = fmt.Sprintf(" (%d times)", f.count)
		}
		fmt.Fprintf(r.w, "  %s: %s%s\n", f.target, f.why, times)
	}
}

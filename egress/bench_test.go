package egress

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"sandbox/plan"
)

// BenchmarkEgressProxy measures the egress proxy under load: egressConns
// connections at once, each a CONNECT tunnel carrying egressRate bytes a
// second to a sink for egressSeconds. The same clients then run straight
// to the sink; the difference in the process's CPU time is the proxy's
// cost. Reported: CPU (proxy only, as a share of one core), memory (Go
// heap and stacks in use at the peak, per connection), and the latency
// of a CONNECT (median and 99th percentile). `make bench` runs it.
func BenchmarkEgressProxy(b *testing.B) {
	const (
		egressConns   = 100
		egressRate    = 1 << 20 // bytes per second per connection
		egressSeconds = 3
		chunk         = 64 << 10
	)
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	go func() {
		for {
			c, err := sink.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	port := sink.Addr().(*net.TCPAddr).Port
	e := &plan.Egress{Port: Port,
		Allow:        []plan.EgressRule{{Host: "sink.test", Port: port}},
		AllowPrivate: []plan.EgressRule{{Host: "sink.test", Port: port}},
		Hosts:        []plan.HostMapping{{Name: "sink.test", Addr: "127.0.0.1"}}}
	x, child, _, err := NewProxy(e, io.Discard, false)
	if err != nil {
		b.Fatal(err)
	}
	syscall.Close(child)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	x.ln = ln
	x.wg.Add(1)
	go func() { defer x.wg.Done(); x.acceptLoop(ln) }()
	defer x.Stop()

	// run drives the clients, through the proxy when proxied, and
	// returns the CPU time used, the CONNECT latencies and the peak of
	// the Go heap and stacks in use.
	run := func(proxied bool) (time.Duration, []time.Duration, uint64, error) {
		var mu sync.Mutex
		var lat []time.Duration
		var firstErr error
		var peak uint64
		stopSample := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if v := ms.HeapInuse + ms.StackInuse; v > peak {
					peak = v
				}
				select {
				case <-stopSample:
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
		cpu0 := egressCPU()
		var wg sync.WaitGroup
		for i := 0; i < egressConns; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				c, err := egressBenchDial(proxied, ln.Addr().String(), fmt.Sprintf("sink.test:%d", port), sink.Addr().String())
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				defer c.Close()
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
				buf := make([]byte, chunk)
				tick := time.NewTicker(time.Second * chunk / egressRate)
				defer tick.Stop()
				for n := 0; n < egressSeconds*egressRate/chunk; n++ {
					<-tick.C
					if _, err := c.Write(buf); err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		cpu := egressCPU() - cpu0
		close(stopSample)
		<-sampled
		return cpu, lat, peak, firstErr
	}

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse + ms.StackInuse
	for i := 0; i < b.N; i++ {
		direct, _, _, err := run(false)
		if err != nil {
			b.Fatal(err)
		}
		viaProxy, lat, peak, err := run(true)
		if err != nil {
			b.Fatal(err)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		proxyCPU := viaProxy - direct
		wall := time.Duration(egressSeconds) * time.Second
		b.ReportMetric(float64(egressConns), "conns")
		b.ReportMetric(float64(egressConns*egressRate)/(1<<20), "MB/s")
		b.ReportMetric(100*proxyCPU.Seconds()/wall.Seconds(), "proxy-cpu-%")
		b.ReportMetric(100*viaProxy.Seconds()/wall.Seconds(), "total-cpu-%")
		b.ReportMetric(float64(peak-min(peak, base))/egressConns/1024, "KiB/conn")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "connect-p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "connect-p99-µs")
	}
}

// egressBenchDial opens a tunnel through the proxy at proxy, or connects
// straight to direct.
func egressBenchDial(proxied bool, proxy, target, direct string) (net.Conn, error) {
	if !proxied {
		return net.Dial("tcp", direct)
	}
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != 200 {
		c.Close()
		return nil, fmt.Errorf("CONNECT %s: %s", target, resp.Status)
	}
	return c, nil
}

// egressCPU is the process's user and system time so far.
func egressCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package launcher

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sandbox/plan"
)

// releaseNetwork attaches the NAT helper to the sandbox pid, then releases
// the sandbox, which waits for one byte on the sync pipe (wait_network).
// A failure names the profile line that asked for NAT.
func (s *services) releaseNetwork(p *plan.Plan, pid, sync int) error {
	err := s.attachNetwork(p.NAT, pid, p.CloneFlags&syscall.CLONE_NEWUSER != 0)
	if err == nil {
		if _, werr := syscall.Write(sync, []byte{1}); werr != nil {
			err = fmt.Errorf("releasing the sandbox: %w", werr)
		}
	}
	if err != nil {
		return &SetupError{Step: -1, Kind: "network", Origin: p.NAT.At, Msg: err.Error(),
			Hint: natHint(p.NAT)}
	}
	return nil
}

// natHint says what to try when the NAT helper failed.
func natHint(n *plan.NAT) string {
	other := plan.BackendSlirp4netns
	if n.Backend == other {
		other = plan.BackendPasta
	}
	return fmt.Sprintf("try network.backend = %q, or network.mode = \"none\" if the sandbox needs no network", other)
}

// attachNetwork starts the NAT helper for the sandbox pid, which waits
// (wait_network) until the helper has configured its network namespace.
//
// The helper joins the namespaces through fds the launcher opened
// (/proc/self/fd/N), not /proc/PID paths: pasta started as root drops to
// nobody before it opens a path, and could not open root's /proc/PID
// then; an open fd needs no permission. With a user namespace the helper
// joins it too, which lets an unprivileged helper configure the network
// namespace that namespace owns.
func (s *services) attachNetwork(n *plan.NAT, pid int, userns bool) error {
	ns, err := openNamespaces(pid, userns)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range ns {
			f.Close()
		}
	}()
	switch n.Backend {
	case plan.BackendPasta:
		return s.startPasta(n, ns)
	case plan.BackendSlirp4netns:
		return s.startSlirp4netns(n, ns)
	}
	return fmt.Errorf("unknown NAT backend %q", n.Backend)
}

// openNamespaces opens the sandbox's network namespace and, with userns,
// its user namespace: they become the helper's fds 3 and 4.
func openNamespaces(pid int, userns bool) ([]*os.File, error) {
	names := []string{"net"}
	if userns {
		names = append(names, "user")
	}
	var out []*os.File
	for _, name := range names {
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, name))
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("opening the sandbox's %s namespace: %w", name, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// startPasta runs pasta in the foreground, attached to the namespaces. Its
// defaults forward every port either way, which would let the sandbox
// reach any service on the host's loopback, and the host reach any
// server in the sandbox: -t, -u, -T and -U say exactly what crosses.
// --pid names a pipe: pasta writes its pid there once the namespace is
// configured, which is the readiness signal.
func (s *services) startPasta(n *plan.NAT, ns []*os.File) error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("pasta ready pipe: %w", err)
	}
	defer r.Close()
	extra := append(append([]*os.File(nil), ns...), w)
	args := []string{"--config-net", "--foreground", "--quiet", "--netns", "/proc/self/fd/3"}
	if len(ns) > 1 {
		args = append(args, "--userns", "/proc/self/fd/4")
	}
	args = append(args, "--pid", "/proc/self/fd/"+strconv.Itoa(2+len(extra)))
	if os.Geteuid() == 0 {
		// Dropped to nobody, pasta could not enter a namespace that
		// root owns.
		args = append(args, "--runas", "0")
	}
	args = append(args, pastaPorts(n.Forwards)...)
	if !n.AllowHostLoopback {
		args = append(args, "--no-map-gw")
	}
	h, err := s.start("pasta", n.Program, args, extra)
	w.Close()
	if err != nil {
		return err
	}
	got, err := readReady(s.abort, r, 32)
	if err != nil {
		return h.failure(err.Error())
	}
	if _, err := strconv.Atoi(strings.TrimSpace(string(got))); err != nil {
		return h.failure("could not set up the sandbox's network")
	}
	return nil
}

// pastaPorts are the forwarding options: each profile forward binds the
// host's 127.0.0.1 only, and nothing is forwarded from the sandbox to the
// host (-T none -U none; pasta's default would map the sandbox's loopback
// ports to the host's).
func pastaPorts(fw []plan.PortForward) []string {
	var tcp, udp []string
	for _, f := range fw {
		spec := fmt.Sprintf("127.0.0.1/%d:%d", f.HostPort, f.SandboxPort)
		if f.Proto == "udp" {
			udp = append(udp, spec)
		} else {
			tcp = append(tcp, spec)
		}
	}
	var out []string
	for _, p := range []struct {
		opt   string
		specs []string
	}{{"-t", tcp}, {"-u", udp}} {
		if len(p.specs) == 0 {
			out = append(out, p.opt, "none")
		}
		for _, spec := range p.specs {
			out = append(out, p.opt, spec)
		}
	}
	return append(out, "-T", "none", "-U", "none")
}

// startSlirp4netns runs slirp4netns attached to the namespaces. It writes
// "1" to --ready-fd once the tap device is configured, and exits when
// --exit-fd, whose other end the launcher keeps, is closed. Forwards go
// through its API socket, in the private directory.
func (s *services) startSlirp4netns(n *plan.NAT, ns []*os.File) error {
	ready, readyW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("slirp4netns ready pipe: %w", err)
	}
	defer ready.Close()
	exitR, exitW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return fmt.Errorf("slirp4netns exit pipe: %w", err)
	}
	extra := append(append([]*os.File(nil), ns...), readyW, exitR)
	fd := func(i int) string { return strconv.Itoa(3 + i) }
	args := []string{"--configure", "--mtu=65520", "--netns-type=path",
		"--ready-fd=" + fd(len(ns)), "--exit-fd=" + fd(len(ns)+1)}
	if len(ns) > 1 {
		args = append(args, "--userns-path=/proc/self/fd/4")
	}
	if !n.AllowHostLoopback {
		args = append(args, "--disable-host-loopback")
	}
	api := ""
	if len(n.Forwards) > 0 {
		dir, err := s.privateDir()
		if err != nil {
			readyW.Close()
			exitR.Close()
			exitW.Close()
			return err
		}
		api = filepath.Join(dir, "slirp4netns.sock")
		args = append(args, "--api-socket", api)
	}
	args = append(args, "/proc/self/fd/3", "tap0")
	h, err := s.start("slirp4netns", n.Program, args, extra)
	readyW.Close()
	exitR.Close()
	if err != nil {
		exitW.Close()
		return err
	}
	h.keep = append(h.keep, exitW)
	got, err := readReady(s.abort, ready, 1)
	if err != nil {
		return h.failure(err.Error())
	}
	if string(got) != "1" {
		return h.failure("could not set up the sandbox's network")
	}
	for _, f := range n.Forwards {
		if err := slirpForward(api, f); err != nil {
			return h.failure(fmt.Sprintf("refused the forward %d:%d/%s (from %s:%d): %v",
				f.HostPort, f.SandboxPort, f.Proto, f.At.File, f.At.Line, err))
		}
	}
	return nil
}

// slirpForward asks slirp4netns to forward the host's 127.0.0.1:HostPort
// to the sandbox. One request a connection, ended by shutting down the
// write side, as its API requires.
func slirpForward(api string, f plan.PortForward) error {
	conn, err := net.DialTimeout("unix", api, helperReadyTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(helperReadyTimeout))
	req, _ := json.Marshal(map[string]any{
		"execute": "add_hostfwd",
		"arguments": map[string]any{
			"proto": f.Proto, "host_addr": "127.0.0.1", "host_port": f.HostPort, "guest_port": f.SandboxPort,
		},
	})
	if _, err := conn.Write(req); err != nil {
		return err
	}
	if err := conn.(*net.UnixConn).CloseWrite(); err != nil {
		return err
	}
	var resp struct {
		Return json.RawMessage `json:"return"`
		Error  *struct {
			Desc string `json:"desc"`
		} `json:"error"`
	}
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		return fmt.Errorf("reading its answer: %w", err)
	}
	if resp.Error != nil || resp.Return == nil {
		desc := "no answer"
		if resp.Error != nil {
			desc = resp.Error.Desc
		}
		return fmt.Errorf("%s", desc)
	}
	return nil
}

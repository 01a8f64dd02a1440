package plan

import (
	"sandbox/internal/hostport"
	"sandbox/internal/srcpos"
)

// Origin is where in a profile file a step, a helper or a warning came
// from. The compiler fills it from the profile's own positions.
type Origin struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// Problem is what a Warning carries: a fault of this machine, told at the
// profile line it concerns. It is embedded under this name, not as
// "Error", so that the Error method stays promoted and a Warning is an
// error that prints as file:line:col: key: message.
type Problem struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Key  string `json:"key"`
	Msg  string `json:"message"`
	// Situation is set when the caller's situation, not the file,
	// caused the problem; see profile.Error.
	Situation string `json:"-"`
}

func (e *Problem) Error() string { return srcpos.Format(e.File, e.Line, e.Col, e.Key, e.Msg) }

// IDRange maps Count ids from Inside (in the sandbox) to Outside (on the
// host).
type IDRange struct {
	Inside  uint32 `json:"inside"`
	Outside uint32 `json:"outside"`
	Count   uint32 `json:"count"`
}

// The NAT helpers a plan can run.
const (
	BackendPasta       = "pasta"
	BackendSlirp4netns = "slirp4netns"
)

// PortForward is a host 127.0.0.1 port that reaches a sandbox port.
type PortForward struct {
	HostPort    uint16 `json:"host_port"`
	SandboxPort uint16 `json:"sandbox_port"`
	// Proto is "tcp" or "udp".
	Proto string `json:"proto"`
	At    Origin `json:"at"`
}

// EgressRule is one destination the egress proxy lets through: a
// lower-case name, "*.suffix" or an IP address, and one port (0 means 80
// and 443).
type EgressRule struct {
	Host string `json:"host"`
	Port int    `json:"port,omitempty"`
	At   Origin `json:"at"`
}

// String is the rule's canonical form: "pypi.org:443", "*.github.com".
func (r EgressRule) String() string { return hostport.Format(r.Host, r.Port) }

// HostMapping is one name the sandbox resolves to Addr.
type HostMapping struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
	At   Origin `json:"at"`
}

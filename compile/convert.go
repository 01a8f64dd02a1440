package compile

import (
	"sandbox/plan"
	"sandbox/profile"
)

// The plan has types of its own for the few profile values it carries, so
// that it depends on nothing of the language; these copy them across.

func planIDs(rs []profile.IDRange) []plan.IDRange {
	if rs == nil {
		return nil
	}
	out := make([]plan.IDRange, len(rs))
	for i, r := range rs {
		out[i] = plan.IDRange(r)
	}
	return out
}

func profileIDs(rs []plan.IDRange) []profile.IDRange {
	if rs == nil {
		return nil
	}
	out := make([]profile.IDRange, len(rs))
	for i, r := range rs {
		out[i] = profile.IDRange(r)
	}
	return out
}

func planForwards(fs []profile.PortForward) []plan.PortForward {
	if fs == nil {
		return nil
	}
	out := make([]plan.PortForward, len(fs))
	for i, f := range fs {
		out[i] = plan.PortForward{HostPort: f.HostPort, SandboxPort: f.SandboxPort, Proto: f.Proto, At: plan.Origin(f.At)}
	}
	return out
}

func planEgressRules(rs []profile.EgressRule) []plan.EgressRule {
	if rs == nil {
		return nil
	}
	out := make([]plan.EgressRule, len(rs))
	for i, r := range rs {
		out[i] = plan.EgressRule{Host: r.Host, Port: r.Port, At: plan.Origin(r.At)}
	}
	return out
}

func planHostMappings(hs []profile.HostMapping) []plan.HostMapping {
	if hs == nil {
		return nil
	}
	out := make([]plan.HostMapping, len(hs))
	for i, h := range hs {
		out[i] = plan.HostMapping{Name: h.Name, Addr: h.Addr, At: plan.Origin(h.At)}
	}
	return out
}

// warningOf is a profile error carried by a plan warning.
func warningOf(e *profile.Error) *plan.Problem {
	return &plan.Problem{File: e.File, Line: e.Line, Col: e.Col, Key: e.Key, Msg: e.Msg, Situation: e.Situation}
}

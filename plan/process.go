package plan

// InNewSession reports whether the payload gets a session of its own: the
// plan has a NewSession step. The step is the one place that says so.
func (p *Plan) InNewSession() bool {
	for _, s := range p.Steps {
		if _, ok := s.(NewSession); ok {
			return true
		}
	}
	return false
}

// RunsInit reports whether a small init stays PID 1 under the payload:
// the Exec step says so.
func (p *Plan) RunsInit() bool {
	for _, s := range p.Steps {
		if e, ok := s.(Exec); ok {
			return e.Init
		}
	}
	return false
}

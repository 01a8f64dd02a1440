package launcher

// UsernsSetting is a sysctl that can keep user namespaces from being
// created: Blocked is the value that does, Allow the one that lifts it.
// The launch's hint (run_userns.go) and `sandbox doctor` both read this
// list, so they name the same settings and the same fix.
type UsernsSetting struct {
	Name, Blocked, Allow, Why string
}

// UsernsSettings lists the settings, as runUsernsSettings holds them.
func UsernsSettings() []UsernsSetting {
	out := make([]UsernsSetting, 0, len(runUsernsSettings))
	for _, s := range runUsernsSettings {
		out = append(out, UsernsSetting{Name: s.name, Blocked: s.blocked, Allow: s.fix, Why: s.why})
	}
	return out
}

// UsernsAllowCommand is the command that sets name to value now and
// keeps it across reboots.
func UsernsAllowCommand(name, value string) string {
	return "sudo sysctl -w " + name + "=" + value + ", and keep it across reboots with: echo " +
		name + "=" + value + " | sudo tee /etc/sysctl.d/60-sandbox-userns.conf"
}

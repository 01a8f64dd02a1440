package compile

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"sandbox/plan"
	"sandbox/profile"
)

// The [desktop] switches compile into ordinary steps: read-only binds of
// the few sockets and files each service needs, a File with an
// Xauthority cookie, and variables. Nothing else of the caller's session
// (its runtime directory, its home) becomes visible.
//
// Sockets live in XDG_RUNTIME_DIR. Inside, that is a private tmpfs (mode
// 0700) at the caller's own path, or /run/user/UID when the caller has
// none, holding only the sockets the profile asked for.

// desktopCompiler gathers the steps, variables and explanations of the
// [desktop] and [dbus] tables.
type desktopCompiler struct {
	c  *compiler
	pl *plan.Plan

	hostRuntime string // the caller's $XDG_RUNTIME_DIR, "" when unset
	runtime     string // XDG_RUNTIME_DIR inside
	runtimeAt   profile.Origin
	inRuntime   []plan.Step // binds and files inside the runtime tmpfs
	other       []plan.Step // everything else
	env         map[string]string

	// problems holds, per key, what this machine lacks for it; see
	// settle for why they are not reported at once.
	problems map[string][]problem
	ok       map[string]bool
}

type problem struct {
	at  profile.Origin
	msg string
	// absent marks a part of the desktop session that is simply not
	// running (see absent).
	absent bool
}

// desktopSteps compiles [desktop] and [dbus]. The caller places the steps
// after the profile's own mounts.
func (c *compiler) desktopSteps(pl *plan.Plan) []plan.Step {
	d := &desktopCompiler{c: c, pl: pl, env: map[string]string{},
		problems: map[string][]problem{}, ok: map[string]bool{}}
	d.hostRuntime = RuntimeDir(c.h.Getenv)
	d.runtime = d.hostRuntime
	if d.runtime == "" {
		uid, _ := c.insideIDs()
		d.runtime = fmt.Sprintf("/run/user/%d", uid)
	}
	ds := c.p.Desktop
	for _, sw := range []struct {
		on      bool
		key     string
		compile func(profile.Origin)
	}{
		{ds.Wayland, "desktop.wayland", d.wayland},
		{ds.X11, "desktop.x11", d.x11},
		{ds.PulseAudio, "desktop.pulseaudio", d.pulseAudio},
		{ds.PipeWire, "desktop.pipewire", d.pipeWire},
		{ds.GPU, "desktop.gpu", d.gpu},
		{ds.Fonts, "desktop.fonts", d.fonts},
		{ds.Themes, "desktop.themes", d.themes},
	} {
		if sw.on {
			sw.compile(c.origin(sw.key))
		}
	}
	d.dbus()
	d.settle()

	var out []plan.Step
	if len(d.inRuntime) > 0 {
		out = append(out, plan.Tmpfs{From: plan.From{At: plan.Origin(d.runtimeAt)}, Target: d.runtime, Mode: 0o700})
		out = append(out, d.inRuntime...)
		d.env["XDG_RUNTIME_DIR"] = d.runtime
	}
	out = append(out, d.other...)
	c.setEnv(pl, d.env)
	return out
}

// need records that key cannot work on this machine, and why.
func (d *desktopCompiler) need(key string, at profile.Origin, format string, args ...any) {
	d.problems[key] = append(d.problems[key], problem{at: at, msg: fmt.Sprintf(format, args...)})
}

// absent records that key cannot work because a part of the caller's
// desktop session (a display, a sound server, the session bus) is not
// running at all: a headless or command-line run of a desktop profile.
// Unlike a broken socket or a missing helper program, that is what the
// user expects, so a launch does not warn about it by default
// (Warning.Optional).
func (d *desktopCompiler) absent(key string, at profile.Origin, format string, args ...any) {
	d.problems[key] = append(d.problems[key], problem{at: at, msg: fmt.Sprintf(format, args...), absent: true})
}

// item records what a switch gives the sandbox, for explain.
func (d *desktopCompiler) item(key string, at profile.Origin, format string, args ...any) {
	d.ok[key] = true
	d.pl.Desktop = append(d.pl.Desktop, plan.DesktopItem{Key: key, At: plan.Origin(at), Description: fmt.Sprintf(format, args...)})
}

// settle reports what this machine lacks. Wayland and X11 are two ways to
// one display, PulseAudio and PipeWire two ways to one sound server: a
// profile that turns on both of a pair works when either is there (a
// browser on an X11-only session, say), so the missing one is only a
// warning. Anything else missing is an error, or with Host.Lenient a
// warning.
func (d *desktopCompiler) settle() {
	pairs := map[string]string{
		"desktop.wayland": "desktop.x11", "desktop.x11": "desktop.wayland",
		"desktop.pulseaudio": "desktop.pipewire", "desktop.pipewire": "desktop.pulseaudio",
	}
	keys := make([]string, 0, len(d.problems))
	for k := range d.problems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		for _, p := range d.problems[key] {
			if other, ok := pairs[key]; ok && d.ok[other] {
				// The other of the pair works: nothing the user
				// needs is missing, whatever the reason.
				d.c.warns = append(d.c.warns, plan.Warning{Optional: true, Problem: warningOf(&profile.Error{File: p.at.File, Line: p.at.Line, Col: p.at.Col, Key: key,
					Msg: p.msg + fmt.Sprintf("; %s works instead", other)})})
				continue
			}
			if p.absent {
				d.c.hostAbsent(p.at, key, "%s", p.msg)
				continue
			}
			d.c.hostProblem(p.at, key, "%s", p.msg)
		}
	}
}

// socket binds a host socket read-only into the runtime tmpfs at name. A
// read-only mount still lets clients connect (connect needs no write
// access to the mount), but the payload cannot chmod or replace it.
func (d *desktopCompiler) socket(at profile.Origin, src, name string) string {
	target := path.Join(d.runtime, name)
	d.runtimeUsed(at)
	d.inRuntime = append(d.inRuntime, plan.BindMount{From: plan.From{At: plan.Origin(at)}, Source: src, Target: target, ReadOnly: true})
	return target
}

func (d *desktopCompiler) runtimeUsed(at profile.Origin) {
	if len(d.inRuntime) == 0 {
		d.runtimeAt = at
	}
}

// exists reports whether a host path is there for the caller.
func (d *desktopCompiler) exists(p string) bool {
	_, err := d.c.h.Stat(p)
	return err == nil
}

// optional binds each existing host path read-only at the same path and
// returns the ones bound.
func (d *desktopCompiler) optional(at profile.Origin, paths ...string) []string {
	var bound []string
	for _, p := range paths {
		if !d.exists(p) {
			continue
		}
		d.other = append(d.other, plan.BindMount{From: plan.From{At: plan.Origin(at)}, Source: p, Target: p, ReadOnly: true, Optional: true})
		bound = append(bound, p)
	}
	return bound
}

// sessionSocket checks the host socket of a session service at src, as
// desktop_sockets.go found it ("" when $XDG_RUNTIME_DIR is unset), and
// reports it when it is not there. A server the caller named (named:
// $WAYLAND_DISPLAY, $PULSE_SERVER) whose socket is missing is a fault of
// this machine; the usual socket missing only means the service is not
// running (absent).
func (d *desktopCompiler) sessionSocket(key string, at profile.Origin, src string, named bool, unset, missing string) bool {
	if src == "" {
		d.absent(key, at, "%s", unset)
		return false
	}
	if !d.exists(src) {
		report := d.absent
		if named {
			report = d.need
		}
		report(key, at, missing, src)
		return false
	}
	return true
}

func (d *desktopCompiler) wayland(at profile.Origin) {
	src, named := HostWaylandSocket(d.c.h.Getenv, d.hostRuntime)
	if !d.sessionSocket("desktop.wayland", at, src, named,
		"$XDG_RUNTIME_DIR is not set, so the Wayland socket cannot be found; run from a Wayland session or set desktop.wayland = false",
		"there is no Wayland socket at %s; run from a Wayland session or set desktop.wayland = false") {
		return
	}
	base := path.Base(src)
	target := d.socket(at, src, base)
	d.env["WAYLAND_DISPLAY"] = base
	d.item("desktop.wayland", at, "the Wayland display: the host's %s is bound at %s; WAYLAND_DISPLAY=%s", src, target, base)
}

func (d *desktopCompiler) fonts(at profile.Origin) {
	paths := []string{"/etc/fonts", "/var/cache/fontconfig"}
	if h := d.c.h.Home; h != "" {
		paths = append(paths, path.Join(h, ".fonts"), path.Join(d.dataHome(), "fonts"), path.Join(d.configHome(), "fontconfig"))
	}
	d.item("desktop.fonts", at, "fonts, read-only: %s", orNone(d.optional(at, paths...)))
}

func (d *desktopCompiler) themes(at profile.Origin) {
	var paths []string
	if h := d.c.h.Home; h != "" {
		paths = []string{path.Join(h, ".themes"), path.Join(h, ".icons"),
			path.Join(d.dataHome(), "themes"), path.Join(d.dataHome(), "icons"),
			path.Join(d.configHome(), "gtk-3.0"), path.Join(d.configHome(), "gtk-4.0")}
	}
	d.item("desktop.themes", at, "themes and icons, read-only: %s", orNone(d.optional(at, paths...)))
}

// configHome and dataHome are the caller's ~/.config and ~/.local/share.
// The spec names those paths; $XDG_CONFIG_HOME and $XDG_DATA_HOME are
// not followed, as they may point anywhere.
func (d *desktopCompiler) configHome() string { return path.Join(d.c.h.Home, ".config") }
func (d *desktopCompiler) dataHome() string   { return path.Join(d.c.h.Home, ".local", "share") }

func orNone(paths []string) string {
	if len(paths) == 0 {
		return "none of its paths exist on this machine"
	}
	return strings.Join(paths, ", ")
}

// setEnv sets the variables the desktop needs. A value the profile sets
// itself (environment.set) wins: it was written on purpose.
func (c *compiler) setEnv(pl *plan.Plan, vars map[string]string) {
	if len(vars) == 0 {
		return
	}
	for _, v := range c.p.Environment.Set {
		delete(vars, v.Name)
	}
	out := pl.Env[:0:0]
	for _, kv := range pl.Env {
		name, _, _ := strings.Cut(kv, "=")
		if _, replaced := vars[name]; !replaced {
			out = append(out, kv)
		}
	}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	pl.Env = out
}

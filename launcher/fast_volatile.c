/*
 * Variables that differ from one launch to the next without saying
 * anything a plan is compiled from: a desktop's startup and activation
 * tokens and the pid GLib records for a launched entry, systemd's
 * per-unit ids, the shell's previous directory and level, a terminal's
 * window and pane ids, an ssh connection's ports. With them in the plan
 * cache's key every launch from a menu, or after a cd, would compile
 * afresh. They are left out of the key unless the plan uses one (a profile
 * that keeps DESKTOP_STARTUP_ID gets its value in the plan, and then the
 * value is part of the key). Both sides of the cache read this list.
 */
#include <string.h>

#include "fast.h"

static const char *const volatile_vars[] = {
	"DESKTOP_STARTUP_ID", "XDG_ACTIVATION_TOKEN", "GIO_LAUNCHED_DESKTOP_FILE",
	"GIO_LAUNCHED_DESKTOP_FILE_PID", "INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID",
	"OLDPWD", "SHLVL", "_", "WINDOWID", "TERM_SESSION_ID", "KITTY_WINDOW_ID", "KITTY_PID",
	"WEZTERM_PANE", "TMUX_PANE", "GNOME_TERMINAL_SCREEN", "KONSOLE_DBUS_WINDOW",
	"SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY",
};

int sbx_cache_volatile_count(void)
{
	return (int)(sizeof(volatile_vars) / sizeof(volatile_vars[0]));
}

const char *sbx_cache_volatile_name(int i)
{
	if (i < 0 || i >= sbx_cache_volatile_count())
		return NULL;
	return volatile_vars[i];
}

int sbx_cache_volatile_index(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t n = eq ? (size_t)(eq - kv) : strlen(kv);
	int i;

	for (i = 0; i < sbx_cache_volatile_count(); i++) {
		if (strlen(volatile_vars[i]) == n && memcmp(volatile_vars[i], kv, n) == 0)
			return i;
	}
	return -1;
}

package compile

import (
	"sandbox/internal/compiletest"
	"sandbox/plan"
	"testing"
)

// TestUserNamespaceLimitStep checks where the user namespace limit (I9)
// goes: first, in every plan whose payload may not create user
// namespaces; leaving room for the one LockMounts makes; optional only
// where the seccomp filter refuses user namespaces too.
func TestUserNamespaceLimitStep(t *testing.T) {
	const none = "[process]\nnew_session = true\n[seccomp]\npolicy = \"none\"\n"
	for _, tc := range []struct {
		name, extra   string
		want          bool
		max           int
		optional      bool
		lockMountsToo bool
	}{
		{"default", "", true, 0, true, false},
		{"no filter", none, true, 0, false, false},
		{"no filter, mounts locked", none + "[capabilities]\nkeep = [\"CAP_SYS_ADMIN\"]\n", true, 1, false, true},
		{"clone allowed", "[seccomp.syscalls]\nclone = \"allow\"\n", true, 0, false, false},
		{"unshare logged", "[seccomp.syscalls]\nunshare = \"log\"\n", true, 0, false, false},
		{"unshare refused otherwise", "[seccomp.syscalls]\nunshare = \"EACCES\"\n", true, 0, true, false},
		{"allow-list without unshare", "[seccomp]\npolicy = \"allow-list\"\n[seccomp.syscalls]\nread = \"allow\"\n", true, 0, true, false},
		{"allow-list with unshare", "[seccomp]\npolicy = \"allow-list\"\n[seccomp.syscalls]\nunshare = \"allow\"\n", true, 0, false, false},
		{"nested allowed", "[process]\nnested_user_namespaces = true\n", false, 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := minimalPlan(t, tc.extra, "/bin/true")
			st, ok := pl.Steps[0].(plan.UserNamespaceLimit)
			if ok != tc.want {
				t.Fatalf("first step %s, want a user namespace limit: %v", pl.Steps[0].Kind(), tc.want)
			}
			if ok && (st.Max != tc.max || st.Optional != tc.optional) {
				t.Errorf("limit %d, optional %v; want %d, %v", st.Max, st.Optional, tc.max, tc.optional)
			}
			locks := false
			for _, s := range pl.Steps {
				_, l := s.(plan.LockMounts)
				locks = locks || l
			}
			if locks != tc.lockMountsToo {
				t.Errorf("lock-mounts in the plan: %v, want %v", locks, tc.lockMountsToo)
			}
		})
	}
}

// minimalPlan compiles the shipped minimal profile, with extra appended,
// for this process's ids.
func minimalPlan(t testing.TB, extra string, command ...string) *plan.Plan {
	t.Helper()
	pl, err := Compile(compiletest.LoadText(t, "extends = [\"minimal\"]\n"+extra), command, compiletest.CallerHost())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return pl
}

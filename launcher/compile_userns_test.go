package launcher

import "testing"

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
			plan := minimalPlan(t, tc.extra, "/bin/true")
			st, ok := plan.Steps[0].(UserNamespaceLimit)
			if ok != tc.want {
				t.Fatalf("first step %s, want a user namespace limit: %v", plan.Steps[0].Kind(), tc.want)
			}
			if ok && (st.Max != tc.max || st.Optional != tc.optional) {
				t.Errorf("limit %d, optional %v; want %d, %v", st.Max, st.Optional, tc.max, tc.optional)
			}
			locks := false
			for _, s := range plan.Steps {
				_, l := s.(LockMounts)
				locks = locks || l
			}
			if locks != tc.lockMountsToo {
				t.Errorf("lock-mounts in the plan: %v, want %v", locks, tc.lockMountsToo)
			}
		})
	}
}

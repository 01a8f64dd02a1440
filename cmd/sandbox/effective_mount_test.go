package main

import (
	"fmt"
	"strings"
	"testing"

	"sandbox/profile"
)

// TestEffectiveMountKeysPerFile checks that explain names each [[mount]]
// entry as the profile reference and every error do: mount[N], counted
// from 0 within the file that declares it.
func TestEffectiveMountKeysPerFile(t *testing.T) {
	c := newCaller()
	p, err := profile.Load("firefox", c.env, c.src)
	if err != nil {
		t.Fatal(err)
	}
	next := map[string]int{}
	files := 0
	for _, s := range settings(p) {
		if !strings.HasPrefix(s.Key, "mount") {
			continue
		}
		if next[s.At.File] == 0 {
			files++
		}
		if want := fmt.Sprintf("mount[%d]", next[s.At.File]); s.Key != want {
			t.Errorf("%s (%s): named %s, want %s", s.Text, s.From, s.Key, want)
		}
		next[s.At.File]++
	}
	if files < 2 {
		t.Errorf("mounts of %d files; the test needs inherited ones", files)
	}
}

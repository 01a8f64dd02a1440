package main

import (
	"strings"
	"testing"

	"sandbox/profile"
)

// TestEffectiveCoversSchema checks that explain's effective profile has a
// value for every key of the profile format that holds one, so that a key
// added to profile.Schema() cannot be left out of explain.
func TestEffectiveCoversSchema(t *testing.T) {
	leaves := leafSettings(&profile.Profile{})
	entries := map[string]bool{"mount": true, "seccomp.syscalls": true, "environment.set": true, "limits": true}
	for _, d := range profile.Schema() {
		switch {
		case d.Type == "table" && !entries[d.Key]:
			// A section: its keys are listed on their own.
		case strings.Contains(d.Key, "[]") || strings.Contains(d.Key, "<") || strings.HasPrefix(d.Key, "merge."):
			// An entry's field, a name chosen by the profile, or how
			// the files combine.
		case entries[d.Key] || schemaNotShown(d.Key):
		default:
			if _, ok := leaves[d.Key]; !ok {
				t.Errorf("explain shows no value for %s: add it to leafSettings", d.Key)
			}
		}
	}
	for key := range leaves {
		found := false
		for _, d := range profile.Schema() {
			found = found || d.Key == key
		}
		if !found {
			t.Errorf("leafSettings has %s, which the profile format does not", key)
		}
	}
}

package plan

import "strings"

// LookupEnv finds NAME in an environment of "NAME=value" strings.
func LookupEnv(env []string, name string) (string, bool) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

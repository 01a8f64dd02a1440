package profile

import (
	"os"
	"testing"
)

func TestZZOne(t *testing.T) {
	b, _ := os.ReadFile(os.Getenv("ZZ"))
	src := Source{Builtin: builtins(map[string]string{"f.toml": string(b)})}
	Load("f", testEnv(), src)
}

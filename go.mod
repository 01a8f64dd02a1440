module sandbox

go 1.26.0

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/moby/sys/capability v0.5.0
	github.com/opencontainers/runtime-spec v1.3.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	github.com/seccomp/libseccomp-golang v0.11.1
	golang.org/x/sys v0.50.0
)

require golang.org/x/text v0.14.0 // indirect

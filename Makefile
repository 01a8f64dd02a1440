# Build, test and install sandbox.
#
#   make              build bin/sandbox (installs libseccomp's headers first if missing)
#   make test         go vet, go test and a check of every shipped profile
#   make generate     rewrite the generated files (make test fails when one is stale)
#   make fuzz         run every fuzz target for FUZZTIME each (default 150000x)
#   make bench        compare launch time and memory with bubblewrap
#   make install      install into $(DESTDIR)$(PREFIX)
#   make deb          build bin/sandbox_VERSION_ARCH.deb (needs only dpkg-deb)
#   make deps         install everything the tests use (Debian; make test runs it when something is missing)
#   make clean

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   := $(DESTDIR)$(PREFIX)/bin
DATADIR  := $(DESTDIR)$(PREFIX)/share/sandbox
MANDIR   := $(DESTDIR)$(PREFIX)/share/man
SHAREDIR := $(DESTDIR)$(PREFIX)/share
GO       ?= go
# Executions rather than seconds ("30s"): a duration can end a run with a
# spurious "context deadline exceeded" in Go 1.26 (golang/go#75804).
FUZZTIME ?= 150000x
BENCH_N  ?= 200

# The seccomp filter is compiled with libseccomp through cgo.
export CGO_ENABLED := 1

# sudo only when we are not root already (CI and containers run as root).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build generate seccomp-dev deps-check test vet fmt-check check-profiles fuzz bench install uninstall deb deps clean

all: build

# The binary is static where the static C library and libseccomp are
# installed: the dynamic loader then has nothing to map and relocate at
# each start, some 0.8 ms of a launch of 10. osusergo reads the user
# database from /etc/passwd (the command asks getent for users only NSS
# knows) and netgo keeps the C resolver, which a static libc cannot load,
# out. Where the static libraries are missing (glibc-static and
# libseccomp's archive are packages of their own on some distributions)
# the binary is dynamic.
STATIC_FLAGS := -tags osusergo,netgo -ldflags '-extldflags=-static'

build: seccomp-dev
	@if printf 'int main(void) { return 0; }\n' | \
	    $(CC) -static -x c - -o /dev/null $$(pkg-config --libs libseccomp) 2>/dev/null; then \
	  echo "$(GO) build -trimpath $(STATIC_FLAGS) -o bin/sandbox ./cmd/sandbox"; \
	  $(GO) build -trimpath $(STATIC_FLAGS) -o bin/sandbox ./cmd/sandbox; \
	else \
	  echo "no static libc or libseccomp: building a dynamic binary, which starts some 0.8 ms slower"; \
	  $(GO) build -trimpath -o bin/sandbox ./cmd/sandbox; \
	fi

# libseccomp's headers and pkg-config file are needed to build, not just the
# library. Install them with whichever package manager the system has; the
# package names differ per distribution.
seccomp-dev:
	@if ! pkg-config --exists libseccomp 2>/dev/null; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "libseccomp-dev is missing; installing it with apt-get"; \
	    $(SUDO) apt-get update -q && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q pkg-config libseccomp-dev; \
	  elif command -v dnf >/dev/null 2>&1; then \
	    echo "libseccomp-devel is missing; installing it with dnf"; \
	    $(SUDO) dnf install -y pkgconf-pkg-config libseccomp-devel; \
	  elif command -v pacman >/dev/null 2>&1; then \
	    echo "libseccomp is missing; installing it with pacman"; \
	    $(SUDO) pacman -S --needed --noconfirm pkgconf libseccomp; \
	  elif command -v zypper >/dev/null 2>&1; then \
	    echo "libseccomp-devel is missing; installing it with zypper"; \
	    $(SUDO) zypper --non-interactive install pkg-config libseccomp-devel; \
	  elif command -v apk >/dev/null 2>&1; then \
	    echo "libseccomp-dev is missing; installing it with apk"; \
	    $(SUDO) apk add --no-cache pkgconf libseccomp-dev; \
	  else \
	    echo "libseccomp-dev is missing and no known package manager was found:" >&2; \
	    echo "install libseccomp's development files and pkg-config, then run make again" >&2; \
	    exit 1; \
	  fi; \
	  pkg-config --exists libseccomp || { echo "libseccomp is still not found by pkg-config" >&2; exit 1; }; \
	fi

# Every test: formatting, vet, the Go tests (the ones that need root run when
# make test runs as root, as in CI), then every shipped profile and example
# through the built binary.
# tools/test-leftovers fails the run when a test left anything behind in
# /tmp (temporary directories, an X server's socket).
test: build deps-check fmt-check vet
	./tools/test-leftovers $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory check-profiles

# Rewrites every generated file: the system call table (from the x/sys in
# go.mod) and the precompiled default seccomp filters (with the libseccomp
# installed here). make test fails when one of them is stale.
generate: seccomp-dev
	$(GO) generate ./...

vet: seccomp-dev
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

check-profiles:
	./bin/sandbox check profiles/*.toml examples/*.toml

# Each fuzz target runs on its own: go test accepts one -fuzz target per
# package and run.
fuzz: seccomp-dev
	@targets="$$(grep -r --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . | \
	  sed -E 's|^\./(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*|\1 \2|' | sort -u)"; \
	if [ -z "$$targets" ]; then echo "no fuzz targets found"; exit 0; fi; \
	echo "$$targets" | while read -r dir name; do \
	  echo "fuzz ./$$dir $$name for $(FUZZTIME)"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) "./$$dir" || exit 1; \
	done

bench: build
	$(GO) build -o bin/bench ./tools/bench
	./bin/bench -n $(BENCH_N) -sandbox ./bin/sandbox
	# The egress proxy of network.mode = "filtered": 100 connections
	# at 1 MB/s each; CPU, memory per connection, CONNECT latency.
	$(GO) test ./egress -run '^$$' -bench BenchmarkEgressProxy -benchtime 1x -count=1

# The profiles go to $(PREFIX)/share/sandbox/profiles, which the binary
# searches for PREFIX=/usr/local (the default) and PREFIX=/usr: the list is
# profile.SystemDirs. With another PREFIX they are not searched, and
# `sandbox doctor` says so.
install: build
	install -D -m 0755 bin/sandbox $(BINDIR)/sandbox
	install -d $(DATADIR)/profiles
	install -m 0644 profiles/*.toml $(DATADIR)/profiles/
	install -D -m 0644 docs/man/sandbox.1 $(MANDIR)/man1/sandbox.1
	install -D -m 0644 docs/man/sandbox-profile.5 $(MANDIR)/man5/sandbox-profile.5
	install -D -m 0644 completions/sandbox.bash $(SHAREDIR)/bash-completion/completions/sandbox
	install -D -m 0644 completions/_sandbox $(SHAREDIR)/zsh/vendor-completions/_sandbox
	install -D -m 0644 completions/sandbox.fish $(SHAREDIR)/fish/vendor_completions.d/sandbox.fish

uninstall:
	rm -f $(BINDIR)/sandbox $(MANDIR)/man1/sandbox.1 $(MANDIR)/man5/sandbox-profile.5
	rm -f $(SHAREDIR)/bash-completion/completions/sandbox $(SHAREDIR)/zsh/vendor-completions/_sandbox \
	  $(SHAREDIR)/fish/vendor_completions.d/sandbox.fish
	rm -rf $(DATADIR)

# A Debian package built with dpkg-deb alone: `make install` into a staging
# root with PREFIX=/usr, so the profiles land in /usr/share/sandbox/profiles
# (on the search path) and the manual pages in /usr/share/man, then a
# control file. The version is the binary's own.
DEB_STAGE      := build/deb
DEB_ARCH       ?= $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_MAINTAINER ?= sandbox developers <sandbox@localhost>

deb: build
	rm -rf $(DEB_STAGE)
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/$(DEB_STAGE)
	gzip -9n $(DEB_STAGE)/usr/share/man/man1/sandbox.1 $(DEB_STAGE)/usr/share/man/man5/sandbox-profile.5
	install -d $(DEB_STAGE)/DEBIAN
	@set -e; version="$$(./bin/sandbox --version | cut -d' ' -f2)"; \
	{ echo "Package: sandbox"; \
	  echo "Version: $$version"; \
	  echo "Architecture: $(DEB_ARCH)"; \
	  echo "Maintainer: $(DEB_MAINTAINER)"; \
	  echo "Installed-Size: $$(du -sk --exclude=DEBIAN $(DEB_STAGE) | cut -f1)"; \
	  echo "Depends: libc6, libseccomp2"; \
	  echo "Recommends: uidmap, xdg-dbus-proxy, passt | slirp4netns"; \
	  echo "Section: admin"; \
	  echo "Priority: optional"; \
	  echo "Description: declarative application sandbox"; \
	  echo " sandbox runs a program inside the world a short TOML profile declares:"; \
	  echo " new namespaces, a filesystem view built from nothing, no capabilities,"; \
	  echo " a seccomp filter, a cleared environment and resource limits. It needs"; \
	  echo " no setuid bit and no daemon. Profiles layer with defined merge rules,"; \
	  echo " and 'sandbox explain' shows which file and line set every value."; \
	} > $(DEB_STAGE)/DEBIAN/control; \
	dpkg-deb --root-owner-group --build $(DEB_STAGE) bin/sandbox_$${version}_$(DEB_ARCH).deb

# What the tests use: the peers the benchmark and comparisons run, newuidmap
# and newgidmap for subid tests, ip/findmnt/ps for the isolation tests,
# PulseAudio and PipeWire for the sound tests, xdg-desktop-portal with gdbus
# and python3-gi (its test backend) for the portal tests, python3-gi with
# GLib's introspection data for the desktop entry parser's GLib oracle.
# runc and crun run the exported OCI bundles; systemd's systemd-analyze
# verifies the exported drop-ins (no systemd needs to run); bash-completion
# so that the completion tests run the path most users have. Then the programs the shipped profiles' smoke tests (sandbox test) run.
# One list: `make deps` installs it and `make test` checks it.
DEPS_PKGS := \
	bubblewrap firejail uidmap libseccomp-dev pkg-config iproute2 util-linux procps libc6-dev zsh fish \
	firefox-esr chromium xvfb xauth python3 nodejs git curl wget make gcc passt \
	mupdf-tools imagemagick ghostscript ffmpeg mpv libreoffice-writer-nogui \
	vim tar zip unzip p7zip-full jq sqlite3 pandoc graphviz openssl \
	slirp4netns xdg-dbus-proxy dbus-daemon dbus-bin dbus-tests x11-utils \
	pulseaudio pulseaudio-utils pipewire pipewire-bin pipewire-pulse wireplumber \
	xdg-desktop-portal libglib2.0-bin python3-gi gir1.2-glib-2.0 \
	runc crun systemd \
	bash-completion

deps:
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEPS_PKGS)

# make test installs what the tests use when something is missing, so the
# README's one test command works on a fresh machine; when everything is
# there it costs one dpkg-query. Without dpkg (not Debian) it says what to
# install instead of guessing package names.
deps-check:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "not a Debian system: install the equivalents of these packages for the full test suite: $(DEPS_PKGS)"; \
	  exit 0; \
	fi; \
	installed="$$(dpkg-query -W -f='$${db:Status-Abbrev} $${Package}\n' $(DEPS_PKGS) 2>/dev/null | awk '$$1 == "ii" { print $$2 }')"; \
	missing=""; \
	for p in $(DEPS_PKGS); do \
	  printf '%s\n' "$$installed" | grep -qx "$$p" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "test dependencies missing: $$(echo $$missing); installing them (make deps)"; \
	  $(MAKE) --no-print-directory deps; \
	fi

clean:
	rm -rf bin build

# The lifecycle's build, test and packaging entry points. `make help` lists them.

SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

# The static binaries are built for TARGET_ARCH (x86_64 or aarch64, both tested; `make static
# TARGET_ARCH=aarch64`), with one recipe for every architecture (.ci/install-deps installs its
# parts): Rust's <arch>-unknown-linux-musl target links its own musl CRT and libc through
# Debian's <arch>-linux-gnu-gcc, and C dependencies (ring, zstd, ISA-L, any later one) are
# compiled by Debian's <arch>-linux-musl-gcc (musl-dev:<debian arch>) against musl's headers
# plus the target's Linux kernel headers (linux-libc-dev-<debian arch>-cross), which musl's
# headers leave out (as -I<dir>, never -isystem <dir>: ISA-L hands CFLAGS to nasm too, which
# reads the two words as an include option and a second input file). cc-rs and autotools-based
# build scripts find both through the usual CC_<target>, AR_<target> and CFLAGS_<target>
# variables.
TARGET_ARCH ?= x86_64
MUSL_TARGET := $(TARGET_ARCH)-unknown-linux-musl
GNU_TRIPLET := $(TARGET_ARCH)-linux-gnu
STATIC_DIR := $(TARGET_DIR)/$(MUSL_TARGET)/release
KERNEL_HEADERS := $(abspath $(TARGET_DIR))/kernel-headers/$(TARGET_ARCH)
TARGET_VAR := $(subst -,_,$(MUSL_TARGET))
TARGET_VAR_UPPER := $(shell echo '$(TARGET_VAR)' | tr a-z A-Z)
CROSS_ENV := CC_$(TARGET_VAR)=$(TARGET_ARCH)-linux-musl-gcc AR_$(TARGET_VAR)=$(GNU_TRIPLET)-ar \
  CFLAGS_$(TARGET_VAR)=-I$(KERNEL_HEADERS) CARGO_TARGET_$(TARGET_VAR_UPPER)_LINKER=$(GNU_TRIPLET)-gcc
DESTDIR ?= dist/install
SPEC_INSTALL ?= $(TARGET_DIR)/spec-install
DEMO_INSTALL ?= $(TARGET_DIR)/demo-install
PHASES := analyzer detector restorer extender builder exporter creator rebaser
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
COMMIT := $(shell git rev-parse --short=7 HEAD 2>/dev/null)

export CNB_LIFECYCLE_COMMIT := $(COMMIT)
# spec-tests run the binaries installed here (see cnb-testkit::Lifecycle)
export CNB_SPEC_LIFECYCLE_DIR := $(abspath $(SPEC_INSTALL))/cnb/lifecycle
# the spec tests' libcnb buildpack (see test-buildpacks)
TEST_BUILDPACKS := $(abspath $(TARGET_DIR))/test-buildpacks
export CNB_SPEC_LIBCNB_BUILDPACK := $(TEST_BUILDPACKS)/libcnb-probe

.PHONY: help demo build test unit-test spec-test lint static install clean test-buildpacks bench-detector bench bench-archive

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

demo: ## Install what is missing, build the static binaries, then build, run, rebuild and rebase a sample app (needs root)
	.ci/install-deps
	$(MAKE) --no-print-directory install DESTDIR=$(DEMO_INSTALL)
	$(CARGO) run --quiet --locked -p cnb-demo -- \
	  --lifecycle $(abspath $(DEMO_INSTALL))/cnb/lifecycle --testdata $(abspath testdata)

build: ## Debug build of every crate and binary
	$(CARGO) build --workspace --locked

test: lint ## Lints, static binaries installed for the spec tests, all tests but the cross-architecture ones (see test-aarch64; CI runs both)
	$(MAKE) --no-print-directory install DESTDIR=$(SPEC_INSTALL)
	$(MAKE) --no-print-directory test-buildpacks
	$(CARGO) test --workspace --locked -- --skip multiarch::

# The aarch64 lifecycle the cross-architecture spec-tests (module multiarch) use beside the
# x86_64 one in $(SPEC_INSTALL); test-aarch64 also runs these suites with it, through
# qemu-user (binfmt_misc, set up by .ci/install-deps).
SPEC_INSTALL_AARCH64 ?= $(TARGET_DIR)/spec-install-aarch64
export CNB_SPEC_LIFECYCLE_AMD64_DIR := $(abspath $(SPEC_INSTALL))/cnb/lifecycle
export CNB_SPEC_LIFECYCLE_ARM64_DIR := $(abspath $(SPEC_INSTALL_AARCH64))/cnb/lifecycle
AARCH64_SUITES := install:: sbom:: cli:: detector:: builder:: creator:: exporter:: rebaser:: launcher:: multiarch::
# tar-format stress tests (100 000 files, an 8 GiB sparse file) and the kill loops of the
# crash suites (whose names hold rebaser:: and exporter:: too): the same code on every
# architecture, minutes under emulation
AARCH64_SKIP := exporter::odd_trees:: crash::

.PHONY: test-aarch64
test-aarch64: ## The aarch64 binaries through the install, SBOM, CLI, detector, builder, creator, exporter, rebaser and launcher suites, and the cross-architecture tests
	$(MAKE) --no-print-directory install DESTDIR=$(SPEC_INSTALL) TARGET_ARCH=x86_64
	$(MAKE) --no-print-directory install DESTDIR=$(SPEC_INSTALL_AARCH64) TARGET_ARCH=aarch64
	$(MAKE) --no-print-directory test-buildpacks
	CNB_SPEC_LIFECYCLE_DIR=$(CNB_SPEC_LIFECYCLE_ARM64_DIR) $(CARGO) test --locked -p spec-tests --test spec -- \
	  $(AARCH64_SUITES) $(foreach skip,$(AARCH64_SKIP),--skip $(skip))

unit-test: ## Unit tests only (no registry, no built binaries needed)
	$(CARGO) test --workspace --locked --exclude spec-tests

spec-test: ## Black-box tests over the static binaries, installed under $(SPEC_INSTALL) (the cross-architecture ones: test-aarch64)
	$(MAKE) --no-print-directory install DESTDIR=$(SPEC_INSTALL)
	$(MAKE) --no-print-directory test-buildpacks
	$(CARGO) test --locked -p spec-tests -- --skip multiarch::

lint: ## rustfmt, clippy (warnings are errors), docs, and the architecture checks
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked --quiet
	$(CARGO) test --locked -p spec-tests --test architecture --quiet

# The launcher runs on every container start and execs at once: it is linked as a non-PIE
# static executable (no self-relocation at start-up, no ASLR of its own image), the lifecycle
# stays static-pie. Only the launcher's own crate gets the flag, so shared dependencies are
# built once.
#
# ISA-L's build (isal-sys) runs make itself: DESTDIR and MAKEFLAGS are unset so that it does not
# inherit this make's (its DESTDIR would send its install elsewhere; MAKEFLAGS would carry
# TARGET_ARCH, which make's implicit rules pass to the compiler).
static: kernel-headers ## Stripped static musl release binaries in $(TARGET_DIR)/<TARGET_ARCH>-unknown-linux-musl/release
	env -u DESTDIR -u MAKEFLAGS -u MFLAGS $(CROSS_ENV) $(CARGO) build --release --locked --target $(MUSL_TARGET) -p lifecycle
	env -u DESTDIR -u MAKEFLAGS -u MFLAGS $(CROSS_ENV) $(CARGO) rustc --release --locked --target $(MUSL_TARGET) -p launcher --bin launcher -- -C relocation-model=static
	@for bin in lifecycle launcher; do \
	  file $(STATIC_DIR)/$$bin | grep -Eq 'static-pie linked|statically linked' || { echo "$$bin is not statically linked" >&2; exit 1; }; \
	done

# Only the kernel's headers, for C compiled against musl's (see CROSS_ENV).
.PHONY: kernel-headers
kernel-headers:
	@test -d /usr/$(GNU_TRIPLET)/include/asm || { echo "no kernel headers for $(TARGET_ARCH) in /usr/$(GNU_TRIPLET)/include: run .ci/install-deps $(TARGET_ARCH)" >&2; exit 1; }
	@mkdir -p $(KERNEL_HEADERS)
	@for dir in asm asm-generic linux mtd; do ln -sfn /usr/$(GNU_TRIPLET)/include/$$dir $(KERNEL_HEADERS)/$$dir; done

# Beside each binary, its SBOMs under the Go lifecycle's names (<binary>.sbom.{cdx,spdx,syft}.json):
# what the release build of its package links for $(MUSL_TARGET), from cargo (crates/cnb-sbom);
# one set per TARGET_ARCH. SOURCE_DATE_EPOCH, when set, is their time.
install: static ## Lay out $(DESTDIR)/cnb/lifecycle with the binaries, their SBOMs, phase symlinks and lifecycle.toml
	install -d $(DESTDIR)/cnb/lifecycle
	install -m 0755 $(STATIC_DIR)/lifecycle $(STATIC_DIR)/launcher $(DESTDIR)/cnb/lifecycle/
	@for phase in $(PHASES); do ln -sfn lifecycle $(DESTDIR)/cnb/lifecycle/$$phase; done
	$(CARGO) run --quiet --locked -p cnb-files --example lifecycle_toml > $(DESTDIR)/cnb/lifecycle.toml
	@for bin in lifecycle launcher; do \
	  $(CARGO) run --quiet --locked -p cnb-sbom -- $$bin $(STATIC_DIR)/$$bin $(MUSL_TARGET) $(DESTDIR)/cnb/lifecycle || exit 1; \
	done

clean: ## Remove build output
	$(CARGO) clean
	rm -rf dist

test-buildpacks: ## Test buildpacks the spec tests need built: the libcnb one (its own Cargo project)
	CARGO_TARGET_DIR=$(abspath $(TARGET_DIR))/libcnb-probe $(CARGO) build --locked \
	  --manifest-path testdata/buildpacks/libcnb-probe/Cargo.toml
	install -D -m 0755 $(abspath $(TARGET_DIR))/libcnb-probe/debug/libcnb-probe $(TEST_BUILDPACKS)/libcnb-probe

bench-detector: ## Detector over 20 groups x 5 buildpacks, as a ratio to a sequential shell loop
	$(MAKE) --no-print-directory install DESTDIR=$(SPEC_INSTALL)
	testdata/buildpacks/bench-detector.sh $(SPEC_INSTALL)/cnb/lifecycle

bench: bench-archive bench-creator bench-detector bench-launcher bench-rebaser bench-daemon ## Every benchmark; prints figures and ratios, never fails on them

bench-archive: ## Layer export of a generated 1 GiB dir (gzip, zstd; hashed, and pushed to a loopback registry) vs tar|gzip -1, tar|zstd -3 and umoci+skopeo
	$(CARGO) build --release --locked -p cnb-registry --example push_layer
	CNB_BENCH_PUSH_LAYER=$(abspath $(TARGET_DIR))/release/examples/push_layer \
	  $(CARGO) run --release --locked -p cnb-archive --example bench_archive

.PHONY: bench-launcher
bench-launcher: static ## Launcher start-to-exec (/cnb/process/web) vs a bare exec of the same static binary, C floors (with musl-gcc), and its size
	$(CARGO) run --release --locked -p cnb-launcher --example bench_launcher -- $(STATIC_DIR)/launcher

# the builder spec tests' libcnb buildpack (see test-buildpacks-builder)
export CNB_SPEC_LIBCNB_LAYERS_BUILDPACK := $(TEST_BUILDPACKS)/libcnb-layers
.PHONY: test-buildpacks-builder
test-buildpacks: test-buildpacks-builder

test-buildpacks-builder: ## The builder's libcnb test buildpack (its own Cargo project; shares libcnb-probe's target dir)
	CARGO_TARGET_DIR=$(abspath $(TARGET_DIR))/libcnb-probe $(CARGO) build --locked \
	  --manifest-path testdata/buildpacks/builder/libcnb-layers/Cargo.toml
	install -D -m 0755 $(abspath $(TARGET_DIR))/libcnb-probe/debug/libcnb-layers $(TEST_BUILDPACKS)/libcnb-layers

.PHONY: bench-creator
bench-creator: ## Creator gzip export of a 1.3 GB tree of real files (zlib-rs and ISA-L) and its no-op rebuilds vs umoci+skopeo, tar|pigz -1 -p 2, tar|sha256sum (root; pigz)
	$(MAKE) --no-print-directory install DESTDIR=$(SPEC_INSTALL)
	$(CARGO) test --release --locked -p spec-tests --test spec creator_bench -- --ignored --nocapture --test-threads=1

.PHONY: bench-rebaser
bench-rebaser: ## Rebaser: a fleet of 50 images in one run vs 50 single runs, and a 1 MiB vs a 1 GiB app (loopback registry)
	$(MAKE) --no-print-directory install DESTDIR=$(SPEC_INSTALL)
	$(CARGO) test --release --locked -p spec-tests --test spec rebaser::bench -- --ignored --nocapture --test-threads=1

# release artifacts (crates/cnb-package)
PACKAGE_DIR ?= dist
PACKAGE_RUN_IMAGE ?= 127.0.0.1:5000/cnb/run:busybox
# the trusted roots put into the lifecycle image (the build host's bundle; left out when absent)
PACKAGE_CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
PACKAGE_LIFECYCLE_PUBLISH ?=
PACKAGE_BUILDER_PUBLISH ?=
PACKAGE_WORK := $(abspath $(TARGET_DIR))/package
# the architectures of the tgz files and of the lifecycle image's index (x86_64 comes first:
# the builder image is an amd64 one)
PACKAGE_ARCHES ?= x86_64 aarch64
SAMPLES := testdata/buildpacks/samples
.PHONY: package
package: ## Release artifacts in $(PACKAGE_DIR): a lifecycle tgz per architecture, the lifecycle image (an index over both) and a builder image (OCI layouts); PACKAGE_RUN_IMAGE=, PACKAGE_{LIFECYCLE,BUILDER}_PUBLISH=<ref> to push
	$(foreach arch,$(PACKAGE_ARCHES),$(MAKE) --no-print-directory install DESTDIR=$(PACKAGE_WORK)/install-$(arch) TARGET_ARCH=$(arch) &&) true
	$(CARGO) build --locked -p cnb-package -p cnb-testkit --bin cnb-package --example build_base
	rm -rf $(PACKAGE_WORK)/base $(PACKAGE_DIR)/lifecycle-image $(PACKAGE_DIR)/builder
	$(TARGET_DIR)/debug/examples/build_base $(PACKAGE_WORK)/base
	$(foreach arch,$(PACKAGE_ARCHES),$(TARGET_DIR)/debug/cnb-package tgz --lifecycle $(PACKAGE_WORK)/install-$(arch) --out $(PACKAGE_DIR) &&) true
	$(TARGET_DIR)/debug/cnb-package lifecycle-image $(foreach arch,$(PACKAGE_ARCHES),--lifecycle $(PACKAGE_WORK)/install-$(arch)) \
	  $(if $(wildcard $(PACKAGE_CA_BUNDLE)),--ca-bundle $(PACKAGE_CA_BUNDLE)) \
	  --layout $(PACKAGE_DIR)/lifecycle-image $(if $(PACKAGE_LIFECYCLE_PUBLISH),--publish $(PACKAGE_LIFECYCLE_PUBLISH))
	$(TARGET_DIR)/debug/cnb-package builder --lifecycle $(PACKAGE_WORK)/install-$(firstword $(PACKAGE_ARCHES)) --base $(PACKAGE_WORK)/base \
	  $(foreach bp,$(sort $(dir $(wildcard $(SAMPLES)/*/buildpack.toml))),--buildpack $(bp)) \
	  --order $(SAMPLES)/order.toml --run-image $(PACKAGE_RUN_IMAGE) \
	  --layout $(PACKAGE_DIR)/builder $(if $(PACKAGE_BUILDER_PUBLISH),--publish $(PACKAGE_BUILDER_PUBLISH))

# fuzzing (crates/cnb-fuzz, fuzz/): a nightly toolchain and cargo-fuzz, never needed by `make test`,
# which replays every kept input on stable (cargo test -p cnb-fuzz)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
.PHONY: fuzz
fuzz: ## Every fuzz target for FUZZ_SECONDS (60) each, one after another (FUZZ_TARGETS= picks some); prints executions and crashes per target
	WORK=$(abspath $(TARGET_DIR))/fuzz fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

.PHONY: bench-daemon
bench-daemon: ## Exporter -daemon of a 1 GiB layer into a private dockerd vs docker load of the same image as a tarball, and a rebuild (needs root)
	$(MAKE) --no-print-directory install DESTDIR=$(SPEC_INSTALL)
	# What is timed is the installed static lifecycle, dockerd and the docker CLI: the test
	# harness itself need not be a release build.
	$(CARGO) test --locked -p spec-tests --test spec daemon::bench -- --ignored --nocapture --test-threads=1

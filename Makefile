# edgeproof: see README.md. Every target is incremental: binaries, the node
# rootfs and images are cached in ~/.cache/edgeproof by a hash of their inputs.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
EDGEPROOF := $(BIN)/edgeproof
ARTIFACTS ?= $(CURDIR)/_artifacts
export ARTIFACTS
# A Ginkgo label filter; `make e2e` runs everything but slow specs and the
# arm64 QEMU specs (those need their own topology: make e2e-qemu).
E2E_LABELS ?= !slow && !qemu
E2E_TIMEOUT ?= 60m
# The Ginkgo suite in e2e/. Ginkgo ends a suite after 1 h unless given
# -ginkgo.timeout, which each target sets; go test's own deadline is only a
# backstop far beyond it, because when it fires the process dies without
# deleting its cluster, while Ginkgo's timeout still runs the cleanup.
# A failed suite ends with $ARTIFACTS/failures.txt (what failed, messages
# and unmet objectives), so the last lines of a CI log say why; the trap
# keeps this shell waiting through Ctrl-C while Ginkgo cleans up.
E2E_SUITE = sh -c 'trap : INT TERM; $(GO) test -v -count=1 -tags e2e ./e2e -timeout 5h -ginkgo.v "$$@" || { rc=$$?; \
  f="$$ARTIFACTS/failures.txt"; if [ -s "$$f" ]; then printf "\n== what failed (%s) ==\n" "$$f"; cat "$$f"; fi; exit $$rc; }' e2e
# `make e2e-qemu` runs every qemu spec; `make test` only the node specs.
E2E_QEMU_LABELS ?= qemu
KUBERNETES ?= v1.34.4
# The example application's image (examples/nats-edge), built into the
# local Docker engine by its e2e specs.
EXAMPLE_IMAGE := example.local/nats-server:2.14.10
# `make certify`: the budget profile, the run's own report directory (emptied
# first, so no earlier run's dumps are certified) and an optional signing key.
CERTIFY_PROFILE ?= $(CURDIR)/scenarios/profiles/certify.yaml
CERTIFY_DIR ?= $(ARTIFACTS)/certify
CERTIFY_KEY ?=
CERTIFY_TIMEOUT ?= 170m
# SHARD=i/N runs the i-th of N parts of a suite's selected specs (certify,
# e2e-nightly, any e2e target), balanced by e2e/durations.yaml; every shard
# computes the same split. `make certify-merge SHARD_DIRS="..."` joins the
# shards' report directories and bundles the whole run.
SHARD ?=
export E2E_SHARD = $(SHARD)
SHARD_DIRS ?=
# The end of both certify recipes, after the shell variable rc holds the
# run's status: bundle $(CERTIFY_DIR) (for a failed run too), verify it,
# and exit with the run's status, or 1 if the bundle does not verify.
CERTIFY_BUNDLE = $(EDGEPROOF) certify bundle --artifacts $(CERTIFY_DIR) --out $(ARTIFACTS)/certification.tar.gz \
    --scenarios '$(CURDIR)/scenarios/catalog/*.yaml' --scenarios $(CERTIFY_PROFILE) $(if $(CERTIFY_KEY),--key $(CERTIFY_KEY)) || exit 1; \
  $(EDGEPROOF) certify verify $(ARTIFACTS)/certification.tar.gz || rc=1; exit $$rc
# A command `make e2e-test` runs while its cluster is created (make test:
# vet and the unit tests).
MEANWHILE ?=

.PHONY: e2e-existing all help example example-only user-suite user-suite-existing bench perf chaos-tests e2e-test e2e-smoke-mutants-only e2e-chaos browser build prepare node-image qemu-disk e2e-qemu-boot e2e-qemu e2e-qemu-chaos cluster cluster-delete unit vet e2e e2e-smoke e2e-smoke-mutants e2e-mutants e2e-nightly e2e-cleanup certify certify-merge test clean

all: build

## build: the CLI and the container runtime wrapper, into bin/
build:
	$(GO) build -o $(BIN)/ ./cmd/edgeproof ./cmd/edgeproof-runc

## prepare: make the host able to run kind (Docker engine, runtime wrapper, /lib/modules); prints what it changed
prepare: build
	$(EDGEPROOF) doctor --fix

## node-image: build the kind node image offline (cold 14-28 min measured, warm seconds)
node-image: prepare
	$(EDGEPROOF) node-image build --kubernetes $(KUBERNETES)

## qemu-disk: build the arm64 QEMU node disk into ~/.cache/edgeproof/qemu (root; cold ~1 h niced, warm seconds)
qemu-disk: build
	$(EDGEPROOF) doctor --fix --qemu
	$(EDGEPROOF) qemu disk build --kubernetes $(KUBERNETES)

## e2e-qemu-boot: build (or reuse) the arm64 node disk and boot one VM from it until its self-test passes; joins no cluster
e2e-qemu-boot:
	$(GO) test -v -count=1 -tags e2e ./clusters/qemu -run TestDiskBoots -timeout 3h

## cluster: create the default edge cluster (clusters/configs/edge.yaml) and keep it
cluster: node-image
	$(EDGEPROOF) cluster create --kubernetes $(KUBERNETES)

## cluster-delete: delete the cluster `make cluster` created
cluster-delete: build
	$(EDGEPROOF) cluster delete edge

## browser: install Debian's chromium for the report rendering test (skipped with a reason where it cannot be installed)
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; } || \
	  echo "chromium not installed: the report rendering test will be skipped"

## vet: go vet and gofmt on every package, e2e included, and go.mod tidy
vet:
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/... ./chaos/... ./engine/... ./fixtures/workload/... ./clusters/qemu/...
	cd examples/go-suite && $(GO) mod tidy -diff && $(GO) vet ./...
	@# Ginkgo checks the spec tree (decorators, labels) only when it builds it.
	@d=$$(mktemp -d); ARTIFACTS=$$d $(GO) test -count=1 -tags e2e ./e2e -args -ginkgo.dry-run >$$d/out 2>&1 || { cat $$d/out; rm -rf $$d; exit 1; }; rm -rf $$d
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$fmt" ]; then echo "gofmt needed: $$fmt"; exit 1; fi

## unit: unit tests (no cluster)
unit:
	$(GO) test -count=1 ./...

## e2e: the main job. Creates a cluster, runs the default e2e set (E2E_LABELS), deletes the cluster
e2e: node-image
	$(E2E_SUITE) -ginkgo.timeout=$(E2E_TIMEOUT) -ginkgo.label-filter='$(E2E_LABELS)'

## e2e-smoke: only the smoke specs
e2e-smoke: node-image
	$(E2E_SUITE) -ginkgo.timeout=$(E2E_TIMEOUT) -ginkgo.label-filter='smoke'

## e2e-smoke-mutants: the smoke specs and the two fastest mutants of the mutation suite, on their own cluster
e2e-smoke-mutants: node-image e2e-smoke-mutants-only

## e2e-mutants: the mutation suite: every planted defect (fixtures/mutants) against the scenario that must catch it, beside that scenario unmutated; passes only if every defect is caught and every baseline passes
e2e-mutants: node-image
	$(E2E_SUITE) -ginkgo.timeout=180m -ginkgo.label-filter='mutants || mutant-baseline'

## e2e-existing: the existing-cluster path on a fresh cluster, reached only through its kubeconfig with Docker denied to the run: the node agent, faults that cut a node off, dead-man heals, the control-plane switch, power loss through a fleet file's power hook (and its dead-man), a cluster without edgeproof's labels mapped by a fleet file's topology, and the default catalog scenarios (about 25 min, summed from its specs run one by one)
e2e-existing: node-image
	$(E2E_SUITE) -ginkgo.timeout=$(E2E_TIMEOUT) -ginkgo.label-filter='existing'

## e2e-nightly: every spec, slow ones and the mutation suite included, then the arm64 QEMU specs and the native faults on a VM, each on their own cluster; with SHARD=i/N only that shard's part of the kind specs
e2e-nightly: node-image
	$(E2E_SUITE) -ginkgo.timeout=300m -ginkgo.label-filter='!qemu'
	@if [ -n "$(SHARD)" ]; then echo "SHARD=$(SHARD): the arm64 QEMU parts are not sharded; run make e2e-qemu e2e-qemu-chaos as a job of their own"; \
	else $(MAKE) e2e-qemu && $(MAKE) e2e-qemu-chaos; fi

## e2e-qemu: a kind control plane and worker plus an arm64 QEMU VM joined as an edge node (clusters/configs/edge-arm64.yaml); the specs labelled qemu (E2E_QEMU_LABELS)
e2e-qemu: node-image qemu-disk
	E2E_TOPOLOGY=$(CURDIR)/clusters/configs/edge-arm64.yaml E2E_CLUSTER_NAME=edgeproof-qemu ARTIFACTS=$(ARTIFACTS)/qemu \
	  $(E2E_SUITE) -ginkgo.timeout=60m -ginkgo.label-filter='$(E2E_QEMU_LABELS)'

## e2e-qemu-chaos: every native fault injected into an arm64 QEMU VM and healed, checked from outside (chaos/native TestNativeFaults with EDGEPROOF_NODE on the VM), on a throwaway edge-arm64 cluster
e2e-qemu-chaos: node-image qemu-disk
	@set -e; name=edgeproof-qchaos; \
	  $(EDGEPROOF) cluster create --name $$name --topology $(CURDIR)/clusters/configs/edge-arm64.yaml >/dev/null; \
	  trap '$(EDGEPROOF) cluster delete '$$name EXIT; \
	  EDGEPROOF_CLUSTER=$$name EDGEPROOF_NODE=$$name-arm64-1 $(GO) test -v -count=1 -tags e2e ./chaos/native -run TestNativeFaults -timeout 60m

## certify: every catalog scenario judged by the certification profile's stricter budgets, then a bundle (reports, scenario files, profile, fingerprint, sha256 manifest; signed with CERTIFY_KEY) in $(ARTIFACTS)/certification.tar.gz, written for a failed run too; verifies it and prints the verdict; fails unless every scenario passed or was skipped
certify: node-image
	rm -rf $(CERTIFY_DIR)
	@rc=0; E2E_PROFILE=$(CERTIFY_PROFILE) ARTIFACTS=$(CERTIFY_DIR) \
	  $(E2E_SUITE) -ginkgo.timeout=$(CERTIFY_TIMEOUT) -ginkgo.focus='Catalog scenario' || rc=$$?; \
	  if [ -n "$(SHARD)" ]; then echo "shard $(SHARD) reports in $(CERTIFY_DIR); bundle every shard with make certify-merge SHARD_DIRS=..."; exit $$rc; fi; \
	  $(CERTIFY_BUNDLE)

## certify-merge: join the report directories of every shard of a sharded certify run (SHARD_DIRS) into $(CERTIFY_DIR), bundle and verify it; fails if a shard is missing or given twice
certify-merge: build
	@test -n "$(SHARD_DIRS)" || { echo "certify-merge needs SHARD_DIRS, the report directories of every shard"; exit 2; }
	rm -rf $(CERTIFY_DIR) $(ARTIFACTS)/certification.tar.gz
	$(EDGEPROOF) report merge --out $(CERTIFY_DIR) $(SHARD_DIRS)
	@rc=0; $(CERTIFY_BUNDLE)

## e2e-cleanup: prove that interrupted and failing runs leave no cluster, network or kubeconfig behind
e2e-cleanup: node-image
	$(GO) test -count=1 -tags e2e ./e2e/cleanup -timeout 30m -v

## e2e-chaos: on a throwaway cluster (packages one at a time: they share its nodes): inject and heal every native fault (checked from outside), Chaos Mesh CRs against the real CRDs, Ctrl-C of `edgeproof run` during a fault, the IoT workload delivering
e2e-chaos: node-image
	EDGEPROOF=$(EDGEPROOF) scripts/with-cluster.sh edgeproof-chaos -- $(MAKE) --no-print-directory chaos-tests

# chaos-tests: the tests of e2e-chaos on the cluster $EDGEPROOF_CLUSTER names.
chaos-tests:
	@test -n "$$EDGEPROOF_CLUSTER" || { echo "chaos-tests needs EDGEPROOF_CLUSTER (use make e2e-chaos)"; exit 2; }
	$(GO) test -p 1 -v -count=1 -tags e2e ./chaos/... ./engine/... ./fixtures/workload/... -timeout 40m

## e2e-test: the cluster part of make test on one shared cluster: the smoke specs, the two fastest mutants, the example application's known-bad power-loss variant, the existing-cluster path (kubeconfig only, no Docker) and the user's own suite (examples/go-suite) running its pod-loss scenario on that cluster reached only through its kubeconfig (make example runs it on kind), then the chaos tests
e2e-test: node-image
	EDGEPROOF=$(EDGEPROOF) MEANWHILE='$(MEANWHILE)' scripts/with-cluster.sh edgeproof-test -- $(MAKE) --no-print-directory e2e-smoke-mutants-only user-suite-existing chaos-tests

e2e-smoke-mutants-only:
	$(E2E_SUITE) -ginkgo.timeout=$(E2E_TIMEOUT) -ginkgo.label-filter='smoke || mutants-fast || example-fast || (existing && !existing-long)'

## example: the example application (examples/nats-edge) on a fresh cluster: a NATS server chart built from the Go module proxy, its pod-loss, power-loss, rolling-update and devices scenarios (delivery counted on NATS itself through spec.observe) and their known-bad variants, then the user's own Go suite (examples/go-suite)
example: node-image
	EDGEPROOF=$(EDGEPROOF) scripts/with-cluster.sh edgeproof-example -- $(MAKE) --no-print-directory example-only user-suite

example-only:
	$(E2E_SUITE) -ginkgo.timeout=$(E2E_TIMEOUT) -ginkgo.label-filter='example'

## user-suite: a user's own Ginkgo suite in its own module (examples/go-suite, importing edgeproof's public packages) on the cluster EDGEPROOF_CLUSTER names; needs the example's image in the local Docker engine (make example builds it)
user-suite:
	@test -n "$$EDGEPROOF_CLUSTER" || { echo "user-suite needs EDGEPROOF_CLUSTER (use make example)"; exit 2; }
	cd examples/go-suite && $(GO) test -count=1 -v ./... -timeout 20m

## user-suite-existing: the same suite reaching the cluster EDGEPROOF_CLUSTER names only through its kubeconfig (E2E_KUBECONFIG), node faults through the node agent; first imports the agent's and the example's images into the nodes, as the cluster's admin would
user-suite-existing:
	@test -n "$$EDGEPROOF_CLUSTER" || { echo "user-suite-existing needs EDGEPROOF_CLUSTER (the cluster to hand over)"; exit 2; }
	EDGEPROOF=$(EDGEPROOF) scripts/hand-over.sh "$$EDGEPROOF_CLUSTER" $(EXAMPLE_IMAGE)
	cd examples/go-suite && E2E_KUBECONFIG="$$($(EDGEPROOF) cluster kubeconfig $$EDGEPROOF_CLUSTER)" \
	  E2E_AGENT_IMAGE="$$($(EDGEPROOF) image agent --ref)" EDGEPROOF_CLUSTER= $(GO) test -count=1 -v ./... -timeout 20m

## perf: measure what docs/performance.md quotes (unit tests, cluster create and delete, the loopback benchmark) on this host, as a Markdown table; creates and deletes one cluster
perf: node-image
	EDGEPROOF=$(EDGEPROOF) GO=$(GO) scripts/perf.sh

## bench: fixture pipeline on loopback at a few sizes, one JSON line each (devices, msgs_per_s, cpu_cores_used, rss_mb, loss, duplicates, p50_ms, p99_ms)
bench: build
	$(EDGEPROOF) bench devices --devices 1000 --rate 1 --duration 20s
	$(EDGEPROOF) bench devices --devices 10000 --rate 1 --duration 30s
	$(EDGEPROOF) bench devices --mode broker-sink --devices 100 --rate 500 --duration 20s

## test: everything CI runs: vet, unit tests, the smoke e2e with the two fastest mutants, the chaos and cleanup tests. The arm64 QEMU specs are in e2e-nightly (make e2e-qemu): their disk takes about an hour to build cold, which a fresh CI machine cannot fit beside the node image
test: prepare browser node-image
	$(MAKE) --no-print-directory e2e-test SHARD= MEANWHILE='$(MAKE) --no-print-directory vet unit'
	$(MAKE) --no-print-directory e2e-cleanup SHARD=

## clean: remove local outputs (the cache in ~/.cache/edgeproof stays)
clean:
	rm -rf $(BIN) $(ARTIFACTS)

## help: list the targets with what each does (from the ## lines of this Makefile)
help:
	@echo 'Usage: make [TARGET] [VARIABLE=value]...  (default target: all, which is build; see docs/reference.md)'
	@awk '/^## [A-Za-z0-9_.-]+:/ { \
	    name = $$2; sub(/:$$/, "", name); text = $$0; sub(/^## [^:]*: */, "", text); \
	    line = sprintf("  %-18s", name); n = split(text, words, " "); \
	    for (i = 1; i <= n; i++) { \
	      if (length(line) + 1 + length(words[i]) > 100 && length(line) > 21) { print line; line = sprintf("  %-18s", "") } \
	      line = line " " words[i] \
	    } \
	    print line }' $(MAKEFILE_LIST)

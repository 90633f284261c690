# teecast: the two commands users need are `make demo` (the main job) and `make test`.
SHELL := /bin/bash
NODES ?= 4
COUNT ?= 200

.PHONY: install node-libs test-tools typecheck check-imports test test-containers demo bench-chain bench tee-faults sim sim-fring clean fuzz-eth68 fuzz-tee adversary-campaign
SCENARIO ?= bench/scenarios/standard.yaml

node_modules/.installed: package.json package-lock.json $(wildcard patches/*.patch)
	npm ci --no-audit --no-fund
	@touch $@

# Debian packages when missing, as root (otherwise it says what is missing and goes on): $(1) the packages, $(2) what
# happens without them.
define apt_install_missing
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else echo "apt packages missing: $$missing ($(2))"; fi; \
	fi
endef

# libjemalloc2: the malloc a testnet's node processes run with, which gives freed memory back (src/node/allocator.ts).
NODE_APT_PACKAGES ?= libjemalloc2
node-libs:
	$(call apt_install_missing,$(NODE_APT_PACKAGES),nodes run on glibc's malloc and say so)

install: node_modules/.installed node-libs

# Debian packages the tests drive (make demo needs none of them): promtool (prometheus) checks /metrics and
# prometheus.yml; chromium renders the bench report; iproute2 and nftables for `testnet up --netns`; podman, runc
# and debootstrap build and run the container image. Installed when missing (as root); otherwise the tests that
# need them say what is missing and skip.
TEST_APT_PACKAGES ?= prometheus chromium iproute2 nftables podman runc debootstrap
test-tools:
	$(call apt_install_missing,$(TEST_APT_PACKAGES),the tests that need them will skip)

typecheck: install
	npx tsc --noEmit

# The import arrows of DESIGN.md (.dependency-cruiser.cjs): a wrong-way import fails it.
check-imports: install
	npm run --silent check-imports

test: typecheck check-imports test-tools
	npm test

# Builds the container image here (podman + runc, from a debootstrap rootfs) and runs a 4-node testnet in it:
# about 10 minutes the first time, so not part of `make test` (which checks the Containerfile's structure).
test-containers: install test-tools
	TEECAST_CONTAINER_TEST=1 node --import tsx --test test/containers/image.test.ts

# Main job: for each mode (stock, then tee), launch a local testnet on the same seed and topology, send the same
# workload, print the per-node table, stop the testnet.
DEMO_MODES ?= stock tee
demo: install
	@for mode in $(DEMO_MODES); do \
	  echo "== $$mode"; \
	  npx teecast testnet down --dir .testnet --wipe --quiet || true; \
	  npx teecast testnet up --nodes $(NODES) --signers 2 --dir .testnet --propagation $$mode --tee-epoch 10 --quiet || exit 1; \
	  npx teecast testnet send --dir .testnet --count $(COUNT) --rate 50 || { npx teecast testnet down --dir .testnet; exit 1; }; \
	  npx teecast testnet down --dir .testnet --wipe --quiet; \
	done

# 1M seeded fast-check inputs per eth/68 message code through the client's decoders (RUNS=, SEED= to change).
fuzz-eth68: install
	node --import tsx bench/fuzz/eth68.ts $(or $(RUNS),1000000) $(or $(SEED),68)

# 1M seeded fast-check inputs per tee/1 decoder (codec, plan/report bodies, deltas, compact blocks; RUNS=, SEED=).
fuzz-tee: install
	node --import tsx bench/fuzz/tee.ts $(or $(RUNS),1000000) $(or $(SEED),1)

# The live campaign: devp2p, tee/1 and JSON-RPC attacks against one real node, round after round for MINUTES
# (default 10), figures per attack and for the whole run (ATTACKS= names, default all; PROPAGATION=stock|tee).
adversary-campaign: install
	node --import tsx bench/adversary/campaign.ts --minutes $(or $(MINUTES),10) --propagation $(or $(PROPAGATION),tee) $(ATTACKS)

# Chain-side throughput in one process, pinned to one core when taskset exists. ARGS=--baseline adds the ratios.
bench-chain: install
	$$(command -v taskset >/dev/null && echo taskset -c 0) node --import tsx bench/chain/bench-chain.ts $(ARGS)

# The standard comparison of every available mode; results/<time>-<name>/ holds summary.json, nodes.csv, report.html.
bench: install
	npx teecast bench run --scenario $(SCENARIO)

# tee under faults: a 16-node tee testnet, SIGKILL to 2 interior relays mid-workload; fails if an accepted tx is lost.
tee-faults: install
	node --import tsx bench/tee/faults.ts $(ARGS)

# The simulator at scale: tee against stock on 500 nodes, 30 % crashed at once.
sim: install
	npx teecast sim --nodes 500 --degree 8 --crash 0.3 $(ARGS)

# FRing's table on the simulator (docs/simulator.md): 2,000 and 8,000 nodes (FRING_NODES=200,500 for a quick run),
# flood, stock, geth and tee, 0/30/50/60 % failed; results/sim-fring/fring.{json,md,html}.
sim-fring: install
	nice -n 10 npx teecast sim --preset fring $(if $(FRING_NODES),--nodes $(FRING_NODES)) $(ARGS)

clean:
	rm -rf node_modules .testnet results

# elastic-ci — the two commands a new user runs: `make test` and `make demo`.
# Every install step lives here (or in scripts/ called from here) so a clean clone on a fresh machine works.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test
MAKEFLAGS += --no-print-directory

VENV ?= .venv
# Packages tested at once: each vitest run already uses every core, so more only adds contention.
TEST_CONCURRENCY ?= 3
PNPM_VERSION := 10
REQUIREMENTS := requirements-dev.txt
# Tools built once per machine, outside the repo (scripts/install-packer.sh), so every clone reuses them.
PACKER := $(or $(ELASTIC_CI_TOOLS),$(HOME)/.cache/elastic-ci/tools)/bin/packer

.PHONY: test demo sim deps node-deps python-deps system-deps tools-deps ami build lint typecheck unit bench check-packages clean help
.PHONY: synth deploy diff destroy

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

test: deps ## install everything, then lint, typecheck, build and run every test
	pnpm run lint
	@mkdir -p .turbo
	pnpm exec turbo run build typecheck test --concurrency=$(TEST_CONCURRENCY) 2>&1 | tee .turbo/test-run.log
	scripts/check-packages.sh
	shellcheck .ci/run scripts/*.sh scripts/test/*.bash packer/linux/scripts/*.sh packer/scripts/*.sh packer/linux/conf/bin/*.sh packer/linux/conf/buildkite-agent/hooks/environment packer/linux/conf/buildkite-agent/hooks/pre-command packer/linux/conf/buildkite-agent/hooks/pre-exit
	$(PACKER) fmt -check -recursive packer/
	$(PACKER) validate -syntax-only packer/linux/
	bats --tap scripts/test packer/test packer/linux/conf/buildkite-agent/hooks/test | tee -a .turbo/test-run.log
	@node scripts/summarize-tests.mjs .turbo/test-run.log

# DEMO_ARGS: elastic-ci-sandbox demo options, e.g. DEMO_ARGS='--policy buildkite-default --duration 2h --speed 90'.
# demo and sim need neither packer nor the real buildkite-agent (tools-deps builds them from source: minutes on a fresh machine).
demo: system-deps node-deps python-deps ## the real control plane on this machine: a trace replayed into moto + a Buildkite stand-in, measured beside the simulator's prediction (≤ 3 min)
	@scripts/demo.sh $(DEMO_ARGS)

sim: node-deps ## the scaling simulator (elastic-ci-sim) alone: elastic-ci vs buildkite-default on its bundled trace, chart; SIM_ARGS="--policy … TRACE.jsonl" to choose
	@scripts/sim.sh $(SIM_ARGS)

deps: system-deps node-deps python-deps tools-deps

system-deps: ## Debian packages the tests drive for real (shellcheck, bats, ssh-agent, ...)
	@scripts/install-system-deps.sh

node-deps: ## pnpm (if missing) and node_modules exactly as the lockfile says
	@command -v pnpm >/dev/null || npm install --global --no-fund --no-audit pnpm@$(PNPM_VERSION)
	pnpm install --frozen-lockfile --prefer-offline

# The venv is built once per machine and pinned requirements (outside the repo, like packer) and .venv links to it,
# so a second `make test` and a fresh clone's `make demo` skip pip entirely.
python-deps: ## .venv with moto[server] and cfn-lint, pinned
	@VENV=$(VENV) REQUIREMENTS=$(REQUIREMENTS) scripts/install-python-deps.sh

tools-deps: ## packer and the pinned buildkite-agent (sandbox real-agent test), built from the Go module proxy once per machine (needs Go)
	@scripts/install-packer.sh >/dev/null
	@scripts/install-buildkite-agent.sh >/dev/null

# PACKER_ARGS: extra packer arguments, e.g. PACKER_ARGS='-only=elastic-ci-agent.amazon-ebs.arm64 -var region=us-east-1'.
ami: tools-deps node-deps ## build the agent AMIs (x86_64 and arm64; needs AWS credentials); see packer/README.md
	@packer/scripts/build-ami.sh

build: node-deps ## build every package
	pnpm exec turbo run build

check-packages: build ## pack every public package; publint, attw, LICENSE and repository checks
	scripts/check-packages.sh

lint: node-deps ## biome lint + format check (focused/skipped tests are errors)
	pnpm run lint

typecheck: node-deps ## tsc --noEmit in every package
	pnpm exec turbo run typecheck

unit: node-deps ## unit tests only (no emulator needed)
	pnpm exec turbo run test:unit

bench: deps ## every package's benchmarks; results go to BENCHMARKS.md by hand with the command shown
	pnpm run bench

# The CDK app (apps/infra): one stack per config file, each in its own cloud assembly, so several deploy side by side.
# CONFIG is a typed config (JSON/YAML) or a Buildkite parameter file; without it, the documented defaults.
CONFIG ?=
CDK_ARGS ?=
INFRA_APP := apps/infra/dist/bin/app.js
CDK := pnpm --filter @elastic-ci/infra exec cdk
# `make synth`'s last line is the template path; the assembly is its directory (a failed synth stops the recipe).
INFRA_SYNTH = template=$$($(MAKE) -s synth CONFIG="$(CONFIG)" | tail -n 1); assembly=$$(dirname "$$template")

synth: ## template + assets under apps/infra/dist/cdk.out/<stack>/ (CONFIG=file); prints the template path last
	@test -d node_modules || { echo "synth: no node_modules; run make deps first" >&2; exit 1; }
	@pnpm exec turbo run build --filter=@elastic-ci/infra^... --output-logs=errors-only >&2
	@pnpm --filter @elastic-ci/infra run --silent build:app >&2
	@node $(INFRA_APP) $(if $(CONFIG),"$(abspath $(CONFIG))")

# The launcher runs the CDK CLI in its own process and hands it BUILDKITE_AGENT_TOKEN there: as a --parameters
# argument on a command line, every user of the machine could read the token (ps).
deploy: ## synth, then cdk deploy (CONFIG=file; BUILDKITE_AGENT_TOKEN fills a BuildkiteAgentToken parameter, never on a command line)
	@$(INFRA_SYNTH); \
	pnpm --filter @elastic-ci/infra exec node dist/bin/cdk-deploy.js deploy --app "$$assembly" --all $(CDK_ARGS)

diff: ## synth, then cdk diff against the deployed stack (CONFIG=file)
	@$(INFRA_SYNTH); $(CDK) diff --app "$$assembly" --all $(CDK_ARGS)

destroy: ## cdk destroy the stack CONFIG describes (CONFIG=file; CDK_ARGS=--force skips the prompt)
	@$(INFRA_SYNTH); $(CDK) destroy --app "$$assembly" --all $(CDK_ARGS)

clean: ## remove build output, caches and the venv
	rm -rf $(VENV) node_modules packages/*/node_modules apps/*/node_modules packages/*/dist apps/*/dist .turbo packages/*/.turbo apps/*/.turbo

# kinesis2s3 — Kinesis Data Streams → Lambda (Go) → S3.
# `make run` shows the pipeline working locally; `make test` proves it (see README.md).

SHELL        := /bin/bash
.SHELLFLAGS  := -euo pipefail -c
GO           ?= go
BIN          := $(CURDIR)/.bin
BUILD        := $(CURDIR)/build
TOFU         := $(BIN)/tofu
TFLINT       := $(BIN)/tflint
RIE          := $(BIN)/aws-lambda-rie
EMULATORS    := $(CURDIR)/tools/emulators
# Terraform or OpenTofu for deploy/destroy: whichever is on PATH, override with TF=...
TF           ?= $(shell command -v terraform 2>/dev/null || command -v tofu 2>/dev/null || echo $(TOFU))
# What the recipes run, from terraform/: TF=tofu is the tofu on PATH, else the pinned build (make tools, which deploy
# then runs first); a relative path is taken from here.
TF_BIN        = $(if $(findstring /,$(TF)),$(abspath $(TF)),$(if $(filter tofu,$(TF)),$(or $(shell command -v tofu 2>/dev/null),$(TOFU)),$(TF)))
GOFILES       = $(shell git ls-files --cached --others --exclude-standard '*.go' | grep -v '^tools/')

export KINESIS2S3_TOFU      := $(TOFU)
export KINESIS2S3_RIE       := $(RIE)
export KINESIS2S3_BOOTSTRAP := $(BUILD)/local/bootstrap
export KINESIS2S3_EMULATORS := $(EMULATORS)

.PHONY: all build build-local tools emulators zstd fmt lint unit test-arm64 integration tf-check tf-docs tf-mutants test bench chaos run deploy destroy clean

all: build

## build: arm64 Lambda artefact build/function.zip (bootstrap at the zip root, reproducible).
build:
	mkdir -p $(BUILD)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w -buildid=' \
		-o $(BUILD)/bootstrap ./function/cmd/bootstrap
	$(GO) run ./scripts/mkzip -o $(BUILD)/function.zip $(BUILD)/bootstrap
	@sha256sum $(BUILD)/function.zip

## build-local: the same bootstrap for this machine, run under the Lambda RIE by make run / make test.
build-local:
	mkdir -p $(BUILD)/local
	CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -o $(BUILD)/local/bootstrap ./function/cmd/bootstrap

## tools: OpenTofu and the Lambda RIE, pinned in tools/go.mod; tflint, pinned in tools/tflint/go.mod (a module of its
## own: its dependencies would otherwise move OpenTofu's). make run and make chaos need only the RIE, whose rule
## builds OpenTofu with it (one go build of tools/).
tools: $(TOFU) $(RIE) $(TFLINT)
$(TOFU) $(RIE): tools/go.mod tools/go.sum
	mkdir -p $(BIN)
	cd tools && $(GO) build -o $(BIN)/ tool
	touch $(TOFU) $(RIE)
$(TFLINT): tools/tflint/go.mod tools/tflint/go.sum
	mkdir -p $(BIN)
	cd tools/tflint && $(GO) build -o $(BIN)/ tool
	touch $(TFLINT)

## emulators: kinesalite, kinesis-mock, fauxqs and Node 22 from tools/emulators/package-lock.json.
emulators: $(EMULATORS)/node_modules/.installed
$(EMULATORS)/node_modules/.installed: $(EMULATORS)/package-lock.json
	cd $(EMULATORS) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

fmt: $(TOFU)
	gofmt -w $(GOFILES)
	$(TOFU) fmt -recursive terraform

## lint: go vet and gofmt, here and for macOS (arm64, x86-64), where every binary must also build.
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	for arch in arm64 amd64; do \
		GOOS=darwin GOARCH=$$arch $(GO) vet ./... && \
		GOOS=darwin GOARCH=$$arch $(GO) build -o /dev/null ./function/cmd/bootstrap ./cmd/pipelinectl ./local/cmd/kinesis2s3-local ./local/cmd/kinesis2s3-chaos ./scripts/mkzip || exit 1; \
	done

## unit: the pure tests: -short means no processes and no network, everywhere. Well under a minute.
unit:
	$(GO) test -short -count=1 ./...

## test-arm64: the function's pure tests (-short) built for arm64, the architecture it runs on in Lambda, under
## qemu-aarch64 (from apt where there is one): the base64 assembly and everything unsafe are checked there too.
## Where qemu cannot be had, it says so and skips.
test-arm64:
	@command -v qemu-aarch64 >/dev/null || { command -v apt-get >/dev/null && apt-get update -qq && apt-get install -y -qq qemu-user >/dev/null; } \
		|| { echo "test-arm64: SKIPPED, no qemu-aarch64 (apt-get install qemu-user)"; exit 0; }; \
	if command -v qemu-aarch64 >/dev/null; then GOARCH=arm64 $(GO) test -count=1 -short -exec qemu-aarch64 ./function/...; \
	else echo "test-arm64: SKIPPED, no qemu-aarch64 (apt-get install qemu-user)"; fi

## integration: every test, those that start the emulators, the function under the Lambda RIE or OpenTofu included.
integration: tools emulators build build-local
	$(GO) test -count=1 -timeout 25m ./...

## tf-check: fmt, the generated README tables, tflint, validate and test (mock provider), with tofu and terraform.
tf-check: $(TOFU) $(TFLINT)
	TOFU=$(TOFU) TFLINT=$(TFLINT) GO=$(GO) scripts/tf-check.sh

## tf-mutants: each mutation in scripts/tf-mutants.sh must make a terraform/tests run fail (NAMES="a b" for some).
tf-mutants: $(TOFU)
	TOFU=$(TOFU) scripts/tf-mutants.sh $(NAMES)

## tf-docs: rewrite the Inputs/Outputs tables of terraform/**/README.md from the code.
tf-docs:
	$(GO) run ./scripts/tfdocs terraform

## test: everything CI runs. Integration tests start their own emulators and RIE processes.
test: lint unit test-arm64 tf-check tf-mutants integration

## bench: whole invocations from the event's bytes (issue 9) on one core: the entry point in each mode, the core and
## the entry point against plain zstd (Limit), the cold start and the bootstrap under the RIE beside `zstd -b1 -T1`,
## in one go test run of BENCH_COUNT rounds summarised by benchstat (median and spread; raw figures in
## build/bench.txt); then the packages' own benchmarks (they rewrite the README's Analytics table), record mode end
## to end, PutRecords into the local stream, and the local pipeline's latency at 1,000 records/s (1 s and 5 s
## windows) and the rate it drains in each mode, with the CPU of each component (full log: build/bench-e2e.log).
BENCH_COUNT ?= 6
BENCHSTAT   := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
bench: build-local tools emulators zstd
	$(GO) test -run '^$$' -bench 'Invocation|Limit|ColdStart|RIE|S3Put' -benchmem -cpu 1 -count $(BENCH_COUNT) -timeout 30m ./test/ | tee $(BUILD)/bench.txt
	$(GO) run $(BENCHSTAT) $(BUILD)/bench.txt
	GOMAXPROCS=1 README=$(CURDIR)/README.md $(GO) test -run '^$$' -bench . -benchmem ./function/...
	$(GO) test -run '^$$' -bench RecordModeThroughput -benchtime 3x ./test/
	$(GO) test -run '^$$' -bench GenerateLocalKinesis -benchtime 40000x ./cmd/pipelinectl/
	E2E_MEASURE=1 $(GO) test -count=1 -v -timeout 30m -run 'E2EMeasure/local' ./test/ > $(BUILD)/bench-e2e.log 2>&1 || \
		{ tail -50 $(BUILD)/bench-e2e.log; exit 1; }
	grep -E 'machine:|LATENCY|DRAIN' $(BUILD)/bench-e2e.log

## chaos: 100,000 records per mode (record, batch-zstd, batch-parquet) through the local pipeline while S3 fails, runtimes crash
## and time out and ranges go to the DLQ; then pipelinectl redrive and the ledger's verdict. ~10 min on 2 cores.
## ARGS="--records 10000 --modes batch-zstd" etc. (ARGS=-h lists them). Exit status 1 on any loss.
chaos: build-local $(RIE) emulators
	$(GO) build -o $(BUILD)/pipelinectl ./cmd/pipelinectl
	$(GO) build -o $(BUILD)/kinesis2s3-chaos ./local/cmd/kinesis2s3-chaos
	$(BUILD)/kinesis2s3-chaos --pipelinectl $(BUILD)/pipelinectl $(ARGS)

## zstd: the zstd command that make bench compares with; from apt where there is one (never needed by make test).
zstd:
	@command -v zstd >/dev/null || { command -v apt-get >/dev/null && apt-get update -qq && apt-get install -y -qq zstd; } \
		|| { echo "make bench needs the zstd command: install it (apt-get install zstd, brew install zstd)"; exit 1; }
	@zstd --version

## run: the whole pipeline locally (DEMO=1 exits after a bounded demo; ARGS="--mode batch --compression zstd" etc.).
# Built rather than go run: go run exits 1 when Ctrl-C stops the program, which make would report as an error.
run: build-local $(RIE) emulators
	$(GO) build -o $(BUILD)/kinesis2s3-local ./local/cmd/kinesis2s3-local
	$(BUILD)/kinesis2s3-local $(if $(DEMO),--demo,) $(ARGS)

## deploy / destroy: plan and apply terraform/ with $(TF) (terraform or tofu); see terraform/README.md.
# The saved plan goes to build/ (git-ignored): it can hold values of the configuration in clear text.
deploy: build $(filter $(TOFU),$(TF_BIN))
	cd terraform && $(TF_BIN) init && $(TF_BIN) plan -out=$(BUILD)/tfplan && $(TF_BIN) apply $(BUILD)/tfplan

destroy: $(filter $(TOFU),$(TF_BIN))
	cd terraform && $(TF_BIN) init && $(TF_BIN) destroy

clean:
	rm -rf $(BUILD)

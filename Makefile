# Thin wrapper around CMake. `make run` and `make check` are the two
# commands a new machine needs; everything else is a step of those.
JOBS      ?= 2
BUILD     ?= build
ASAN      ?= build-asan
FUZZ      ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= http ws jwt store
LISTEN    ?= 127.0.0.1:8080
DB        ?= sqlite:./data/droponair.db
CMAKE_OPT ?=
NODE_TEST ?= --test-concurrency=2 --test-timeout=120000

.PHONY: all deps build build-asan run cluster check android deb e2e-busy bench bench-idle soak fuzz clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_OPT) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DDPA_SANITIZE=ON $(CMAKE_OPT) >/dev/null
	@cmake --build $(ASAN) -j$(JOBS)

run: build
	@mkdir -p data
	./$(BUILD)/droponaird serve --dev --listen $(LISTEN) --db $(DB)

# Redis and three droponaird processes on loopback sharing one store, until
# Ctrl-C (scripts/cluster.sh; docs/cluster.md).
cluster: build
	@scripts/deps.sh --tests
	BIN=$(BUILD)/droponaird scripts/cluster.sh

# Unit tests under both builds, then the integration scenarios and SDK tests
# against the sanitizer build (leaks and UB fail the server's exit status)
# and the optimised build, the WebSocket suites again on a three-process
# cluster (scripts/cluster-suite.sh, sanitizer build), the Debian package
# (built, lintian-clean, unpacked and serving /healthz: scripts/deb-check.sh), the Android SDK's
# JUnit suite against the
# optimised build, then the Chromium end-to-end suite against the
# optimised build three times in a row with one core kept busy (e2e-busy).
check: build build-asan
	@scripts/deps.sh --tests
	ctest --test-dir $(ASAN) --output-on-failure -j$(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	DROPONAIRD=$(CURDIR)/$(ASAN)/droponaird node --test $(NODE_TEST) tests/integration/ tests/sdk-js/ tests/sdk-c/
	DROPONAIRD=$(CURDIR)/$(BUILD)/droponaird node --test $(NODE_TEST) tests/integration/ tests/sdk-js/ tests/sdk-c/
	DROPONAIRD=$(CURDIR)/$(ASAN)/droponaird scripts/cluster-suite.sh
	scripts/deb-check.sh
	$(MAKE) -C sdk/android check DROPONAIRD=$(CURDIR)/$(BUILD)/droponaird
	DROPONAIRD=$(CURDIR)/$(BUILD)/droponaird scripts/e2e-busy.sh

# The Debian package of the server (scripts/deb.sh): build/deb/droponair_<version>_<arch>.deb.
deb: build
	@scripts/deps.sh --tests
	@scripts/deb.sh

# The Android SDK's jar, sdk/android/build/droponair-android-0.14.0.jar, with
# the JDK and Debian's OkHttp/Okio/org.json jars (no Gradle, no network).
android:
	@scripts/deps.sh --android
	@$(MAKE) -C sdk/android jar

# The browser suite alone: E2E_RUNS (3) runs with a CPU hog on one core.
e2e-busy: build
	@scripts/deps.sh --tests
	DROPONAIRD=$(CURDIR)/$(BUILD)/droponaird scripts/e2e-busy.sh

# Benchmarks: loopback only, bounded, prints a table and writes bench/results/.
bench: build
	@scripts/deps.sh --bench
	python3 bench/run.py

# Soak: SOAK_SECONDS (600) of mixed churn against the optimised build (SOAK_BUILD=build-asan
# for the sanitizers; RSS then includes their quarantine), RSS and
# descriptors sampled every 10 s; fails on growth, a crash, a leak or errors.
SOAK_BUILD ?= $(BUILD)
soak: build
	@scripts/deps.sh --tests
	DROPONAIRD=$(CURDIR)/$(SOAK_BUILD)/droponaird node tests/soak/soak.mjs

# REST latency with 19,000 idle authenticated WebSockets (BENCH_IDLE_N, BENCH_IDLE_HOLD).
bench-idle: build
	@scripts/deps.sh --bench
	BUILD=$(CURDIR)/$(BUILD) python3 bench/idle_latency.py

# libFuzzer targets (clang, ASan + UBSan), each fuzzed for FUZZ_SECONDS;
# crashes land in $(FUZZ)/fuzz-crashes/<target>/ and fail the run.
# make check replays the committed corpora (ctest label fuzz).
fuzz:
	@scripts/deps.sh --fuzz
	@cmake -S . -B $(FUZZ) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DDPA_FUZZ=ON $(CMAKE_OPT) >/dev/null
	@cmake --build $(FUZZ) -j$(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)

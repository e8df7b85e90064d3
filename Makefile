# Thin wrapper over Meson/Ninja. See README.md.
#   make        release build in build/
#   make run    install deps, build, serve on 127.0.0.1:8080 with ./data
#   make test   install deps, build (ASan+UBSan), run every suite
#   make bench  run the benchmarks and print their tables
#   make fuzz   run the libFuzzer targets longer (FUZZ_SECONDS, default 60)

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
DATA       ?= ./data
LISTEN     ?= 127.0.0.1:8080
PY         := /usr/bin/python3

.PHONY: all deps run test unit integration e2e fuzz fuzz-short bench clean style

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release -Db_ndebug=true

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) --buildtype=debug -Dfuzz=true

deps:
	@scripts/install-deps

run: deps all
	$(BUILD)/jinmyaku serve --data $(DATA) --listen $(LISTEN)

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

test: deps asan all
	@scripts/run-tests

unit: asan
	meson test -C $(ASAN_BUILD) --print-errorlogs

fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-fuzz $(FUZZ_BUILD)

bench: deps all
	bench/site/run
	bench/import/run
	bench/send/run
	bench/people/run
	bench/forms/run

style:
	scripts/check-style

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

# kho: one non-recursive GNU Makefile.
#
#   make                 build bin/kho and the test programs
#   make test            unit, integration and fuzz-corpus replay tests
#   make bench           benchmarks (ratios against bounds measured in the same run)
#   make fuzz            libFuzzer harnesses (clang-14), FUZZ_SECONDS each
#   make run             the daemon with a demo configuration
#   make clean
#
# Switches: DEVELOPER=1 turns warnings into errors; SANITIZE=address,undefined
# builds with those sanitizers; BUILD=dir puts every output under dir; V=1
# prints every command.

BUILD    ?= build
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif
CC       ?= gcc
PKGS     := openssl libxml-2.0 libarchive sqlite3 zlib libmicrohttpd jansson libqrencode icu-uc
FUZZ_SECONDS ?= 60

ifeq ($(origin CC),default)
CC := gcc
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wformat=2 \
        -Wno-unused-parameter
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif

# pkg-config is asked when a recipe first needs its answer, not when this file
# is read: on a fresh machine the packages are installed by deps-check (below)
# after the Makefile was read. Each is asked once per make.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null))$(PKG_LIBS)

CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I. -I$(BUILD)/gen $(PKG_CFLAGS)
LDLIBS   = $(PKG_LIBS) -lpthread -lm

ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=$(SANITIZE)
endif

# Library code: every .c of the library folders, plus generated sources
# (schemas embedded in the binary).
LIB_DIRS := common archive sign verify retention
LIB_SRCS := $(sort $(wildcard $(addsuffix /*.c,$(LIB_DIRS))))
SCHEMAS  := $(sort $(wildcard archive/*.xsd retention/*.xsd verify/*.xsd))
GEN_SRCS := $(patsubst %.xsd,$(BUILD)/gen/%_xsd.c,$(SCHEMAS))
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS)) $(GEN_SRCS:.c=.o)
LIB      := $(BUILD)/libkho.a

TOOL_SRCS := $(sort $(wildcard tools/*.c))
TOOL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TOOL_SRCS))
KHO       := bin/kho
ifneq ($(BUILD),build)
KHO       := $(BUILD)/bin/kho
endif

UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(patsubst %.c,$(BUILD)/%,$(HELPER_SRCS))
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BINS := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/fuzz/replay_%,$(FUZZ_SRCS))
FUZZ_BINS  := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz/fuzz_%,$(FUZZ_SRCS))
BENCH_SRCS := $(sort $(wildcard tests/bench/*.c))
BENCH_BINS := $(patsubst %.c,$(BUILD)/%,$(BENCH_SRCS))

.PHONY: all test test-quick bench fuzz run clean deps
.DELETE_ON_ERROR:
.SECONDARY:

all: deps-check $(KHO) $(UNIT_BINS) $(HELPER_BINS) $(REPLAY_BINS)

# Missing Debian packages are installed by tools/install-deps (idempotent):
# all of them for building the tests and running them, only those bin/kho
# and the demo need for `make run`.
deps-check:
	@tools/install-deps --check-only >/dev/null 2>&1 || tools/install-deps
deps-check-run:
	@tools/install-deps --check-only run >/dev/null 2>&1 || tools/install-deps run
deps:
	tools/install-deps
.PHONY: deps-check deps-check-run
# Every compilation waits for the check (an order-only prerequisite), so that
# `make -j` on a fresh machine does not compile before the headers are there.
DEPS_GATE ?= deps-check

$(BUILD)/%.o: %.c | $(DEPS_GATE)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Schemas are compiled into the library so that validation never depends on
# files outside the binary.
$(BUILD)/gen/%_xsd.c: %.xsd tools/embed.sh
	@mkdir -p $(dir $@)
	$(call say,EMBED,$<)
	$(Q)tools/embed.sh $< $(subst /,_,$*)_xsd > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c | $(DEPS_GATE)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(KHO): $(TOOL_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJS) $(LIB) $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/bench/%: $(BUILD)/tests/bench/%.o $(LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Fuzz harnesses: with gcc, linked to a replay driver that runs the seed corpus
# (make test); with clang-14 and libFuzzer for real fuzzing (make fuzz).
$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o $(LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -O1 -g -I. -I$(BUILD)/fuzz/gen \
              -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS)
FUZZ_LIB_OBJS := $(patsubst %.c,$(BUILD)/fuzz/%.o,$(LIB_SRCS)) \
                 $(patsubst $(BUILD)/gen/%.c,$(BUILD)/fuzz/gen/%.o,$(GEN_SRCS))
$(BUILD)/fuzz/%.o: %.c | $(DEPS_GATE)
	@mkdir -p $(dir $@)
	clang-14 $(FUZZ_CFLAGS) -c -o $@ $<
$(BUILD)/fuzz/gen/%.o: $(BUILD)/gen/%.c | $(DEPS_GATE)
	@mkdir -p $(dir $@)
	clang-14 $(FUZZ_CFLAGS) -c -o $@ $<
$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	clang-14 -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

# test: the whole suite, then the whole suite again under AddressSanitizer and
# UndefinedBehaviorSanitizer (in $(BUILD)-asan). test-quick: the first pass only.
test: test-quick
	$(MAKE) --no-print-directory BUILD=$(BUILD)-asan SANITIZE=address,undefined test-quick

test-quick: all
	tests/run.sh $(BUILD) $(KHO)

bench: all $(BENCH_BINS)
	tests/bench/run.sh $(BUILD) $(KHO)

fuzz: deps-check $(FUZZ_BINS)
	tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS)

# The daemon alone (not the tests) and only the packages it needs.
run: deps-check-run
	$(MAKE) --no-print-directory -j$$(nproc) DEPS_GATE=deps-check-run $(KHO)
	tools/demo.sh $(KHO)

clean:
	rm -rf build build-* bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

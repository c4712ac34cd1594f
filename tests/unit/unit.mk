# tests/unit/unit.mk - host unit tests of the kit's pure logic: `make check-unit`.
#
# The tested kit files are compiled as they are, by the host gcc, as
# ordinary hosted C with AddressSanitizer and UBSan, against the fixed test
# configuration tests/unit/config.h (not .config). Everything lands in
# build/tests/unit/; the runner prints one line per test and ends with
# "unit: N passed, N failed". Each test runs in a child of its own, killed
# after UNIT_TEST_TIMEOUT seconds (default 10): a crash or a hang fails that
# test by name and never hangs `make check` (runner.c).

UNIT_OUT := $(O)/tests/unit
UNIT_BIN := $(UNIT_OUT)/unit-tests

# Kit files whose logic is pure enough to run on the host.
UNIT_KIT_SRCS := lib/format.c lib/log.c hypercall/multicall_queue.c hypercall/last.c \
	crash/symbols.c crash/backtrace.c \
	frontends/xenbus/xs_ring.c frontends/xenbus/xs_reply.c \
	frontends/xenbus/xenbus_state.c frontends/xenbus/xenbus_feature.c \
	frontends/xenbus/xs_parse.c frontends/xenbus/xs_txn.c time/clock.c \
	hypercall/names.c hypercall/stats.c hypercall/trace.c mm/mmu_queue.c \
	time/oneshot.c time/cpu.c frontends/console/cons_ring.c \
	frontends/blkfront/blkfront_ring.c frontends/blkfront/blkfront_queue.c \
	frontends/blkfront/blkfront_request.c frontends/blkfront/blkfront_options.c \
	frontends/blkfront/blkfront_xenbus.c frontends/blkfront/blkfront_sync.c \
	frontends/blkfront/blkfront_suspend.c \
	frontends/netfront/netfront_queue.c frontends/netfront/netfront_tx.c \
	frontends/netfront/netfront_rx.c frontends/netfront/netfront_rx_host.c \
	frontends/netfront/netfront_options.c \
	frontends/netfront/netfront_negotiate.c frontends/netfront/netfront_xenbus.c \
	frontends/netfront/netfront_suspend.c \
	ports/linux/blk_name.c \
	smp/cpus.c smp/ipi.c smp/call.c smp/tlb.c \
	suspend/suspend.c
UNIT_TEST_SRCS := $(sort $(wildcard tests/unit/*.c))

# An island: kit files whose exported functions other tests of this binary
# play (xenstore.c, xs_watch.c, xs_ops.c: the watch worker role, pvk_xs_watch(),
# the suspend calls, the batch calls), linked with their own tests and stand-ins into one
# object whose every symbol of its own is then made local. The island's
# calls bind inside it; the rest of the binary keeps its played versions;
# what the island leaves undefined (the ring code, xs_txn.c, the log) is
# the binary's. tests/unit/xs_island/test_xs_suspend.c says more.
UNIT_ISLAND_SRCS := frontends/xenbus/xenstore.c frontends/xenbus/xs_watch.c \
	frontends/xenbus/xs_ops.c \
	$(sort $(wildcard tests/unit/xs_island/*.c))
UNIT_ISLAND_OBJ := $(UNIT_OUT)/xs_island.o

UNIT_CPPFLAGS := -I$(srctree)/include -I$(srctree) \
	-include $(srctree)/tests/unit/config.h
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
UNIT_OBJS := $(patsubst %.c,$(UNIT_OUT)/%.o,$(UNIT_KIT_SRCS) $(UNIT_TEST_SRCS))
UNIT_ISLAND_PARTS := $(patsubst %.c,$(UNIT_OUT)/island/%.o,$(UNIT_ISLAND_SRCS))

$(UNIT_OUT)/%.o: %.c tests/unit/config.h
	@mkdir -p $(@D)
	$(call quiet_echo,HOSTCC,$@)
	$(Q)$(CC) $(UNIT_CPPFLAGS) $(UNIT_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(UNIT_OUT)/island/%.o: %.c tests/unit/config.h
	@mkdir -p $(@D)
	$(call quiet_echo,HOSTCC,$@)
	$(Q)$(CC) $(UNIT_CPPFLAGS) $(UNIT_CFLAGS) $(DEPFLAGS) -c $< -o $@

# -G with a name no symbol has: every defined symbol local, none left out.
# Then every kit symbol (pvk_) the island leaves undefined must be defined
# by a real kit object (or the unit port, tests/unit/port.c), never only
# by a test's played version: the island tests the real calls.
UNIT_ISLAND_PROVIDERS := $(patsubst %.c,$(UNIT_OUT)/%.o,$(UNIT_KIT_SRCS) tests/unit/port.c)

$(UNIT_ISLAND_OBJ): $(UNIT_ISLAND_PARTS) | $(UNIT_ISLAND_PROVIDERS)
	$(call quiet_echo,HOSTLD,$@)
	$(Q)$(CC) -r -nostdlib $^ -o $@.tmp
	$(Q)objcopy -G unit_island_keeps_no_symbol $@.tmp $@
	$(Q)rm -f $@.tmp
	$(Q)def=$$(nm --defined-only $(UNIT_ISLAND_PROVIDERS) | awk 'NF == 3 && $$2 ~ /[TDBR]/ { print $$3 }'); \
	bad=; for s in $$(nm -u $@ | awk '$$2 ~ /^pvk_/ { print $$2 }'); do \
		printf '%s\n' "$$def" | grep -qx "$$s" || bad="$$bad $$s"; \
	done; \
	if [ -n "$$bad" ]; then \
		echo "unit island: played, not the kit's:$$bad" >&2; rm -f $@; exit 1; \
	fi

$(UNIT_BIN): $(UNIT_OBJS) $(UNIT_ISLAND_OBJ)
	$(call quiet_echo,HOSTLD,$@)
	$(Q)$(CC) $(UNIT_CFLAGS) -Wl,--wrap=pvk_suspend_register $^ -o $@

-include $(UNIT_OBJS:.o=.d) $(UNIT_ISLAND_PARTS:.o=.d)

# The bounded libFuzzer run (tests/fuzz/fuzz.mk, 10 s per target) goes
# first, so `make check` covers it and this suite's closing line stays last.
-include tests/fuzz/fuzz.mk

.PHONY: check-unit
# The fuzz targets and the unit binary are prerequisites, so `make -j`
# (scripts/check.sh) builds them side by side; the bounded fuzz run
# (check-fuzz, a sub-make with nothing left to build) then has the CPUs to
# itself, before the unit tests.
# Then the runner's self-test (test_runner.c), quietly: it must give its
# verdict on a test that left a process holding the result pipe, within
# 10 s (the process holds it 15 s). Its output goes to a file, not through
# $$(...): a command substitution reads to end of file, so it would wait
# the whole 15 s for the left-behind process, which holds that pipe too
# (the runner's status, 124 when `timeout` had to kill it, is what says
# whether the runner waited). Its own "unit:" line is not printed, so
# scripts/check.sh counts the suite's only.
check-unit: $(UNIT_BIN) $(addprefix $(FUZZ_OUT)/,$(FUZZ_TARGETS)) | deps-build
	$(Q)$(MAKE) --no-print-directory check-fuzz
	$(Q)ASAN_OPTIONS=detect_leaks=0 timeout 10 $(UNIT_BIN) runner_selftest_orphan_holds_pipe \
		>$(UNIT_OUT)/selftest.log 2>&1 </dev/null; \
	rc=$$?; out=$$(cat $(UNIT_OUT)/selftest.log); \
	if [ $$rc -ne 1 ] || ! printf '%s\n' "$$out" | \
	   grep -q '^FAIL runner_selftest_orphan_holds_pipe (crashed: exited with status 3'; then \
		printf 'unit runner self-test failed (status %s, 124: it hung):\n%s\n' "$$rc" "$$out"; \
		exit 1; \
	fi
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(UNIT_BIN)

# `make C=1` checks the unit tests with sparse too. They are hosted C (stdio,
# setjmp), which the kit's freestanding SPARSE_FLAGS (-nostdinc) cannot
# compile, so they get their own pass with the host's headers, hooked in
# as a prerequisite of the top Makefile's sparse target.
UNIT_SPARSE_FLAGS := -D__CHECKER__ -Wsparse-error -Wbitwise \
	-Wno-unknown-attribute -m64 -D__x86_64__ -std=gnu11 $(UNIT_CPPFLAGS)

.PHONY: sparse-unit
sparse-unit: | deps-build
	$(Q)scripts/install-deps.sh sparse
	$(Q)fail=0; for f in $(UNIT_TEST_SRCS) $(filter tests/%,$(UNIT_ISLAND_SRCS)); do \
		$(if $(Q),printf '  %-7s %s\n' CHECK $$f;) \
		sparse $(UNIT_SPARSE_FLAGS) $$f || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "sparse: warnings above in tests/unit"; exit 1; fi

sparse: sparse-unit

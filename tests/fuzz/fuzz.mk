# tests/fuzz/fuzz.mk - libFuzzer targets for the code that faces untrusted
# peers (clang, ASan + UBSan).
#
#   make fuzz          each target for FUZZ_SECONDS (default 60) from the seed corpus
#   make check-fuzz    each target for 5 s: a bounded run with the suite's
#                      closing line "fuzz: N passed, N failed"
#
# Targets: fuzz_xs_ring (xenstore ring consumer + reply checks);
# fuzz_blkif (blkfront's response consumer against a hostile blkback:
# fuzz_blkif.c); fuzz_netif (netfront's transmit and receive response
# consumers against a hostile netback: fuzz_netif.c). The frontend
# targets compile the kit's sources unchanged against the host stand-ins
# of fuzz_kit.c (grants, event channels, pages, locks) and
# tests/unit/port.c (log, panic); those are built without coverage
# feedback (only the kit and the script interpreters guide the fuzzer).
# The frontends are built with PVK_RING_READ_HOOKS: every read of what the
# backend writes on a ring (indexes, responses) is counted by
# fuzz_read_once.c, and one read twice for one use is a finding;
# shared-reads.sh (run first by run.sh) checks they read it no other way.
# The corpus grows in build/tests/fuzz/corpus-<target>/ (not in git),
# from the hand-made inputs in tests/fuzz/seeds/<target>/; run.sh prints
# the verdicts.

FUZZ_OUT := $(O)/tests/fuzz
FUZZ_CC := clang
FUZZ_TARGETS := fuzz_xs_ring fuzz_blkif fuzz_netif
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 5
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I$(srctree)/include -I$(srctree) -include $(srctree)/tests/unit/config.h \
	-DPVK_RING_READ_HOOKS
# The stand-ins: sanitized, no coverage feedback.
FUZZ_HOST_CFLAGS := $(filter-out -fsanitize=fuzzer%,$(FUZZ_CFLAGS)) \
	-fsanitize=address,undefined
FUZZ_HOST_SRCS := tests/fuzz/fuzz_kit.c tests/fuzz/fuzz_read_once.c tests/unit/port.c \
	lib/log.c lib/format.c
FUZZ_HOST_OBJS := $(patsubst %.c,$(FUZZ_OUT)/host/%.o,$(FUZZ_HOST_SRCS))

# clang installed once, before any of the builds below: under make -j they
# run side by side, and two apt-get runs at once would fight over dpkg's
# lock on a fresh machine (each recipe's own call is then a quiet no-op).
.PHONY: deps-fuzz
deps-fuzz:
	$(Q)scripts/install-deps.sh fuzz

$(FUZZ_OUT)/host/%.o: %.c tests/fuzz/fuzz_kit.h tests/unit/config.h | deps-fuzz
	@mkdir -p $(@D)
	$(Q)scripts/install-deps.sh fuzz
	$(call quiet_echo,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_HOST_CFLAGS) -c $< -o $@

fuzz_xs_ring_SRCS := tests/fuzz/fuzz_xs_ring.c frontends/xenbus/xs_ring.c \
	frontends/xenbus/xs_reply.c

$(FUZZ_OUT)/fuzz_xs_ring: $(fuzz_xs_ring_SRCS) frontends/xenbus/xs_proto.h | deps-fuzz
	@mkdir -p $(@D)
	$(Q)scripts/install-deps.sh fuzz
	$(call quiet_echo,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(fuzz_xs_ring_SRCS) -o $@

fuzz_blkif_SRCS := tests/fuzz/fuzz_blkif.c frontends/blkfront/blkfront_queue.c \
	frontends/blkfront/blkfront_request.c frontends/blkfront/blkfront_ring.c
fuzz_netif_SRCS := tests/fuzz/fuzz_netif.c tests/fuzz/fuzz_netif_expect.c \
	frontends/netfront/netfront_queue.c \
	frontends/netfront/netfront_tx.c frontends/netfront/netfront_rx.c \
	frontends/netfront/netfront_rx_host.c \
	frontends/netfront/netfront_options.c frontends/xenbus/xs_parse.c

$(FUZZ_OUT)/fuzz_blkif: $(fuzz_blkif_SRCS) $(FUZZ_HOST_OBJS) tests/fuzz/fuzz_kit.h \
		frontends/blkfront/blkfront_internal.h | deps-fuzz
	@mkdir -p $(@D)
	$(Q)scripts/install-deps.sh fuzz
	$(call quiet_echo,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(fuzz_blkif_SRCS) $(FUZZ_HOST_OBJS) -o $@

$(FUZZ_OUT)/fuzz_netif: $(fuzz_netif_SRCS) $(FUZZ_HOST_OBJS) tests/fuzz/fuzz_kit.h \
		tests/fuzz/fuzz_netif.h frontends/netfront/netfront_internal.h | deps-fuzz
	@mkdir -p $(@D)
	$(Q)scripts/install-deps.sh fuzz
	$(call quiet_echo,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(fuzz_netif_SRCS) $(FUZZ_HOST_OBJS) -o $@

.PHONY: fuzz check-fuzz
fuzz: $(addprefix $(FUZZ_OUT)/,$(FUZZ_TARGETS))
	$(Q)tests/fuzz/run.sh $(FUZZ_OUT) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check-fuzz: $(addprefix $(FUZZ_OUT)/,$(FUZZ_TARGETS))
	$(Q)tests/fuzz/run.sh $(FUZZ_OUT) $(FUZZ_CHECK_SECONDS) $(FUZZ_TARGETS)

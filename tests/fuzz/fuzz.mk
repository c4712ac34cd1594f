# tests/fuzz/fuzz.mk - libFuzzer targets for the parsers that face untrusted
# peers (clang, ASan + UBSan).
#
#   make fuzz          each target for FUZZ_SECONDS (default 60) from the seed corpus
#   make check-fuzz    each target for 10 s: a bounded run with the suite's
#                      closing line "fuzz: N passed, N failed"
#
# Targets: fuzz_xs_ring (xenstore ring consumer + reply checks). The corpus
# grows in build/tests/fuzz/corpus-<target>/ (not in git); run.sh prints
# the verdicts.

FUZZ_OUT := $(O)/tests/fuzz
FUZZ_CC := clang
FUZZ_TARGETS := fuzz_xs_ring
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 10
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I$(srctree)/include -I$(srctree) -include $(srctree)/tests/unit/config.h

fuzz_xs_ring_SRCS := tests/fuzz/fuzz_xs_ring.c frontends/xenbus/xs_ring.c \
	frontends/xenbus/xs_reply.c

$(FUZZ_OUT)/fuzz_xs_ring: $(fuzz_xs_ring_SRCS) frontends/xenbus/xs_proto.h
	@mkdir -p $(@D)
	$(Q)scripts/install-deps.sh fuzz
	$(call quiet_echo,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(fuzz_xs_ring_SRCS) -o $@

.PHONY: fuzz check-fuzz
fuzz: $(addprefix $(FUZZ_OUT)/,$(FUZZ_TARGETS))
	$(Q)tests/fuzz/run.sh $(FUZZ_OUT) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check-fuzz: $(addprefix $(FUZZ_OUT)/,$(FUZZ_TARGETS))
	$(Q)tests/fuzz/run.sh $(FUZZ_OUT) $(FUZZ_CHECK_SECONDS) $(FUZZ_TARGETS)

# pvkit top-level Makefile: configuration (Kconfig), the Kbuild-driven build of
# build/libpvkit.a, and the entry points of the test suites.
#
#   make defconfig | menuconfig | olddefconfig   configure (.config)
#   make [V=1] [C=1]                             build build/libpvkit.a (C=1: also sparse)
#   make guest                                   build the reference guest build/pvkit-guest
#   make modules [KDIR=...]                      build the Linux modules into build/modules/
#   make run                                     boot Xen + dom0 under QEMU and run the guest
#   make check                                   every test suite; closing line "N passed, N failed"
#
# The Kbuild files are plain Linux Kbuild (obj-y, obj-$(CONFIG_..), ccflags-y,
# "dir/" for subdirectories); this Makefile walks them itself so the same files
# also serve Linux's own build.

srctree := $(CURDIR)
O := build
export srctree

ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif

# Print "  CC      lib/log.o" unless V=1 (then make echoes the command itself).
quiet_echo = $(if $(Q),@printf '  %-7s %s\n' '$(1)' '$(2)';)

# ---------------------------------------------------------------------------
# Configuration: Debian's kconfig-frontends, output kept under build/
# ---------------------------------------------------------------------------
KCONFIG_OUT := $(O)/include
AUTOCONF_MK := $(KCONFIG_OUT)/config/auto.conf
AUTOCONF_H := $(KCONFIG_OUT)/generated/autoconf.h
# kconfig-conf writes include/config/ and include/generated/ relative to its
# working directory, so it runs inside build/ with the real paths passed in.
KCONFIG_RUN = mkdir -p $(KCONFIG_OUT)/config $(KCONFIG_OUT)/generated && cd $(O) && srctree=$(srctree) KCONFIG_CONFIG=$(srctree)/.config
KCONFIG_FILES := $(shell find $(srctree) -name Kconfig -not -path '$(srctree)/$(O)/*')

no-config-targets := defconfig menuconfig olddefconfig savedefconfig clean distclean deps help modules

.PHONY: all defconfig menuconfig olddefconfig savedefconfig deps-build
all: $(O)/libpvkit.a

deps-build:
	$(Q)scripts/install-deps.sh build

defconfig: | deps-build
	$(call quiet_echo,CONF,configs/defconfig)
	$(Q)$(KCONFIG_RUN) kconfig-conf -s --defconfig=$(srctree)/configs/defconfig $(srctree)/Kconfig

menuconfig: | deps-build
	$(Q)$(KCONFIG_RUN) kconfig-mconf $(srctree)/Kconfig

olddefconfig: | deps-build
	$(Q)$(KCONFIG_RUN) kconfig-conf -s --olddefconfig $(srctree)/Kconfig

savedefconfig: | deps-build
	$(Q)$(KCONFIG_RUN) kconfig-conf -s --savedefconfig=$(srctree)/configs/defconfig $(srctree)/Kconfig

# A clean clone has no .config: start from configs/defconfig and say so.
.config: | deps-build
	@echo "  CONF    no .config: using configs/defconfig (make menuconfig to change it)"
	$(Q)$(KCONFIG_RUN) kconfig-conf -s --defconfig=$(srctree)/configs/defconfig $(srctree)/Kconfig

# Regenerate auto.conf/autoconf.h whenever .config or any Kconfig changes.
$(AUTOCONF_MK) $(AUTOCONF_H) &: .config $(KCONFIG_FILES) | deps-build
	$(call quiet_echo,CONF,$(AUTOCONF_H))
	$(Q)$(KCONFIG_RUN) kconfig-conf -s --olddefconfig $(srctree)/Kconfig
	@# olddefconfig settled every symbol, so silentoldconfig asks nothing; it
	@# is the mode that writes auto.conf and autoconf.h.
	$(Q)$(KCONFIG_RUN) kconfig-conf -s --silentoldconfig $(srctree)/Kconfig </dev/null
	$(Q)touch $(AUTOCONF_MK) $(AUTOCONF_H)

ifeq ($(filter $(no-config-targets),$(MAKECMDGOALS)),)
-include $(AUTOCONF_MK)
endif

# ---------------------------------------------------------------------------
# Compiler flags for code that runs inside a guest kernel
# ---------------------------------------------------------------------------
CC := gcc
AR := ar
GCC_INCLUDE := $(shell $(CC) -print-file-name=include)

KIT_CPPFLAGS := -nostdinc -isystem $(GCC_INCLUDE) -I$(srctree)/include \
	-include $(AUTOCONF_H)
KIT_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-common -fno-strict-aliasing -fno-omit-frame-pointer \
	-fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-mcmodel=kernel -mno-red-zone -mno-mmx -mno-sse -mno-sse2 -mno-80387
KIT_AFLAGS := -D__ASSEMBLY__ -Wa,--noexecstack
DEPFLAGS = -MMD -MP -MF $(@:.o=.d)

SPARSE_FLAGS := -D__CHECKER__ -ffreestanding -Wsparse-error -Wbitwise -Wno-unknown-attribute -m64 \
	-D__x86_64__ $(KIT_CPPFLAGS) -std=gnu11

# ---------------------------------------------------------------------------
# The Kbuild walk: collect objects (and per-directory ccflags-y) from each Kbuild
# ---------------------------------------------------------------------------
PVK_OBJS :=

# $(1): directory relative to srctree ("" for the top)
# A selected directory without a Kbuild is reported when building, not while
# parsing, so that a stale auto.conf can still be regenerated first.
define pvk_descend
ifeq ($(wildcard $(srctree)/$(1)Kbuild),)
PVK_MISSING += $(1)
else
obj-y :=
obj-m :=
ccflags-y :=
include $(srctree)/$(1)Kbuild
pvk-objs-$(1) := $$(filter %.o,$$(obj-y) $$(obj-m))
pvk-dirs-$(1) := $$(filter %/,$$(obj-y) $$(obj-m))
PVK_OBJS += $$(addprefix $(O)/$(1),$$(pvk-objs-$(1)))
$(O)/$(1)%.o: PVK_DIR_CCFLAGS := $$(ccflags-y)
$$(foreach d,$$(pvk-dirs-$(1)),$$(eval $$(call pvk_descend,$(1)$$(d))))
endif
endef

ifneq ($(wildcard $(AUTOCONF_MK)),)
$(eval $(call pvk_descend,))
endif

PVK_SRCS := $(wildcard $(patsubst $(O)/%.o,%.c,$(PVK_OBJS)))

$(O)/%.o: %.c $(AUTOCONF_H)
	@mkdir -p $(@D)
	$(call quiet_echo,CC,$@)
	$(Q)$(CC) $(KIT_CPPFLAGS) $(KIT_CFLAGS) $(PVK_DIR_CCFLAGS) $(DEPFLAGS) -c $< -o $@

$(O)/%.o: %.S $(AUTOCONF_H)
	@mkdir -p $(@D)
	$(call quiet_echo,AS,$@)
	$(Q)$(CC) $(KIT_CPPFLAGS) $(KIT_CFLAGS) $(KIT_AFLAGS) $(PVK_DIR_CCFLAGS) $(DEPFLAGS) -c $< -o $@

ifneq ($(PVK_MISSING),)
$(O)/libpvkit.a: pvk-missing-dirs
endif
.PHONY: pvk-missing-dirs
pvk-missing-dirs:
	@for d in $(PVK_MISSING); do \
		echo "error: $$d is selected by .config (see Kbuild) but $${d}Kbuild is not in this tree"; \
	done; exit 1

$(O)/libpvkit.a: $(PVK_OBJS)
	$(call quiet_echo,AR,$@)
	$(Q)rm -f $@ && $(AR) rcsD $@ $^

-include $(PVK_OBJS:.o=.d)

# ---------------------------------------------------------------------------
# sparse: "make C=1" checks every C file of the tree (kit, guest, tests) and
# fails on any warning. Each suite adds its files to SPARSE_SRCS and may set
# SPARSE_FLAGS_<file> for extra flags.
# ---------------------------------------------------------------------------
SPARSE_SRCS := $(PVK_SRCS)

# ---------------------------------------------------------------------------
# Test suites and the reference guest (each .mk owns its directory)
# ---------------------------------------------------------------------------
-include tests/unit/unit.mk
-include tests/abi/abi.mk
-include tests/guest/guest.mk
-include tests/native/native.mk
-include tests/bench/bench.mk
-include tests/sparse/sparse.mk
-include tests/lint/lint.mk

# ---------------------------------------------------------------------------
# The minimal kernel on the kit (examples/minimal/): make minimal, check-minimal
# ---------------------------------------------------------------------------
-include examples/minimal/minimal.mk

# ---------------------------------------------------------------------------
# Linux modules (ports/linux/): pvk-xen.ko, pvk-blkfront.ko, pvk-netfront.ko,
# built by Linux's own kbuild from the top Kbuild. KDIR defaults to the
# headers of the kernel the harness boots: scripts/install-deps.sh modules
# installs them (refreshing apt's package lists if a fresh machine has none),
# and only then does scripts/kernel-abi.sh name them, in the recipe's shell
# (a make variable would be expanded before the recipe's first line runs).
# Linux 6.1 writes objects next to the sources of M=, so M= is a shadow tree
# of symlinks under $(O)/modules/ and the .ko files end there. PVK_WERROR=1:
# our own build tolerates no warning (DKMS's rebuilds for later kernels and
# compilers do not set it).
# ---------------------------------------------------------------------------
MODULES_DIR := $(O)/modules
MODULES_SRC := Kbuild include lib frontends ports

.PHONY: modules
modules:
	$(Q)kdir='$(KDIR)'; \
	if [ -z "$$kdir" ]; then \
		scripts/install-deps.sh modules && \
		kdir=/usr/src/linux-headers-$$(scripts/kernel-abi.sh) || exit 1; \
	fi; \
	test -f "$$kdir/Makefile" || { echo "make modules: no kernel headers in KDIR=$$kdir"; exit 1; }; \
	mkdir -p $(MODULES_DIR) && find $(MODULES_DIR) -type l -delete && \
	cp -rs $(addprefix $(srctree)/,$(MODULES_SRC)) $(MODULES_DIR)/ && \
	$(MAKE) -C "$$kdir" M=$(abspath $(MODULES_DIR)) O= C= PVK_WERROR=1 $(if $(Q),,V=1) modules
	@# (O= and C= of our command line mean something else to Linux's make.)
	$(Q)ls $(MODULES_DIR)/*.ko

# The end-to-end harness boots Debian's Xen 4.17 and a Linux dom0 under QEMU
# and runs the reference guest's scenarios with xl (tests/xen/README.md).
.PHONY: run check-e2e
run: guest
	$(Q)tests/xen/e2e.sh run

# Scenario linux-pvk-modules boots our Linux modules: built first; a failed
# build removes them, so that scenario fails ("does not exist") and the
# others still run.
check-e2e: guest
	$(Q)$(MAKE) --no-print-directory modules || { rm -f $(MODULES_DIR)/*.ko; \
		echo "check-e2e: make modules failed (scenario linux-pvk-modules fails)"; }
	$(Q)tests/xen/e2e.sh check

# The harness's judge on crafted console/marker logs (no QEMU): each verdict
# it must give, PASS and FAIL (tests/xen/judge-test.sh); and make bench's
# microbenchmark table on crafted logs (tests/bench/table-test.sh).
.PHONY: check-harness
check-harness:
	$(Q)tests/xen/judge-test.sh
	$(Q)tests/bench/table-test.sh

.PHONY: sparse
sparse: $(AUTOCONF_H) | deps-build
	$(Q)scripts/install-deps.sh sparse
	$(Q)fail=0; for f in $(sort $(SPARSE_SRCS)); do \
		$(if $(Q),printf '  %-7s %s\n' CHECK $$f;) \
		sparse $(SPARSE_FLAGS) $(SPARSE_EXTRA_FLAGS) $$f || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "sparse: warnings above (make C=1 fails on any)"; exit 1; fi

ifeq ($(C),1)
all: sparse
endif

# make check: every suite in turn; the runner script tallies their closing
# lines into one "N passed, N failed".
.PHONY: check
check:
	$(Q)scripts/check.sh $(CHECK_SUITES)

.PHONY: clean distclean help
clean:
	$(Q)rm -rf $(O)/lib $(O)/hypercall $(O)/pvops $(O)/mm $(O)/frontends $(O)/tests $(O)/libpvkit.a $(O)/pvkit-guest $(O)/modules

# distclean also drops the downloaded Debian packages of the end-to-end harness.
distclean:
	$(Q)rm -rf $(O) .config .config.old

help:
	@sed -n '2,12p' Makefile | sed 's/^# \{0,1\}//'

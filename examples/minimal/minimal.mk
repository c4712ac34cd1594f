# examples/minimal/minimal.mk - the minimal kernel on the kit.
#
#   make minimal         build/pvkit-minimal: examples/minimal/*.{c,S}, linked
#                        with build/libpvkit.a by minimal.lds.S
#   make check-minimal   scripts/pv-lint on it (no privileged instruction
#                        outside its native-only marks), then its native run
#                        under bare QEMU (tests/native/minimal-run.sh); its
#                        Xen run is scenario minimal-xen of make check-e2e

MINIMAL_DIR := examples/minimal
MINIMAL_OUT := $(O)/examples/minimal
MINIMAL_OBJS := $(addprefix $(MINIMAL_OUT)/,head.o entry.o user.o boot.o kernel.o port.o libc.o checks.o)

.PHONY: minimal check-minimal
minimal: $(O)/pvkit-minimal

# GCC would turn libc.c's loops into calls of themselves.
$(MINIMAL_OUT)/libc.o: KIT_CFLAGS += -fno-tree-loop-distribute-patterns

$(MINIMAL_OUT)/%.o: $(MINIMAL_DIR)/%.c $(AUTOCONF_H)
	@mkdir -p $(@D)
	$(call quiet_echo,CC,$@)
	$(Q)$(CC) $(KIT_CPPFLAGS) $(KIT_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(MINIMAL_OUT)/%.o: $(MINIMAL_DIR)/%.S $(AUTOCONF_H)
	@mkdir -p $(@D)
	$(call quiet_echo,AS,$@)
	$(Q)$(CC) $(KIT_CPPFLAGS) $(KIT_CFLAGS) $(KIT_AFLAGS) $(DEPFLAGS) -c $< -o $@

$(MINIMAL_OUT)/minimal.lds: $(MINIMAL_DIR)/minimal.lds.S $(MINIMAL_DIR)/minimal.h
	@mkdir -p $(@D)
	$(Q)$(CC) -E -P -D__ASSEMBLY__ -I$(srctree)/include -x c $< -o $@

$(O)/pvkit-minimal: $(MINIMAL_OBJS) $(MINIMAL_OUT)/minimal.lds $(O)/libpvkit.a
	$(call quiet_echo,LD,$@)
	$(Q)ld -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments -T $(MINIMAL_OUT)/minimal.lds \
		-o $@ $(MINIMAL_OBJS) --start-group $(O)/libpvkit.a --end-group

-include $(MINIMAL_OBJS:.o=.d)

check-minimal: minimal
	$(Q)scripts/install-deps.sh lint
	$(Q)scripts/pv-lint $(O)/pvkit-minimal
	$(Q)sh tests/native/minimal-run.sh $(O)/pvkit-minimal $(O)/native-minimal

# Scenario minimal-xen boots build/pvkit-minimal.
check-e2e: minimal

.PHONY: clean-minimal
clean: clean-minimal
clean-minimal:
	$(Q)rm -rf $(MINIMAL_OUT) $(O)/pvkit-minimal $(O)/native-minimal

SPARSE_SRCS += $(wildcard $(MINIMAL_DIR)/*.c)

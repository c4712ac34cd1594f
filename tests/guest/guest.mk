# tests/guest/guest.mk - builds the reference PV guest kernel, build/pvkit-guest.
# Included by the top Makefile.
#
#   make guest         build/libpvkit.a, then the guest ELF
#   make check-guest   boot it on Xen (tests/xen harness): scenarios
#                      guest-basic (all tests pass, poweroff) and guest-fault
#                      (decoded fault report, crash)
#
# The guest is linked twice: the first link has an empty symbol table,
# the kit's scripts/pvk-symtab turns that link's code symbols into the
# table of the second (see the script and guest.lds.S), and the result is
# checked to have the same code addresses as the table says.

GUEST_DIR := tests/guest
GUEST_OUT := $(O)/tests/guest

# Test files last: tests run in link order, so this list is their order.
# cases/suspend_traffic.c first: "defaults" after suspend_traffic
# (guest-save-traffic) or suspend_migrate (guest-migrate) runs the default
# suite in the restored or migrated domain.
GUEST_SRCS := head.S entry.S notes.S pvh.S entry_native.S native.c \
	native_timer_entry.S native_timer.c \
	boot.c bootmem.c shared_info.c time.c console.c print.c \
	traps.c fault.c symbols.c shutdown.c cmdline.c \
	page_alloc.c heap.c lock.c string.c test.c \
	smp.c events.c wait.c control.c console_in.c balloon.c netstack.c dom0_answer.c \
	cases/suspend_traffic.c cases/dirty_pages.c cases/start_info.c cases/hypercall_page.c cases/xen_version.c \
	cases/shared_info.c cases/console.c cases/memory.c cases/lock.c \
	cases/pvops_cpu.c cases/pvops_irq.c cases/pvops_time.c \
	cases/multicall.c cases/counters.c cases/privileged_insn.c \
	cases/events.c cases/time.c cases/xenstore.c \
	cases/xenbus.c cases/console_input.c cases/control.c \
	cases/fault.c cases/framework.c cases/checks.c

GUEST_SRCS += cases/mm_p2m.c cases/mm_pagetables.c cases/mm_balloon.c cases/grant_table.c \
	cases/grant_grow.c
GUEST_SRCS += user/enter.S user/program.S user/syscall_native.S user/cpu.c user/uspace.c \
	user/run.c cases/usermode.c
GUEST_SRCS += cases/mm_va_run.c cases/mm_pvops_mmu.c
GUEST_SRCS += native_smp.c
GUEST_SRCS += cases/upcall_reentry.c cases/idle.c
GUEST_SRCS += irq_exit.c cases/irq_exit_spin.S cases/irq_exit.c
# Every SMP test file, cases/smp*.c (smp.c first, then the others by name).
GUEST_SRCS += $(patsubst $(GUEST_DIR)/%,%,$(sort $(wildcard $(GUEST_DIR)/cases/smp*.c)))
GUEST_SRCS += cases/netfront.c cases/netfront_life.c cases/netfront_offload.c
GUEST_SRCS += cases/blkfront_io.c cases/blkfront_ops.c cases/blkfront.c cases/blkfront_life.c cases/hostile_blk.c cases/bench_blk.c
GUEST_SRCS += cases/bench_net.c
GUEST_SRCS += cases/hostile_net.c
GUEST_SRCS += cases/hostile_xs.c
GUEST_SRCS += cases/pvops_patch.c
# xl save / restore / save -c (explicit: scenarios guest-save-*).
GUEST_SRCS += cases/suspend.c cases/bench_suspend.c cases/blk_stream.c cases/suspend_blk.c
# netfront across xl save/restore with traffic (scenarios guest-save-traffic,
# guest-save-net-checkpoint).
GUEST_SRCS += cases/suspend_net.c
GUEST_SRCS += bench.c cases/bench.c

GUEST_OBJS := $(addprefix $(GUEST_OUT)/,$(addsuffix .o,$(basename $(GUEST_SRCS))))

# -fno-toplevel-reorder keeps each file's tests in declaration order in
# their section; -fno-tree-loop-distribute-patterns stops GCC from turning
# the loops of memset/memcpy (string.c) into calls to themselves.
GUEST_CFLAGS := -fno-toplevel-reorder -fno-tree-loop-distribute-patterns
GUEST_LD := ld
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack

# $(1): output file, $(2): the symbol table object. The whole kit is linked
# in, so every kit object is proven to link against this port.
guest_link = $(GUEST_LD) $(GUEST_LDFLAGS) -T $(GUEST_OUT)/guest.lds -o $(1) \
	$(GUEST_OBJS) $(2) --whole-archive $(O)/libpvkit.a --no-whole-archive

.PHONY: guest check-guest
guest: $(O)/pvkit-guest

check-guest: guest
	$(Q)tests/xen/e2e.sh check guest-basic guest-fault

$(GUEST_OUT)/%.o: $(GUEST_DIR)/%.c $(AUTOCONF_H)
	@mkdir -p $(@D)
	$(call quiet_echo,CC,$@)
	$(Q)$(CC) $(KIT_CPPFLAGS) $(KIT_CFLAGS) $(GUEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(GUEST_OUT)/%.o: $(GUEST_DIR)/%.S $(AUTOCONF_H)
	@mkdir -p $(@D)
	$(call quiet_echo,AS,$@)
	$(Q)$(CC) $(KIT_CPPFLAGS) $(KIT_CFLAGS) $(KIT_AFLAGS) $(DEPFLAGS) -c $< -o $@

$(GUEST_OUT)/guest.lds: $(GUEST_DIR)/guest.lds.S $(GUEST_DIR)/layout.h include/pvkit/pvkit.lds.h
	@mkdir -p $(@D)
	$(call quiet_echo,LDS,$@)
	$(Q)$(CC) -E -P -undef -x c -D__ASSEMBLY__ -I$(GUEST_DIR) -Iinclude $< -o $@

# Link 1: empty symbol table. Link 2: the code symbols of link 1, up to the
# end of .text (guest.lds.S).
GUEST_SYMTAB := scripts/pvk-symtab
GUEST_SYMTAB_ARGS := --end __text_end

$(GUEST_OUT)/symtab-empty.S: $(GUEST_SYMTAB)
	@mkdir -p $(@D)
	$(Q)sh $< > $@

$(GUEST_OUT)/pvkit-guest.1: $(GUEST_OBJS) $(GUEST_OUT)/symtab-empty.o $(O)/libpvkit.a \
		$(GUEST_OUT)/guest.lds
	$(call quiet_echo,LD,$@)
	$(Q)$(call guest_link,$@,$(GUEST_OUT)/symtab-empty.o)

$(GUEST_OUT)/symtab.S: $(GUEST_OUT)/pvkit-guest.1 $(GUEST_SYMTAB)
	$(call quiet_echo,SYMTAB,$@)
	$(Q)sh $(GUEST_SYMTAB) $(GUEST_SYMTAB_ARGS) $< > $@

$(GUEST_OUT)/symtab-empty.o $(GUEST_OUT)/symtab.o: %.o: %.S
	$(call quiet_echo,AS,$@)
	$(Q)$(CC) $(KIT_AFLAGS) -c $< -o $@

$(O)/pvkit-guest: $(GUEST_OBJS) $(GUEST_OUT)/symtab.o $(O)/libpvkit.a $(GUEST_OUT)/guest.lds
	$(call quiet_echo,LD,$@)
	$(Q)$(call guest_link,$@.tmp,$(GUEST_OUT)/symtab.o)
	$(Q)sh $(GUEST_SYMTAB) $(GUEST_SYMTAB_ARGS) $@.tmp | cmp -s - $(GUEST_OUT)/symtab.S || \
		{ echo "guest: code addresses differ between the two links (guest.lds.S order?)"; \
		  rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@

-include $(GUEST_OBJS:.o=.d)

SPARSE_SRCS += $(addprefix $(GUEST_DIR)/,$(filter %.c,$(GUEST_SRCS)))


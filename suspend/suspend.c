/*
 * suspend/suspend.c - pvk_suspend(): the whole guest saved by the toolstack
 * and resumed, in a new domain or (cancelled, checkpoint) in the same one.
 * The order and its reasons are in pvkit/suspend.h; this file owns the
 * sequence, the host's registration and the parts' hooks. The pieces of
 * state each part keeps are that part's (events/, time/, mm/, xenbus,
 * console, pvops' vCPU state); the two pages only the sequence touches,
 * shared_info and vCPU 0's vcpu_info, are here.
 *
 * Facts from Xen's public sched.h and the toolstack's PV restore (read,
 * not copied): the suspend hypercall's third argument is start_info's
 * mfn; the saved image must hold start_info's store and console frames as
 * pfns, which the restore turns into the new domain's mfns and writes
 * next to the new ports and the new shared_info's machine address; the
 * new shared_info names no p2m tree; event channels, the grant table,
 * xenstore watches and a moved vcpu_info do not survive. Everything the
 * save reads in our page tables must be our own memory.
 */
#include <pvkit/boot.h>
#include <pvkit/console.h>
#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/vcpu.h>
#include <pvkit/xen/xen.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>

static struct pvk_suspend_host host;
static bool registered;
static struct pvk_suspend_part *parts;
static struct pvk_suspend_stats stats;
/* A suspend is under way (review s10-16 #3): a second one is refused. */
static bool busy;
/*
 * The time the parts spent quiesced, all suspends, the one in progress
 * included (review s12-revfix SF-3: a host thread that judges a deadline
 * between the hypercall's clock jump and the parts' resume must see the
 * jump counted). One atomic word, so a reader never pairs a total with
 * the wrong start: bit 0 clear, the rest is the total; bit 0 set, a
 * suspend is in progress and the rest is its quiesce time minus the
 * total before it (never negative: the total is made of spans before
 * that time), so total + (now - quiesce) = now - that.
 */
static uint64_t parts_out_word;
/* A host's own call waits this long for the xenbus worker role. */
#define WORKER_WAIT_NS	(10ULL * 1000 * 1000 * 1000)

/* The frames start_info names, as they were before the hypercall. */
struct saved_frames {
	uint64_t store_mfn, console_mfn;
	pvk_pfn_t store_pfn, console_pfn;
	uint64_t shared_info;
	pvk_pfn_t l4_pfn;	/* CPU 0's running L4 */
};

static __pvk_noreturn void step_failed(const char *step, long rc)
{
	pvk_err("suspend: %s failed: %ld", step, rc);
	pvk_port_panic("pvkit suspend: a step failed (the line above names it)");
}

int pvk_suspend_init(const struct pvk_suspend_host *h)
{
	int rc;

	if (!h || !h->start_info || !pvk_xen_shared_info())
		return -PVK_XEN_EINVAL;
	if (registered)
		return -PVK_XEN_EBUSY;
	/* The toolstack reads the p2m tree as the save starts, before it
	 * asks us to suspend: it is published now, kept current as the p2m
	 * grows (mm/p2m_frame_list.c). */
	if (!pvk_p2m_published() && (rc = pvk_p2m_publish(pvk_xen_shared_info()))) {
		pvk_err("suspend: cannot publish the p2m frame lists: %d", rc);
		return rc;
	}
	host = *h;
	registered = true;
	/* libxl makes the node writable for us; a toolstack that does not
	 * still asks through control/shutdown. */
	rc = pvk_xs_write(PVK_XBT_NIL, "control/feature-suspend", "1");
	if (rc)
		pvk_warn("suspend: cannot write control/feature-suspend: %d", rc);
	return 0;
}

bool pvk_suspend_available(void)
{
	return registered;
}

int pvk_suspend_register(struct pvk_suspend_part *part)
{
	if (!part || !part->name)
		return -PVK_XEN_EINVAL;
	for (struct pvk_suspend_part *p = parts; p; p = p->next)
		if (p == part)
			return -PVK_XEN_EEXIST;
	part->next = parts;
	parts = part;
	return 0;
}

void pvk_suspend_get_stats(struct pvk_suspend_stats *out)
{
	*out = stats;
}

static uint64_t parts_out_at(uint64_t w, uint64_t now)
{
	if (!(w & 1))
		return w >> 1;
	return now > (w >> 1) ? now - (w >> 1) : 0;
}

uint64_t pvk_suspend_parts_out_ns(void)
{
	uint64_t w = __atomic_load_n(&parts_out_word, __ATOMIC_ACQUIRE);

	return parts_out_at(w, pvk_time_now_ns());
}

/* The parts quiesce now: from here the time counts as theirs (one
 * suspend at a time, `busy`: this thread is the only writer). */
static uint64_t parts_out(void)
{
	uint64_t now = pvk_time_now_ns();
	uint64_t total = __atomic_load_n(&parts_out_word, __ATOMIC_RELAXED) >> 1;

	__atomic_store_n(&parts_out_word, ((now - total) << 1) | 1, __ATOMIC_RELEASE);
	return now;
}

/* The parts are back (their resume returned): the time since their
 * quiesce stays added, for the host waits that must not count it. */
static void parts_back(void)
{
	uint64_t w = __atomic_load_n(&parts_out_word, __ATOMIC_RELAXED);

	__atomic_store_n(&parts_out_word, parts_out_at(w, pvk_time_now_ns()) << 1,
			 __ATOMIC_RELEASE);
}

/* va's page now shows machine address maddr. */
static long map_at(void *va, uint64_t maddr)
{
	uint64_t pte = (maddr & PVK_PTE_MFN_MASK) | PVK_PTE_KERNEL_RW | PVK_PTE_NX;

	return pvk_hyp_update_va_mapping((unsigned long)va, pte,
					 PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
}

/*
 * shared_info is Xen's frame, which the save refuses to find in our page
 * tables: the kit's page gets back the frame of ours behind it (the one
 * shared_info displaced at boot). Upcalls stay masked in it too, for the
 * irq ops that may still read vCPU 0's legacy slot there.
 */
static void unmap_shared_info(struct pvk_shared_info *s)
{
	pvk_mfn_t own = pvk_pfn_to_mfn(pvk_port_virt_to_pfn(s));
	long rc = map_at(s, pvk_mfn_raw(own) << PVK_PAGE_SHIFT);

	if (rc)
		step_failed("giving shared_info's page its own frame back (update_va_mapping)", rc);
	PVK_WRITE_ONCE(s->vcpu_info[0].evtchn_upcall_mask, 1);
}

static void map_shared_info(struct pvk_shared_info *s, uint64_t maddr)
{
	long rc = map_at(s, maddr);

	if (rc)
		step_failed("mapping shared_info again (update_va_mapping)", rc);
	PVK_WRITE_ONCE(s->vcpu_info[0].evtchn_upcall_mask, 1);
}

/*
 * A vcpu_info the kit moved (pvops/irq_xen.c) is forgotten by the new
 * domain, whose Xen writes vCPU 0's time and pending bits in shared_info's
 * slot again: the same page of ours (its new mfn) is registered again.
 * Xen copies the slot's state over, so the slot is masked first.
 */
static void replace_vcpu_info(struct pvk_shared_info *s)
{
	struct pvk_vcpu_info *vi = pvk_xen_vcpu_info(0);
	struct pvk_vcpu_register_vcpu_info info;
	uintptr_t page;
	long rc;

	if (!vi || vi == &s->vcpu_info[0])
		return;		/* never moved */
	page = (uintptr_t)vi & ~(uintptr_t)(PVK_PAGE_SIZE - 1);
	info.mfn = pvk_mfn_raw(pvk_pfn_to_mfn(pvk_port_virt_to_pfn((void *)page)));
	info.offset = (uint32_t)((uintptr_t)vi - page);
	info.rsvd = 0;
	PVK_WRITE_ONCE(s->vcpu_info[0].evtchn_upcall_mask, 1);
	rc = pvk_hyp_vcpu_op(PVK_VCPUOP_register_vcpu_info, 0, &info);
	if (rc)
		step_failed("registering vCPU 0's vcpu_info again (VCPUOP_register_vcpu_info)", rc);
	PVK_WRITE_ONCE(vi->evtchn_upcall_mask, 1);
}

/* A ring's pfn, checked to be a frame of ours. */
static pvk_pfn_t ring_pfn(uint64_t mfn, const char *what)
{
	pvk_pfn_t pfn = pvk_mfn_to_pfn(pvk_mfn(mfn));

	if (pvk_pfn_raw(pfn) >= pvk_p2m_nr_pages() ||
	    !pvk_mfn_eq(pvk_pfn_to_mfn(pfn), pvk_mfn(mfn)))
		step_failed(what, -PVK_XEN_EINVAL);
	return pfn;
}

/* Step 6: the save wants start_info's ring frames as pfns. */
static void canonicalise(struct pvk_start_info *si, struct saved_frames *f)
{
	f->store_mfn = si->store_mfn;
	f->console_mfn = si->console.domU.mfn;
	f->shared_info = si->shared_info;
	f->store_pfn = ring_pfn(f->store_mfn, "start_info's xenstore frame is not ours");
	f->console_pfn = ring_pfn(f->console_mfn, "start_info's console frame is not ours");
	si->store_mfn = pvk_pfn_raw(f->store_pfn);
	si->console.domU.mfn = pvk_pfn_raw(f->console_pfn);
}

static void check_ring_moved(uint64_t mfn, pvk_pfn_t was, const char *what)
{
	pvk_pfn_t pfn = pvk_mfn_to_pfn(pvk_mfn(mfn));

	/* The rings stay mapped where they were: only the same pfn will do. */
	if (pvk_pfn_raw(pfn) != pvk_pfn_raw(was) ||
	    !pvk_mfn_eq(pvk_pfn_to_mfn(pfn), pvk_mfn(mfn))) {
		pvk_err("suspend: %s: new mfn 0x%llx is pfn 0x%llx, it was pfn 0x%llx",
			what, (unsigned long long)mfn, (unsigned long long)pvk_pfn_raw(pfn),
			(unsigned long long)pvk_pfn_raw(was));
		step_failed(what, -PVK_XEN_EINVAL);
	}
}

/* Everything of the kit's that a new domain lost, CPU 0, upcalls masked. */
static void resume_new_domain(struct pvk_start_info *si, struct pvk_shared_info *s,
			      const struct saved_frames *f)
{
	long rc;

	map_shared_info(s, si->shared_info);
	/* First, so that a log line or panic of any later step reaches the
	 * new console (review s10-16 #9); the ring is at its pfn still. */
	pvk_xen_console_early_set_port(si->console.domU.evtchn);
	/* The MMU walks from its note of the L4 we run on, a machine frame:
	 * the toolstack put our L4 (same pfn) in a new one. */
	pvk_mmu_cpu_base_set(0, pvk_pfn_to_mfn(f->l4_pfn));
	replace_vcpu_info(s);
	pvk_time_rebase();
	stats.last_after_ns = pvk_time_now_ns();
	rc = pvk_p2m_republish(s);
	if (rc)
		step_failed("publishing the p2m frame lists in the new shared_info", rc);
	{
		const pvk_evtchn_port_t given[] = { si->store_evtchn, si->console.domU.evtchn };

		rc = pvk_evtchn_resume(given, PVK_ARRAY_SIZE(given));
	}
	if (rc)
		step_failed("event channels (the port table; FIFO control block and array)", rc);
	rc = pvk_time_resume(true);
	if (rc)
		step_failed("the one-shot timer (VIRQ_TIMER bound again)", rc);
	rc = pvk_xen_smp_resume();
	if (rc)
		step_failed("CPU 0's IPI port (EVTCHNOP_bind_ipi)", rc);
	/* The host's VIRQs and IPIs (pvkit/events.h, "After a resume"):
	 * a failure is logged by events/ and is the host's to see. */
	pvk_evtchn_rebind_all();
	rc = pvk_grant_resume();
	if (rc)
		step_failed("mapping the new grant table (GNTTABOP_setup_table)", rc);
	check_ring_moved(si->store_mfn, f->store_pfn, "the xenstore ring of the new start_info");
	check_ring_moved(si->console.domU.mfn, f->console_pfn,
			 "the console ring of the new start_info");
	rc = pvk_xs_resume(si->store_evtchn, &stats.lost_xs_requests);
	if (rc)
		step_failed("xenstore on the new port of start_info", rc);
#ifdef CONFIG_PVK_CONSOLE
	rc = pvk_console_resume(si->console.domU.evtchn);
	if (rc)
		step_failed("the console on the new port of start_info", rc);
#endif
}

static void resume_cancelled(struct pvk_start_info *si, struct pvk_shared_info *s,
			     const struct saved_frames *f)
{
	long rc;

	si->store_mfn = f->store_mfn;
	si->console.domU.mfn = f->console_mfn;
	map_shared_info(s, f->shared_info);
	pvk_time_rebase();
	stats.last_after_ns = pvk_time_now_ns();
	rc = pvk_time_resume(false);
	if (rc)
		step_failed("the clock after a cancelled suspend", rc);
	rc = pvk_grant_resume();
	if (rc)
		step_failed("mapping the grant table again (GNTTABOP_setup_table)", rc);
}

static long suspend_sequence(struct pvk_start_info *si, struct pvk_shared_info *s);

int pvk_suspend(void)
{
	struct pvk_start_info *si = host.start_info;
	struct pvk_shared_info *s = pvk_xen_shared_info();
	long rc;

	if (!registered || !s) {
		stats.refused++;
		return -PVK_XEN_ENODEV;
	}
	/* Before the host's before(), which suspend.h promises runs on CPU
	 * 0 and which takes "every other CPU" down from here (review s11-smp
	 * S2); pvk_smp_suspend_begin() checks it again. */
	if (pvk_port_cpu_id() != 0) {
		pvk_err("suspend: refused: asked on CPU %u; the kit suspends on CPU 0",
			pvk_port_cpu_id());
		stats.refused++;
		return -PVK_XEN_EINVAL;
	}
	if (__atomic_exchange_n(&busy, true, __ATOMIC_ACQ_REL)) {
		pvk_err("suspend: refused: a suspend is already under way");
		stats.refused++;
		return -PVK_XEN_EBUSY;
	}
	rc = suspend_sequence(si, s);
	__atomic_store_n(&busy, false, __ATOMIC_RELEASE);
	return (int)rc;
}

static long sequence_with_role(struct pvk_start_info *si, struct pvk_shared_info *s);

/* pvk_suspend()'s steps, once it may run: CPU 0, not re-entered. */
static long suspend_sequence(struct pvk_start_info *si, struct pvk_shared_info *s)
{
	long rc;

	/* 1: the host first, which may take the other CPUs offline
	 * (review s10-16 #1), then the kit's own rule */
	if (host.before && (rc = host.before(host.arg))) {
		pvk_err("suspend: refused by the host: %ld", rc);
		stats.refused++;
		/* "Nonzero refuses": a positive one must not read as
		 * PVK_SUSPEND_CANCELLED (review s10-16 #10). */
		return rc > 0 ? -PVK_XEN_EBUSY : rc;
	}
	/* Every CPU but this one, CPU 0, down, and none started until the
	 * resume is over (smp/: checked and held under its start lock). */
	rc = pvk_smp_suspend_begin();
	if (rc) {
		pvk_err("suspend: refused: the kit suspends on CPU 0 with every other CPU down (%ld)",
			rc);
		stats.refused++;
		if (host.after)
			host.after(PVK_SUSPEND_CANCELLED, host.arg);
		return rc;
	}
	/* The xenbus watch-worker role for the rest (review s11-int #1):
	 * the watches registered again at a resume fire at once, and each
	 * frontend must forget its old backend (its part's resume) before
	 * any callback of its runs. Taken only now, with no other CPU
	 * running (review s12 N9): a host thread of another CPU waiting for
	 * the role (a driver's registration, a wait for a device) would
	 * keep before() from moving it off that CPU until its wait ended.
	 * From the control watch the caller holds the role already and this
	 * nests: on that path (xl save) the role is held during before() all
	 * the same, and such a waiting thread still keeps before() waiting
	 * (review s13 S2). A host calling pvk_suspend() itself waits for it
	 * here, but then watch callbacks may run during before() and the
	 * check above: one bringing a CPU up (CPU hotplug) makes that check
	 * refuse, after(CANCELLED) (S3). The role is per CPU: a blocked
	 * holder that entered on CPU 0 is nested on, not waited for (N9).
	 * The wait is spent with the other CPUs down already (N10). */
	rc = pvk_xenbus_worker_enter(WORKER_WAIT_NS);
	if (rc) {
		pvk_err("suspend: refused: the xenbus worker role is busy: %ld", rc);
		stats.refused++;
		pvk_smp_suspend_end(false);
		if (host.after)
			host.after(PVK_SUSPEND_CANCELLED, host.arg);
		return rc;
	}
	rc = sequence_with_role(si, s);
	pvk_xenbus_worker_leave();
	return rc;
}

/* The steps from the parts' quiesce on: the worker role held, no other
 * CPU up. */
static long sequence_with_role(struct pvk_start_info *si, struct pvk_shared_info *s)
{
	struct pvk_sched_shutdown arg = { .reason = PVK_SHUTDOWN_suspend };
	struct saved_frames f;
	enum pvk_suspend_result result;
	unsigned long flags;
	uint64_t si_mfn;
	long rc;

	/* 2 */
	(void)parts_out();
	for (struct pvk_suspend_part *p = parts; p; p = p->next)
		if (p->quiesce)
			p->quiesce(p->arg);
	/* 2b: xenstore answers what it has and starts nothing new
	 * (review s10-16 #4); a message it cannot finish refuses. */
	if (pvk_xs_suspend(PVK_XS_SUSPEND_WAIT_NS)) {
		pvk_err("suspend: refused: xenstore cannot be quiesced");
		stats.refused++;
		pvk_smp_suspend_end(false);	/* CPU starts allowed again */
		for (struct pvk_suspend_part *p = parts; p; p = p->next)
			if (p->resume)
				p->resume(PVK_SUSPEND_CANCELLED, p->arg);
		parts_back();
		if (host.after)
			host.after(PVK_SUSPEND_CANCELLED, host.arg);
		return -PVK_XEN_EBUSY;
	}
	/* 4: published since pvk_suspend_init(), current as the p2m grew */
	if (!pvk_p2m_published())
		step_failed("the p2m frame lists the toolstack reads are not published",
			    -PVK_XEN_ENODEV);
	si_mfn = pvk_mfn_raw(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(si)));
	pvk_info("suspend: suspending (start_info mfn 0x%llx)", (unsigned long long)si_mfn);
	/* 3 */
	flags = pvk_irq_save();
	pvk_xen_console_flush();
	/* 5 */
	rc = pvk_grant_suspend();
	if (rc)
		step_failed("unmapping the grant table", rc);
	canonicalise(si, &f);
	f.l4_pfn = pvk_mfn_to_pfn(pvk_mmu_kernel_base());
	pvk_time_suspend();
	stats.last_before_ns = pvk_time_now_ns();
	unmap_shared_info(s);
	/* 7: the one hypercall that needs %rdx, made here rather than
	 * through a wrapper of hypercall/. */
	stats.suspends++;
	rc = pvk_hypercall3(PVK_HYPERVISOR_sched_op, PVK_SCHEDOP_shutdown, &arg, si_mfn);
	if (rc == 0) {
		result = PVK_SUSPEND_RESUMED;
		resume_new_domain(si, s, &f);
		stats.resumed++;
	} else {
		/* 1: cancelled or checkpointed. Anything else is Xen refusing:
		 * nothing was saved, the domain is ours as before. */
		result = PVK_SUSPEND_CANCELLED;
		resume_cancelled(si, s, &f);
		stats.cancelled++;
	}
	stats.last_downtime_ns = stats.last_after_ns - stats.last_before_ns;
	pvk_restore_fl(flags);
	if (result == PVK_SUSPEND_CANCELLED)
		pvk_xs_suspend_cancel();	/* the held requests go on */
	if (rc < 0)
		pvk_err("suspend: SCHEDOP_shutdown(SHUTDOWN_suspend) refused by Xen: %ld; going on in this domain",
			rc);
	pvk_info("suspend: %s after %llu us by the kit's clock",
		 result == PVK_SUSPEND_RESUMED ? "resumed in a new domain" : "cancelled, same domain",
		 (unsigned long long)(stats.last_downtime_ns / 1000));
	/* New domain: the other CPUs are set up from scratch at their next
	 * start; either way they may be started again from here on. */
	pvk_smp_suspend_end(result == PVK_SUSPEND_RESUMED);
	for (struct pvk_suspend_part *p = parts; p; p = p->next)
		if (p->resume)
			p->resume(result, p->arg);
	/* The watches after the parts: each is one round trip, and the
	 * frontends' new rings are published first, so their backends
	 * connect meanwhile (a frontend moves its own backend watch: it is
	 * listed again here, EEXIST being success). Each fires once as it
	 * is registered again: its current state is delivered (not every
	 * state it passed through meanwhile, review s13 N3). */
	if (result == PVK_SUSPEND_RESUMED) {
		int failed = pvk_xs_rewatch_all();

		/* One watch xenstored refuses (its quota, say) is its owner's
		 * loss, not the guest's: logged by name above, its callback
		 * never fires again, the guest runs on (review s12 N7). */
		if (failed)
			pvk_err("suspend: %d xenstore watches not registered again (named above): their owners hear no more events; the guest goes on",
				failed);
		if (stats.lost_xs_requests)
			pvk_warn("suspend: %llu xenstore requests were lost with the old domain (failed with EIO)",
				 (unsigned long long)stats.lost_xs_requests);
	}
	parts_back();
	if (host.after)
		host.after(result, host.arg);
	return (long)result;
}

bool pvk_suspend_request(void)
{
	int rc;

	if (!registered)
		return false;
	rc = pvk_suspend();
	if (rc < 0)
		pvk_err("suspend: not carried out: %d", rc);
	return true;
}

/*
 * pvkit/suspend.h - suspend and resume of the whole guest: `xl save`,
 * `xl restore`, `xl save -c` (checkpoint), and the PV ABI behind them.
 *
 * The toolstack asks by writing "suspend" to control/shutdown. The kit
 * (frontends/control) takes the request and, when the host registered
 * with pvk_suspend_init(), runs pvk_suspend() from that watch callback
 * (thread context, the xenstore watch worker). Without a registration the
 * request is refused as before: logged, and the host's control handler
 * told PVK_CONTROL_SUSPEND.
 *
 * The host's part, two callbacks:
 *   before(arg)  thread context, irqs on, CPU 0. Quiesce the kernel:
 *                take every other CPU offline through the kit (its
 *                scheduler's work moved away first) or simply agree.
 *                Nonzero refuses the suspend (the kit logs it; the
 *                domain goes on; pvk_suspend() returns it, a positive
 *                value as -PVK_XEN_EBUSY). After it returns the kit's
 *                parts quiesce, irqs still on (steps 2, 2b); then upcalls
 *                are masked on CPU 0 from step 3 until the kit's own
 *                resume is done, and unmasked again before the xenstore
 *                watches are registered again (after the parts are told) and
 *                after() runs.
 *                The xenbus worker role (step 1b) during before():
 *                - on the kit's own path (`xl save`: the control watch's
 *                  callback runs pvk_suspend()) it is already held, by
 *                  that callback: a host thread of another CPU waiting
 *                  for it (a driver's registration, a wait_connected
 *                  give-up, pvk_xenbus_worker_enter()) keeps waiting
 *                  its own bound, and before() cannot move it off its
 *                  CPU until that wait ends;
 *                - on a host's own call it is free: xenbus watch
 *                  callbacks may run during before() and step 1's
 *                  check. One that undoes before()'s work (a CPU-
 *                  hotplug callback following cpu/N/availability that
 *                  brings a CPU up) makes the check refuse the suspend:
 *                  -EBUSY, after(CANCELLED).
 *   after(result, arg)
 *                thread context, irqs on again, every kit part back,
 *                the xenbus worker role still held (see pvk_suspend()):
 *                no watch callback is run by background work before
 *                pvk_suspend() returns, so a wait in after() for what a
 *                callback does (a disk or vif reconnecting) waits its
 *                whole timeout unless it runs the callbacks itself
 *                (pvk_xs_wait_watches(), as pvk_blkfront_wait_connected()
 *                does). Then:
 *                PVK_SUSPEND_RESUMED (a new domain: devices must
 *                reconnect; the host's interdomain and unbound event
 *                channels are gone, its VIRQs and IPIs of vCPU 0 bound
 *                again under new numbers: pvkit/events.h, "After a
 *                resume") or PVK_SUSPEND_CANCELLED (the same domain goes
 *                on, as after `xl save -c`: nothing was lost).
 *
 * The kit's ordered sequence (suspend/suspend.c; each step that Xen or
 * the toolstack refuses panics with the step's name, since a half
 * suspended kernel cannot go on):
 *   1. before() (it takes the other CPUs offline: pvkit/smp.h's
 *      pvk_smp_cpu_die_here() on each); then, under smp's start lock,
 *      the kit checks that it runs on CPU 0 and every other CPU is down
 *      (never started, or stopped and seen down by Xen; one still on
 *      its way down is waited for, bounded), and refuses every CPU
 *      start until the resume is over. A CPU not down refuses the
 *      suspend (-EBUSY, the CPU named in the log), and after(CANCELLED)
 *      undoes what before() did;
 *   1b. the xenbus worker role taken, held to the end (after() included):
 *      nested on the control watch's, else waited for up to 10 s, the
 *      other CPUs already down meanwhile; still busy: refused, CPU starts
 *      allowed again, after(CANCELLED). The role is held per CPU
 *      (xs_watch.c): after before() every host thread runs on CPU 0, so
 *      a host thread that entered the role on CPU 0 and is blocked makes
 *      this nest on its hold rather than wait for it to end;
 *   2. the registered parts told to quiesce (pvk_suspend_register(): the
 *      frontends' hook, walked newest first, for the resume too (a
 *      host's part registered after a frontend's runs before it at both
 *      ends: it quiesces a live frontend and resumes a still-saved one,
 *      quiesced on its old rings; the frontend registered last is the
 *      first to publish its new rings): blkfront and netfront each
 *      register one, blkfront_suspend.c and netfront_suspend.c);
 *   2b. xenstore quiesced (pvk_xs_suspend(), pvkit/xenstore.h): new
 *      requests held until the resume (but those of a transaction open
 *      then: its requests and its end go on, so that it can end), the
 *      outstanding ones answered and open transactions ended (bounded:
 *      PVK_XS_SUSPEND_WAIT_NS, logged
 *      when it gives up: requests read and not answered then fail with
 *      EIO in a new domain although they may have been carried out),
 *      nothing new started in the ring; a message it cannot finish, or
 *      bytes xenstored does not read, refuse the suspend (parts
 *      resume(CANCELLED), after(CANCELLED), -PVK_XEN_EBUSY);
 *   3. upcalls masked, the console drained, the kit's clock noted;
 *   4. the p2m frame lists the toolstack reads checked published (by
 *      pvk_suspend_init(): the toolstack reads them before it asks);
 *   5. what the toolstack must not find in our page tables unmapped:
 *      Xen's grant table frames and shared_info (its page gets back the
 *      frame that backs it in our memory);
 *   6. start_info's store and console frames turned into pfns (the
 *      toolstack turns them back into the new domain's mfns);
 *   7. SCHEDOP_shutdown(SHUTDOWN_suspend) with start_info's mfn as the
 *      third argument (%rdx), as xen/include/public/sched.h asks of a PV
 *      guest. It returns 0 in a new domain, 1 when cancelled.
 *
 * Why offline and not parked online: the toolstack saves only the vCPUs
 * that are up, and a vCPU saved running kit code would need its
 * vcpu_info, ports and control block re-registered under it (Linux's
 * xen_vcpu_restore); taken down through the kit there is nothing of it
 * to save and one path for both outcomes: the new domain has it
 * uninitialised, so the kit forgets it (smp.h, pvk_smp_suspend_end())
 * and its next start initialises it again (VCPUOP_initialise, its
 * vcpu_info, FIFO control block, VIRQ_TIMER and IPI port); cancelled, it
 * is down in the same domain and VCPUOP_up wakes it as after any stop.
 *
 * Resumed in a new domain: shared_info mapped again from start_info, the
 * early console on start_info's new port (so a later step's log line or
 * panic reaches it), the MMU's note of the L4 we run on turned into its
 * new machine frame,
 * vCPU 0's vcpu_info registered again (if the kit had moved it), the
 * clock re-based (pvk_time_resume(): never behind what it said before),
 * the p2m frame lists rebuilt with the new mfns and published again, the
 * event channel table reset (FIFO control block and event array given to
 * Xen again; every old port number stale), VIRQ_TIMER and CPU 0's IPI
 * bound again, then every other VIRQ and IPI of vCPU 0 the kit had bound
 * (pvk_evtchn_rebind_all()), the grant table mapped again, xenstore and
 * the console on start_info's new ports (the rings stay at their pfns;
 * xenstore's last answers delivered, what the old xenstored never
 * answered failed with EIO, the held requests sent), upcalls unmasked,
 * CPU starts allowed again (pvk_smp_suspend_end(true)), the parts told
 * (resume(RESUMED): the frontends publish their new rings first, so the
 * backends connect meanwhile), every xenstore watch registered again
 * (each fires once: the balloon re-reads its target, xenbus re-reads its
 * devices; one xenstored refuses is logged by its path and its owner
 * hears no more of it, the guest goes on), then after().
 * Cancelled: shared_info and the grant table mapped again at the same
 * frames, start_info's frames back to mfns, upcalls unmasked, xenstore's
 * held requests sent, CPU starts allowed again (pvk_smp_suspend_end(false)),
 * the parts told (resume(CANCELLED)), after(). The parts' resume and
 * after() run with the xenbus worker role held: no xenbus callback runs
 * before they return (but those they run themselves).
 *
 * Live migration (`xl migrate`) ends with this same sequence: the
 * toolstack copies the memory while the guest runs, Xen's log-dirty mode
 * telling it which pages to send again, and asks for the suspend for the
 * last round. Nothing more is asked of the guest (the toolstack's PV save,
 * read, not copied): a page table it reads while the guest runs that
 * names a frame not in the p2m (the grant table, shared_info) is only put
 * off to the paused round, by which step 5 has unmapped those; the p2m
 * frame lists are read once, as the save starts (so the p2m must not
 * change during a migration: no ballooning then). Xen gives log-dirty mode
 * to a PV domain only with shadow paging built in (without it the enable
 * fails with EOPNOTSUPP before the guest is asked anything): the reference
 * Xen of tests/xen (Debian's 4.17) has none, so scenario guest-migrate
 * runs on the same Xen rebuilt with shadow paging (tests/xen/xen-shadow.sh)
 * and proves the live rounds there.
 *
 * Either way CPU starts are allowed again before the parts' resume, and
 * the host's after() starts its CPUs again.
 *
 * Not yet: the frontends' suspend with the Linux modules (ports/linux).
 */
#ifndef PVKIT_SUSPEND_H
#define PVKIT_SUSPEND_H

#include <pvkit/types.h>

struct pvk_start_info;

enum pvk_suspend_result {
	PVK_SUSPEND_RESUMED = 0,	/* in a new domain */
	PVK_SUSPEND_CANCELLED = 1,	/* the same domain goes on */
};

struct pvk_suspend_host {
	/* The host's start_info (what Xen passed at boot; the kit writes
	 * its store and console frames around the hypercall). */
	struct pvk_start_info *start_info;
	int (*before)(void *arg);
	void (*after)(enum pvk_suspend_result result, void *arg);
	void *arg;
};

/* Registers the host's callbacks (once; -EBUSY after), publishes the p2m
 * frame lists in shared_info (pvk_p2m_publish(): the toolstack reads them
 * as the save starts) and tells the toolstack we answer suspend
 * (control/feature-suspend). Needs xenstore. */
int pvk_suspend_init(const struct pvk_suspend_host *host);
bool pvk_suspend_available(void);

/*
 * The whole sequence above; thread context, irqs on, CPU 0, not inside
 * a xenstore request. Returns PVK_SUSPEND_RESUMED or
 * PVK_SUSPEND_CANCELLED, or a negative errno when it did not suspend:
 * -ENODEV (no host registered), -EINVAL (not on CPU 0: checked before
 * before(), which is then not called, nor after()), -EBUSY (a suspend
 * already under way, also from inside before(), a part's hook or
 * after(): neither callback is called for it; or another CPU not down
 * after before(): then after(CANCELLED)), the host's refusal (no
 * after()).
 * -ETIMEDOUT: the xenbus worker role, which the sequence holds so that
 * no xenbus callback runs before the parts' resume, kept 10 s by another
 * holder; the role is taken once every other CPU is down, after
 * before(), so then after(CANCELLED). From the control watch (the kit's
 * own call) the role is already held and this nests.
 */
int pvk_suspend(void);

/*
 * A part of the kit (a frontend) that must act around a suspend: quiesce
 * before it (keep in-flight requests; irqs on), resume after it (in a new
 * domain: reconnect; cancelled: go on). resume runs in thread context
 * with the xenbus worker role held, before after(): it must not wait for
 * its own xenbus watch callbacks, which run after pvk_suspend() returns.
 * Static storage; registered once.
 */
struct pvk_suspend_part {
	const char *name;
	void (*quiesce)(void *arg);
	void (*resume)(enum pvk_suspend_result result, void *arg);
	void *arg;
	struct pvk_suspend_part *next;	/* the kit's */
};
int pvk_suspend_register(struct pvk_suspend_part *part);

struct pvk_suspend_stats {
	uint64_t suspends;		/* hypercalls made */
	uint64_t resumed;		/* ... that returned in a new domain */
	uint64_t cancelled;		/* ... that returned cancelled */
	uint64_t refused;		/* requests not carried out */
	/* The last one, by the kit's clock: from just before the hypercall
	 * to just after it (the time the guest did not run, as far as its
	 * clock can tell). */
	uint64_t last_downtime_ns;
	uint64_t last_before_ns, last_after_ns;
	/* xenstore requests failed (EIO) by the last resume in a new
	 * domain: taken by the old xenstored and never answered, or in a
	 * transaction of before. */
	uint64_t lost_xs_requests;
};
void pvk_suspend_get_stats(struct pvk_suspend_stats *out);

/* ---- between the kit's parts (hosts do not call these) ------------- */

/* The time the registered parts have spent quiesced, summed over every
 * suspend so far (kit clock, from their quiesce to the end of their
 * resume; refused and cancelled ones too). A frontend's bounded host wait
 * moves its deadline on by what this grew during the wait (blkfront's
 * rw_sync): the downtime is no backend's fault, and periodic checkpoints
 * extend the wait only by what they took. Any context. */
uint64_t pvk_suspend_parts_out_ns(void);

/* frontends/control: "suspend" arrived. True when the kit handled it
 * (pvk_suspend() ran or was refused by it); false: no host registered. */
bool pvk_suspend_request(void);

#endif /* PVKIT_SUSPEND_H */

/*
 * tests/guest/lock.c - pvk_port_lock(): spin locks with interrupts off,
 * correct on several CPUs.
 *
 * Taking a lock saves the interrupt state and disables interrupts through
 * the kit's irq ops (pvk_irq_save(): on Xen the evtchn_upcall_mask byte of
 * the calling vCPU's vcpu_info), then takes the spin lock with an atomic
 * exchange (acquire); unlocking releases it (release store) and restores
 * the saved state (pvk_restore_fl(), which on Xen also forces an upcall
 * that became pending while masked). The saved state lives in the lock: it
 * is written only by the holder, after it got the lock.
 *
 * A lock also records its holder's CPU, so that the two ways a spin lock
 * hangs a kernel are reported instead:
 * - the caller already holds it (with interrupts off nobody else can ever
 *   release it): panic at once, naming the CPU;
 * - another CPU holds it for more than LOCK_TIMEOUT_NS of guest time (a
 *   holder that died, or a lock never released): panic naming the holder.
 * The kit holds its locks for short stretches only, so seconds mean a bug.
 *
 * Before shared_info is mapped on Xen the irq ops cannot run yet (they
 * panic), and nothing can interrupt us either (no event callback, upcalls
 * masked by Xen's start state): the lock is then taken without them, so
 * the heap and the page allocator can lock from the first instruction.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>

#include "guest.h"

#define LOCK_TIMEOUT_NS		(3ULL * 1000 * 1000 * 1000)
/* The clock is read every this many spins (a pause is ~100 cycles). */
#define LOCK_CLOCK_EVERY	1024
/* If the clock does not move (no pvops clock yet), give up after this. */
#define LOCK_MAX_SPINS		(1UL << 30)
#define NO_OWNER		0xffffffffu

struct guest_lock {
	uint32_t locked;	/* 0 free, 1 held */
	uint32_t magic;		/* GUEST_LOCK_MAGIC (guest.h's initialiser) */
	unsigned long saved_flags;	/* pvk_save_fl() before pvk_port_lock() */
	uint32_t owner;		/* the holder's CPU, NO_OWNER when free */
	uint32_t unused;
	const void *owner_ip;	/* where the holder took it (the panic says) */
};

PVK_BUILD_BUG_ON(sizeof(struct guest_lock) > sizeof(struct pvk_lock));
/* GUEST_LOCK_INIT (guest.h) writes these words by position. */
PVK_BUILD_BUG_ON(__builtin_offsetof(struct guest_lock, magic) != 4);
PVK_BUILD_BUG_ON(__builtin_offsetof(struct guest_lock, owner) != 2 * sizeof(unsigned long));
PVK_BUILD_BUG_ON(PVK_MAX_CPUS >= NO_OWNER);

static struct guest_lock *guest_lock(struct pvk_lock *lock)
{
	struct guest_lock *l = (struct guest_lock *)lock->opaque;

	if (l->magic != GUEST_LOCK_MAGIC)
		pvk_port_panic("pvk_port_lock: lock not initialised with pvk_port_lock_init()");
	return l;
}

void pvk_port_lock_init(struct pvk_lock *lock)
{
	struct guest_lock *l = (struct guest_lock *)lock->opaque;

	memset(lock, 0, sizeof(*lock));
	l->magic = GUEST_LOCK_MAGIC;
	l->owner = NO_OWNER;
}

/* The irq ops work (the world says: Xen once shared_info is known). */
static bool irq_ops_ready(void)
{
	return guest_world->irq_ops_ready();
}

static __pvk_noreturn void lock_panic(const char *what, const struct guest_lock *l,
				      unsigned int me, const void *ip)
{
	static char msg[192];
	unsigned long off_h = 0, off_c = 0;
	const void *owner_ip = PVK_READ_ONCE(l->owner_ip);
	const char *fn_h = guest_symbol((unsigned long)owner_ip, &off_h);
	const char *fn_c = guest_symbol((unsigned long)ip, &off_c);

	pvk_snprintf(msg, sizeof(msg),
		     "pvk_port_lock: %s: CPU %u wants %p (from %s+0x%lx), held by CPU %u (from %s+0x%lx)",
		     what, me, (const void *)l, fn_c ? fn_c : "?", off_c,
		     (unsigned int)PVK_READ_ONCE(l->owner), fn_h ? fn_h : "?", off_h);
	pvk_port_panic(msg);
}

/* noinline: __builtin_return_address(0) is then pvk_port_lock()'s caller. */
__attribute__((noinline)) void pvk_port_lock(struct pvk_lock *lock)
{
	struct guest_lock *l = guest_lock(lock);
	const void *ip = __builtin_return_address(0);
	unsigned long flags = irq_ops_ready() ? pvk_irq_save() : 0;
	unsigned int me = pvk_port_cpu_id();
	unsigned long spins = 0;
	uint64_t start = 0;

	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		/* Only this CPU writes its own number there while holding. */
		if (PVK_READ_ONCE(l->owner) == me)
			lock_panic("recursive locking", l, me, ip);
		/* Spin on a plain read: the exchange's cache-line traffic
		 * would slow the holder. */
		while (PVK_READ_ONCE(l->locked)) {
			__asm__ __volatile__("pause" ::: "memory");
			if (++spins % LOCK_CLOCK_EVERY)
				continue;
			if (!start)
				start = guest_now_ns();
			else if (guest_now_ns() - start > LOCK_TIMEOUT_NS)
				lock_panic("held for more than 3 s", l, me, ip);
			if (spins > LOCK_MAX_SPINS)
				lock_panic("held and never released", l, me, ip);
		}
	}
	l->saved_flags = flags;
	PVK_WRITE_ONCE(l->owner_ip, ip);
	PVK_WRITE_ONCE(l->owner, me);
}

bool guest_lock_held(struct pvk_lock *lock)
{
	return PVK_READ_ONCE(guest_lock(lock)->locked) != 0;
}

void pvk_port_unlock(struct pvk_lock *lock)
{
	struct guest_lock *l = guest_lock(lock);
	unsigned long flags = l->saved_flags;
	unsigned int me = pvk_port_cpu_id();

	if (!PVK_READ_ONCE(l->locked))
		pvk_port_panic("pvk_port_unlock: lock is not held");
	if (PVK_READ_ONCE(l->owner) != me)
		lock_panic("unlock by another CPU than the holder", l, me,
			   __builtin_return_address(0));
	PVK_WRITE_ONCE(l->owner, NO_OWNER);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	if (irq_ops_ready())
		pvk_restore_fl(flags);
}

/*
 * tests/guest/lock.c - pvk_port_lock(): spin locks with interrupts off.
 *
 * Taking a lock saves the interrupt state and disables interrupts through
 * the kit's irq ops (pvk_irq_save(): on Xen the evtchn_upcall_mask byte of
 * this vCPU's vcpu_info), then takes the spin lock; unlocking releases the
 * lock and restores the saved state (pvk_restore_fl(), which on Xen also
 * forces an upcall that became pending while masked).
 *
 * Single vCPU with upcalls masked: a lock found held can never be
 * released, so after a bounded spin we panic with the reason instead of
 * hanging.
 */
#include <pvkit/port.h>
#include <pvkit/pvops.h>

#include "guest.h"

#define LOCK_MAGIC	0x4c4f434bu	/* "LOCK": catches uninitialised locks */
#define LOCK_MAX_SPINS	(10UL * 1000 * 1000)

struct guest_lock {
	uint32_t locked;	/* 0 free, 1 held */
	uint32_t magic;
	unsigned long saved_flags;	/* pvk_save_fl() before pvk_port_lock() */
};

PVK_BUILD_BUG_ON(sizeof(struct guest_lock) > sizeof(struct pvk_lock));

static struct guest_lock *guest_lock(struct pvk_lock *lock)
{
	struct guest_lock *l = (struct guest_lock *)lock->opaque;

	if (l->magic != LOCK_MAGIC)
		pvk_port_panic("pvk_port_lock: lock not initialised with pvk_port_lock_init()");
	return l;
}

void pvk_port_lock_init(struct pvk_lock *lock)
{
	struct guest_lock *l = (struct guest_lock *)lock->opaque;

	memset(lock, 0, sizeof(*lock));
	l->magic = LOCK_MAGIC;
}

void pvk_port_lock(struct pvk_lock *lock)
{
	struct guest_lock *l = guest_lock(lock);
	unsigned long flags = pvk_irq_save();
	unsigned long spins = 0;

	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		if (++spins > LOCK_MAX_SPINS)
			pvk_port_panic("pvk_port_lock: lock held and never released (recursive locking?)");
		__asm__ __volatile__("pause" ::: "memory");
	}
	l->saved_flags = flags;
}

bool guest_lock_held(struct pvk_lock *lock)
{
	return PVK_READ_ONCE(guest_lock(lock)->locked) != 0;
}

void pvk_port_unlock(struct pvk_lock *lock)
{
	struct guest_lock *l = guest_lock(lock);
	unsigned long flags = l->saved_flags;

	if (!PVK_READ_ONCE(l->locked))
		pvk_port_panic("pvk_port_unlock: lock is not held");
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	pvk_restore_fl(flags);
}

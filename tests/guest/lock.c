/*
 * tests/guest/lock.c - pvk_port_lock(): spin locks that mask event upcalls.
 *
 * On a PV guest "interrupts off" means event upcalls masked: the
 * evtchn_upcall_mask byte of this vCPU's vcpu_info in shared_info (Xen
 * reads it before delivering an upcall). Taking a lock saves that byte,
 * sets it, then takes the spin lock; unlocking releases the lock and
 * restores the saved byte. This is the plain version; the kit's pvops irq
 * operations will provide the same service later.
 *
 * Unmasking does not by itself deliver an upcall that became pending while
 * masked: Xen only looks on its way back to the guest, so after restoring
 * mask 0 with an upcall pending we make a cheap hypercall (as Linux does
 * with xen_version). This guest registers no event callback and keeps
 * upcalls masked for good (shared_info.c), so here the saved byte is
 * always 1; a kernel with an upcall handler gets the general behaviour.
 *
 * Single vCPU with upcalls masked: a lock found held can never be
 * released, so after a bounded spin we panic with the reason instead of
 * hanging.
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/xen/version.h>

#include "guest.h"

#define LOCK_MAGIC	0x4c4f434bu	/* "LOCK": catches uninitialised locks */
#define LOCK_MAX_SPINS	(10UL * 1000 * 1000)

struct guest_lock {
	uint32_t locked;	/* 0 free, 1 held */
	uint32_t magic;
	uint8_t saved_mask;	/* upcall mask before pvk_port_lock() */
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
	struct pvk_vcpu_info *v = guest_vcpu0();
	uint8_t was = PVK_READ_ONCE(v->evtchn_upcall_mask);
	unsigned long spins = 0;

	PVK_WRITE_ONCE(v->evtchn_upcall_mask, 1);
	pvk_barrier();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		if (++spins > LOCK_MAX_SPINS)
			pvk_port_panic("pvk_port_lock: lock held and never released (recursive locking?)");
		__asm__ __volatile__("pause" ::: "memory");
	}
	l->saved_mask = was;
}

bool guest_lock_held(struct pvk_lock *lock)
{
	return PVK_READ_ONCE(guest_lock(lock)->locked) != 0;
}

void pvk_port_unlock(struct pvk_lock *lock)
{
	struct guest_lock *l = guest_lock(lock);
	struct pvk_vcpu_info *v = guest_vcpu0();
	uint8_t mask = l->saved_mask;

	if (!PVK_READ_ONCE(l->locked))
		pvk_port_panic("pvk_port_unlock: lock is not held");
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	pvk_barrier();
	PVK_WRITE_ONCE(v->evtchn_upcall_mask, mask);
	pvk_barrier();
	if (!mask && PVK_READ_ONCE(v->evtchn_upcall_pending))
		pvk_hyp_xen_version(PVK_XENVER_version, NULL);
}

/*
 * ports/linux/port.c - pvkit/port.h on Linux: memory, locks, waits, log,
 * panic, CPU number and time, for the kit's frontends inside Linux modules.
 *
 * The kit may call any of these with interrupts off or from an event handler
 * (a Linux hard-irq handler here), so nothing below sleeps except
 * pvk_port_wait_until(), which the kit calls from thread context only.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/build_bug.h>	/* static_assert */

#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "port_linux.h"

/*
 * The kit's error numbers are Xen's, and Xen's are Linux's: errors pass
 * between the two unchanged. Checked for those the glue passes on.
 */
static_assert(PVK_XEN_ENOENT == ENOENT && PVK_XEN_EIO == EIO &&
	      PVK_XEN_E2BIG == E2BIG && PVK_XEN_EAGAIN == EAGAIN &&
	      PVK_XEN_ENOMEM == ENOMEM && PVK_XEN_EBUSY == EBUSY &&
	      PVK_XEN_EEXIST == EEXIST && PVK_XEN_ENODEV == ENODEV &&
	      PVK_XEN_EINVAL == EINVAL && PVK_XEN_ENOSPC == ENOSPC &&
	      PVK_XEN_ERANGE == ERANGE && PVK_XEN_ENOSYS == ENOSYS &&
	      PVK_XEN_ETIMEDOUT == ETIMEDOUT && PVK_XEN_EACCES == EACCES &&
	      PVK_XEN_EPERM == EPERM && PVK_XEN_ENXIO == ENXIO);

/* ---- Memory ---------------------------------------------------------- */

/*
 * The contract allows any context, and Linux cannot always tell an atomic
 * one (a caller's rcu_read_lock() or spin lock is invisible without
 * PREEMPT_COUNT), so these never sleep: GFP_ATOMIC. The kit reports NULL to
 * its caller, which gives up cleanly.
 */
void *pvk_port_alloc_page(void)
{
	return (void *)get_zeroed_page(GFP_ATOMIC | __GFP_NOWARN);
}

void pvk_port_free_page(void *page)
{
	if (page)
		free_page((unsigned long)page);
}

void *pvk_port_malloc(size_t size)
{
	return kmalloc(size, GFP_ATOMIC | __GFP_NOWARN);
}

void pvk_port_free(void *ptr)
{
	kfree(ptr);
}

/* ---- Logging --------------------------------------------------------- */

/*
 * lib/log.c hands whole lines "pvkit: [error: |warning: ]text\n"; the tag
 * picks the printk level so dmesg's filters work.
 */
void pvk_port_log_write(const char *text, size_t len)
{
	int n = (int)min_t(size_t, len, INT_MAX);

	if (len >= 13 && !memcmp(text, "pvkit: error:", 13))
		printk(KERN_ERR "%.*s", n, text);
	else if (len >= 15 && !memcmp(text, "pvkit: warning:", 15))
		printk(KERN_WARNING "%.*s", n, text);
	else if (len >= 13 && !memcmp(text, "pvkit: debug:", 13))
		printk(KERN_DEBUG "%.*s", n, text);
	else
		printk(KERN_INFO "%.*s", n, text);
}

void pvk_port_panic(const char *msg)
{
	panic("pvkit: %s\n", msg);
}

/* ---- Locks ----------------------------------------------------------- */

/* A Linux spin lock and the irq flags its holder saved, in the kit's storage. */
struct pvk_linux_lock {
	spinlock_t lock;
	unsigned long flags;
};

/*
 * The kit keeps its locks and wait queues in its own storage (port.h), and
 * a Linux spinlock_t and wait_queue_head_t live there. A kernel with lock
 * debugging (CONFIG_DEBUG_SPINLOCK, lockdep's CONFIG_DEBUG_LOCK_ALLOC)
 * makes them bigger than that storage; such a kernel is refused at build
 * time, with this reason. A pointer to a kmalloc'd lock instead would need
 * an allocation in pvk_port_lock_init(), which may run with irqs off and
 * cannot fail, and a free the kit has no call for: every lock would leak.
 */
static_assert(sizeof(struct pvk_linux_lock) <= sizeof(struct pvk_lock) &&
	      __alignof__(struct pvk_linux_lock) <= __alignof__(struct pvk_lock),
	      "pvk-xen: this kernel's spinlock_t does not fit struct pvk_lock (lock debugging on?): build against a kernel without CONFIG_DEBUG_SPINLOCK/CONFIG_DEBUG_LOCK_ALLOC");
static_assert(sizeof(wait_queue_head_t) <= sizeof(struct pvk_wait) &&
	      __alignof__(wait_queue_head_t) <= __alignof__(struct pvk_wait),
	      "pvk-xen: this kernel's wait_queue_head_t does not fit struct pvk_wait (lock debugging on?): build against a kernel without CONFIG_DEBUG_SPINLOCK/CONFIG_DEBUG_LOCK_ALLOC");

static struct pvk_linux_lock *linux_lock(struct pvk_lock *lock)
{
	return (struct pvk_linux_lock *)lock;
}

void pvk_port_lock_init(struct pvk_lock *lock)
{
	struct pvk_linux_lock *l = linux_lock(lock);

	spin_lock_init(&l->lock);
	l->flags = 0;
}

void pvk_port_lock(struct pvk_lock *lock) __acquires(lock)
{
	struct pvk_linux_lock *l = linux_lock(lock);
	unsigned long flags;

	spin_lock_irqsave(&l->lock, flags);
	/* Only the holder writes or reads it: safe under the lock. */
	l->flags = flags;
}

void pvk_port_unlock(struct pvk_lock *lock) __releases(lock)
{
	struct pvk_linux_lock *l = linux_lock(lock);

	spin_unlock_irqrestore(&l->lock, l->flags);
}

/* ---- CPUs ------------------------------------------------------------ */

/* The caller keeps itself on this CPU where it matters (port.h). */
unsigned int pvk_port_cpu_id(void)
{
	return raw_smp_processor_id();
}

/* ---- Waiting --------------------------------------------------------- */

static wait_queue_head_t *linux_wait(struct pvk_wait *w)
{
	return (wait_queue_head_t *)w;
}

void pvk_port_wait_init(struct pvk_wait *w)
{
	init_waitqueue_head(linux_wait(w));
}

/*
 * Jiffies round up, so a wait is never shorter than asked; the division
 * comes first, so a timeout near UINT64_MAX ("as long as it takes", e.g.
 * a deadline of UINT64_MAX minus now) stays long instead of wrapping to 0.
 * Capped below MAX_SCHEDULE_TIMEOUT, which would mean "no bound".
 */
long pvk_linux_timeout_ticks(uint64_t timeout_ns)
{
	u64 rem, ticks = div64_u64_rem(timeout_ns, NSEC_PER_SEC / HZ, &rem);

	ticks += rem != 0;
	return ticks >= MAX_SCHEDULE_TIMEOUT ? MAX_SCHEDULE_TIMEOUT - 1 : (long)ticks;
}

/*
 * wait_event_timeout() checks cond before sleeping and after every wake,
 * so a wake that came first is not lost.
 */
int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg), void *arg,
			uint64_t timeout_ns)
{
	long left;

	if (cond(arg))
		return 0;
	left = wait_event_timeout(*linux_wait(w), cond(arg), pvk_linux_timeout_ticks(timeout_ns));
	return left ? 0 : -PVK_XEN_ETIMEDOUT;
}

void pvk_port_wake(struct pvk_wait *w)
{
	wake_up_all(linux_wait(w));
}

/* ---- Time ------------------------------------------------------------ */

/* Monotonic, in ns; on a Xen guest Linux's clocksource is Xen's own clock. */
uint64_t pvk_time_now_ns(void)
{
	return ktime_get_ns();
}

/*
 * time/timer_internal.h - between oneshot.c (the owners) and timer.c
 * (Xen's singleshot timer). Not part of the kit's API.
 */
#ifndef PVK_TIME_TIMER_INTERNAL_H
#define PVK_TIME_TIMER_INTERNAL_H

/* Stops Xen's periodic timer, binds VIRQ_TIMER and attaches Xen's
 * singleshot timer as the one-shot hardware; -PVK_XEN_ENODEV (logged)
 * when there is no Xen time (pvk_time_init() not called: a native boot
 * whose host did not call pvk_native_timer_init()). */
int pvk_time_xen_timer_attach(void);

#endif /* PVK_TIME_TIMER_INTERNAL_H */

/*
 * tests/guest/console.c - the guest's output: COM1 natively (native.c),
 * the kit's Xen console on Xen (boot.c's world: pvk_xen_console_write(), pvkit/boot.h:
 * console_io first, then the console ring written directly, then the
 * kit's console driver once guest_events_enable() started it).
 */
#include <pvkit/boot.h>
#include <pvkit/port.h>

#include "guest.h"

void guest_console_io_write(const char *text, size_t len)
{
	pvk_xen_console_io_write(text, len);
}

bool guest_console_ring_ready(void)
{
	return pvk_xen_console_ring_ready();
}

uint32_t guest_console_ring_cons(void)
{
	return pvk_xen_console_ring_cons();
}

uint32_t guest_console_ring_prod(void)
{
	return pvk_xen_console_ring_prod();
}

/* The world's output (guest_world: the kit's Xen console, or COM1). */
void guest_console_write(const char *text, size_t len)
{
	guest_world->console_write(text, len);
}

bool guest_console_flush(void)
{
	return guest_world->console_flush();
}

/* The kit's log lines (pvk_log) and everything else printed. */
void pvk_port_log_write(const char *text, size_t len)
{
	guest_console_write(text, len);
}

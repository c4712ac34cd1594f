/*
 * tests/guest/console_in.c - reading lines typed on `xl console`.
 *
 * The kit's console driver buffers input in its event handler and calls
 * guest_console_input(), which only wakes a reader; the reader collects
 * bytes with pvk_console_read() until a line end.
 */
#include <pvkit/console.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "guest.h"

static struct pvk_wait input_wait;
static bool input_wait_ready;
static volatile unsigned int input_events;

void guest_console_input(void *arg)
{
	(void)arg;
	input_events++;
	if (input_wait_ready)
		pvk_port_wake(&input_wait);
}

static bool input_since(void *arg)
{
	return input_events != *(unsigned int *)arg;
}

int guest_console_read_line(char *line, size_t size, uint64_t timeout_ns)
{
#ifdef CONFIG_PVK_CONSOLE
	uint64_t deadline = pvk_time_now_ns() + timeout_ns;
	size_t len = 0;

	if (!size)
		return -PVK_XEN_EINVAL;
	if (!input_wait_ready) {
		pvk_port_wait_init(&input_wait);
		input_wait_ready = true;
	}
	for (;;) {
		unsigned int seen = input_events;
		uint64_t now;
		char c;
		int rc;

		while (pvk_console_read(&c, 1)) {
			if (c == '\r' || c == '\n') {
				if (!len)
					continue;	/* "\r\n": the tail of the last */
				line[len] = '\0';
				return (int)len;
			}
			if (len + 1 < size)
				line[len++] = c;
		}
		now = pvk_time_now_ns();
		if (now >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		rc = pvk_port_wait_until(&input_wait, input_since, &seen, deadline - now);
		if (rc && rc != -PVK_XEN_ETIMEDOUT)
			return rc;
	}
#else
	(void)line;
	(void)size;
	(void)timeout_ns;
	return -PVK_XEN_ENODEV;
#endif
}

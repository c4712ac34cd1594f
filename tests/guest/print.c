/*
 * tests/guest/print.c - guest_printf(): formatted text to the console.
 *
 * Formats on the stack with the kit's pvk_vsnprintf (so it works in the
 * fault handler and before any allocator) and hands the text to the
 * console. Output longer than the buffer is cut and marked.
 */
#include <pvkit/log.h>

#include "guest.h"

#define PRINT_MAX 512

void guest_vprintf(const char *fmt, va_list ap)
{
	static const char cut[] = "[...]\n";
	char buf[PRINT_MAX];
	int n = pvk_vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		guest_console_write(buf, sizeof(buf) - 1);
		guest_console_write(cut, sizeof(cut) - 1);
		return;
	}
	guest_console_write(buf, (size_t)n);
}

void guest_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	guest_vprintf(fmt, ap);
	va_end(ap);
}

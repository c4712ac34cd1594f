/*
 * tests/guest/cases/console_input.c - the kit's console driver: output
 * counters, and input typed from dom0 (run by the guest-dom0 scenario,
 * whose ON_LINE rule writes a line to the console's pty, as `xl console`
 * would).
 */
#include <pvkit/console.h>
#include <pvkit/time.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#ifdef CONFIG_PVK_CONSOLE

PVK_GUEST_TEST(console_kit_driver_output)
{
	struct pvk_console_stats before, after;
	static const char line[] = "console: this line went through the kit's driver\n";

	guest_events_enable();
	PVK_CHECK(pvk_console_ready());
	pvk_console_get_stats(&before);
	guest_printf("%s", line);
	pvk_console_get_stats(&after);
	PVK_CHECK_EQ(after.out_bytes - before.out_bytes, sizeof(line) - 1);
	PVK_CHECK(pvk_console_flush());
	PVK_CHECK_EQ(after.ring_errors, 0);
	PVK_CHECK_EQ(after.stalls, 0);
}

PVK_GUEST_TEST_EXPLICIT(console_input)
{
	char line[64];
	int len;

	guest_events_enable();
	guest_printf("console: type a line now\n");
	len = guest_console_read_line(line, sizeof(line), 30ULL * 1000 * 1000 * 1000);
	PVK_CHECK_GE(len, 1);
	guest_printf("console: read \"%s\" (%d bytes)\n", line, len);
	PVK_CHECK_STR_CONTAINS(line, "hello-console");
}

#endif /* CONFIG_PVK_CONSOLE */

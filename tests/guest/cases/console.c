/*
 * tests/guest/cases/console.c - output really goes through the console ring.
 *
 * Writes one known line, checks that exactly its bytes were produced into
 * the ring, then waits (bounded) for the backend to consume them. The line
 * itself is the end-to-end proof: the harness captures the ring through
 * xenconsoled and can look for it. (The kit's driver is tested in
 * console_input.c, once events are on.)
 */
#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

PVK_GUEST_TEST(console_ring)
{
	static const char line[] =
		"pvkit-guest: console ring check: this line went through the shared ring\n";
	uint32_t before, after;

	PVK_CHECK(guest_console_ring_ready());
	PVK_CHECK(guest_console_flush());
	before = guest_console_ring_prod();
	guest_console_write(line, sizeof(line) - 1);
	after = guest_console_ring_prod();
	PVK_CHECK_EQ(after - before, sizeof(line) - 1);
	PVK_CHECK(guest_console_flush());
	PVK_CHECK_EQ(guest_console_ring_cons(), after);
}

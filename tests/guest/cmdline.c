/*
 * tests/guest/cmdline.c - the guest command line (xl "extra=").
 *
 * The domain builder copies it into start_info->cmd_line. Words are
 * separated by spaces; we understand
 *   pvkit.test=NAME[,NAME...]   run exactly these tests (test.c; the name
 *                               "defaults" adds every regular test)
 *   blkfront.NAME=VALUE         a blkfront switch (pvk_blkfront_option())
 *   netfront.NAME=VALUE         a netfront switch (pvk_netfront_option())
 * Other words are ignored, so a toolstack may add its own. A malformed
 * pvkit.test= or a blkfront switch the driver refuses stops the guest with
 * a clear message rather than silently running something else.
 */
#include <pvkit/blkfront.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>

#include "guest.h"

#define TEST_OPTION	"pvkit.test="
#define MAX_TESTS	32
#define NAMES_SPACE	PVK_MAX_GUEST_CMDLINE	/* the names cannot be longer than the line */

static char names[NAMES_SPACE];	/* the names, each NUL-terminated */
static const char *tests[MAX_TESTS];
static unsigned int nr_tests;

static void parse_tests(const char *list, size_t len)
{
	static size_t used;

	if (!len)
		pvk_port_panic("cmdline: pvkit.test= needs at least one test name");
	for (size_t i = 0; i <= len; i++) {
		/* A name ends at a comma or at the end of the word. */
		size_t start = i;

		while (i < len && list[i] != ',')
			i++;
		if (i == start)
			pvk_port_panic("cmdline: empty test name in pvkit.test=");
		if (nr_tests == MAX_TESTS || used + (i - start) + 1 > sizeof(names))
			pvk_port_panic("cmdline: too many test names in pvkit.test=");
		memcpy(names + used, list + start, i - start);
		names[used + (i - start)] = '\0';
		tests[nr_tests++] = names + used;
		used += i - start + 1;
	}
}

#define BLKFRONT_OPTION	"blkfront."

/* blkfront.NAME=VALUE: handed to the driver before it starts. */
static void parse_blkfront(const char *word, size_t len)
{
#ifdef CONFIG_PVK_BLKFRONT
	char buf[64];
	size_t eq = 0;

	if (len >= sizeof(buf))
		pvk_port_panic("cmdline: blkfront switch too long");
	memcpy(buf, word, len);
	buf[len] = '\0';
	while (eq < len && buf[eq] != '=')
		eq++;
	if (eq == len || eq == 0)
		pvk_port_panic("cmdline: blkfront switch is not blkfront.NAME=VALUE");
	buf[eq] = '\0';
	if (pvk_blkfront_option(buf, buf + eq + 1))
		pvk_port_panic("cmdline: blkfront refuses a switch (unknown name or bad value)");
#else
	(void)word;
	(void)len;
	pvk_port_panic("cmdline: blkfront switch given, but blkfront is not built in");
#endif
}

#define NETFRONT_OPTION	"netfront."

/* netfront.NAME=VALUE: handed to the driver before it starts. */
static void parse_netfront(const char *word, size_t len)
{
#ifdef CONFIG_PVK_NETFRONT
	char buf[64];
	size_t eq = 0;

	if (len >= sizeof(buf))
		pvk_port_panic("cmdline: netfront switch too long");
	memcpy(buf, word, len);
	buf[len] = '\0';
	while (eq < len && buf[eq] != '=')
		eq++;
	if (eq == len || eq == 0)
		pvk_port_panic("cmdline: netfront switch is not netfront.NAME=VALUE");
	buf[eq] = '\0';
	if (pvk_netfront_option(buf, buf + eq + 1))
		pvk_port_panic("cmdline: netfront refuses a switch (unknown name or bad value)");
#else
	(void)word;
	(void)len;
	pvk_port_panic("cmdline: netfront switch given, but netfront is not built in");
#endif
}

void guest_cmdline_parse(const char *cmdline)
{
	size_t opt_len = sizeof(TEST_OPTION) - 1;
	const char *p = cmdline;
	const char *end = cmdline + PVK_MAX_GUEST_CMDLINE;

	while (p < end && *p) {
		const char *word;

		while (p < end && *p == ' ')
			p++;
		word = p;
		while (p < end && *p && *p != ' ')
			p++;
		if ((size_t)(p - word) >= opt_len && !guest_strncmp(word, TEST_OPTION, opt_len))
			parse_tests(word + opt_len, (size_t)(p - word) - opt_len);
		else if ((size_t)(p - word) > sizeof(BLKFRONT_OPTION) - 1 &&
			 !guest_strncmp(word, BLKFRONT_OPTION, sizeof(BLKFRONT_OPTION) - 1))
			parse_blkfront(word + sizeof(BLKFRONT_OPTION) - 1,
				       (size_t)(p - word) - (sizeof(BLKFRONT_OPTION) - 1));
		else if ((size_t)(p - word) > sizeof(NETFRONT_OPTION) - 1 &&
			 !guest_strncmp(word, NETFRONT_OPTION, sizeof(NETFRONT_OPTION) - 1))
			parse_netfront(word + sizeof(NETFRONT_OPTION) - 1,
				       (size_t)(p - word) - (sizeof(NETFRONT_OPTION) - 1));
	}
}

unsigned int guest_cmdline_nr_tests(void)
{
	return nr_tests;
}

const char *guest_cmdline_test(unsigned int i)
{
	return i < nr_tests ? tests[i] : NULL;
}

/*
 * tests/unit/port.c - the parts of include/pvkit/port.h the tested files use.
 *
 * Log lines are kept (so tests can check what the kit reported) and echoed
 * when UNIT_VERBOSE is set in the environment. A panic longjmps back to
 * an active CHECK_PANICS, or ends the run loudly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/port.h>
#include "unit.h"

/* The CPU the kit code under test runs on (per-CPU tests switch it;
 * test_smp.c's threads each play one, so it is per thread). Here, not in
 * a test file, because lib/log.c asks it too (the fuzzers link this file). */
__thread unsigned int unit_fake_cpu;

unsigned int pvk_port_cpu_id(void)
{
	return unit_fake_cpu;
}

static char log_buf[64 * 1024];
static size_t log_len;
static unsigned int log_count;

void (*unit_log_hook)(void);
jmp_buf *unit_panic_jmp;
const char *unit_panic_msg;

void pvk_port_log_write(const char *text, size_t len)
{
	if (getenv("UNIT_VERBOSE"))
		fwrite(text, 1, len, stdout);
	if (log_len + len >= sizeof(log_buf)) {
		fprintf(stderr, "unit: the kit logged more than %zu bytes in one test\n",
			sizeof(log_buf));
		abort();
	}
	memcpy(log_buf + log_len, text, len);
	log_len += len;
	log_buf[log_len] = '\0';
	log_count++;
	if (unit_log_hook)
		unit_log_hook();
}

void pvk_port_panic(const char *msg)
{
	if (unit_panic_jmp) {
		unit_panic_msg = msg;
		longjmp(*unit_panic_jmp, 1);
	}
	fprintf(stderr, "unit: kit panic outside CHECK_PANICS: %s\n", msg);
	abort();
}

const char *unit_log(void)
{
	return log_buf;
}

bool unit_log_has(const char *needle)
{
	return strstr(log_buf, needle) != NULL;
}

unsigned int unit_log_lines(void)
{
	return log_count;
}

void unit_log_clear(void)
{
	log_len = 0;
	log_buf[0] = '\0';
	log_count = 0;
	unit_log_hook = NULL;
}

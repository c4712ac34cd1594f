/*
 * tests/xen/dom0-tools/hostile-back/hb_attack.c - the attack table (each
 * backend file registers its modes with HB_ATTACKS(), so adding a file adds
 * its attacks), the log line format, the clock and the deadline, and the
 * --opt values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hb.h"

#define MAX_TABLES	16

static const struct hb_attack *tables[MAX_TABLES];
static unsigned int nr_tables;

void hb_register_attacks(const struct hb_attack *table)
{
	if (nr_tables == MAX_TABLES) {
		fprintf(stderr, "pvk-hostile-back: more than %u attack tables\n", MAX_TABLES);
		abort();
	}
	tables[nr_tables++] = table;
}

const struct hb_attack *hb_find_attack(const char *type, const char *name)
{
	for (unsigned int t = 0; t < nr_tables; t++)
		for (const struct hb_attack *a = tables[t]; a->name; a++)
			if (!strcmp(a->name, name) && (!a->type || !strcmp(a->type, type)))
				return a;
	return NULL;
}

void hb_list_attacks(void)
{
	for (unsigned int t = 0; t < nr_tables; t++)
		for (const struct hb_attack *a = tables[t]; a->name; a++)
			printf("%-4s %-24s %s\n", a->type ? a->type : "any", a->name, a->what);
}

uint64_t hb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void hb_log(const struct hb_dev *d, const char *fmt, ...)
{
	va_list ap;

	printf("hb %s/%u %s +%llu: ", d->type, d->devid, d->attack ? d->attack->name : "-",
	       (unsigned long long)(d->start_ms ? hb_now_ms() - d->start_ms : 0));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

unsigned int hb_left_ms(const struct hb_dev *d, unsigned int want_ms)
{
	uint64_t now = hb_now_ms();

	if (now >= d->deadline_ms)
		return 0;
	return d->deadline_ms - now < want_ms ? (unsigned int)(d->deadline_ms - now) : want_ms;
}

bool hb_expired(const struct hb_dev *d)
{
	return hb_now_ms() >= d->deadline_ms;
}

void hb_sleep_ms(const struct hb_dev *d, unsigned int ms)
{
	unsigned int left = hb_left_ms(d, ms);
	struct timespec ts = { .tv_sec = left / 1000, .tv_nsec = (long)(left % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

const char *hb_opt(const struct hb_dev *d, const char *name, const char *dflt)
{
	for (unsigned int i = 0; i < d->nr_opts; i++)
		if (!strcmp(d->opt_name[i], name))
			return d->opt_val[i];
	return dflt;
}

unsigned long hb_opt_ulong(const struct hb_dev *d, const char *name, unsigned long dflt)
{
	const char *v = hb_opt(d, name, NULL);
	char *end;
	unsigned long n;

	if (!v)
		return dflt;
	n = strtoul(v, &end, 0);
	if (!*v || *end) {
		hb_log(d, "--opt %s=%s is not a number: %lu used", name, v, dflt);
		return dflt;
	}
	return n;
}

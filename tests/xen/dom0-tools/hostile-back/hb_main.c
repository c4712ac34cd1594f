/*
 * tests/xen/dom0-tools/hostile-back/hb_main.c - pvk-hostile-back's command
 * line and lifetime: picks the attack, opens the device, runs it, and makes
 * sure the tool ends by --max-seconds whatever the attack does.
 *
 *   pvk-hostile-back --type vbd|vif --domid D --devid N --attack NAME
 *                    [--max-seconds S] [--opt NAME=VALUE]...
 *   pvk-hostile-back --list               the attack table
 *   pvk-hostile-back --count-grants D     "grants-to-dom0: N" for guest D
 *
 * The attack's run function owns the device from creation to removal; the
 * exit code is its HB_EXIT_* code. Every wait inside is cut at the deadline;
 * a SIGALRM a few seconds past it is the backstop should one not be.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hb.h"

#define BACKSTOP_EXTRA_S	5

static void backstop(int sig)
{
	static const char msg[] = "hb: --max-seconds passed and the attack did not end: exit\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(HB_EXIT_TIMEOUT);
	_exit(HB_EXIT_TIMEOUT);
}

static int usage(const char *why)
{
	fprintf(stderr, "pvk-hostile-back: %s\n"
		"usage: pvk-hostile-back --type vbd|vif --domid D --devid N --attack NAME\n"
		"                        [--max-seconds S] [--opt NAME=VALUE]...\n"
		"       pvk-hostile-back --list | --count-grants D\n", why);
	return HB_EXIT_USAGE;
}

static bool parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v > 0xffffffffUL)
		return false;
	*out = (unsigned int)v;
	return true;
}

static int count_grants(const char *arg)
{
	struct hb_dev d = { .type = "-" };
	long n;

	if (!parse_uint(arg, &d.domid) || !d.domid)
		return usage("bad domid");
	n = hb_count_guest_grants(&d);
	if (n < 0) {
		printf("fail: cannot read domain %u's grant table\n", d.domid);
		return HB_EXIT_FAIL;
	}
	printf("grants-to-dom0: %ld\n", n);
	return HB_EXIT_OK;
}

int main(int argc, char **argv)
{
	static struct hb_dev d;
	const char *type = NULL, *attack = NULL;
	unsigned int domid = 0, devid = 0, max_s = 60;
	bool have_dom = false, have_dev = false;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--list")) {
			hb_list_attacks();
			return HB_EXIT_OK;
		} else if (!strcmp(a, "--count-grants")) {
			return count_grants(v);
		} else if (!v) {
			return usage("missing value");
		} else if (!strcmp(a, "--type")) {
			type = v;
		} else if (!strcmp(a, "--attack")) {
			attack = v;
		} else if (!strcmp(a, "--domid")) {
			have_dom = parse_uint(v, &domid) && domid;
		} else if (!strcmp(a, "--devid")) {
			have_dev = parse_uint(v, &devid);
		} else if (!strcmp(a, "--max-seconds")) {
			if (!parse_uint(v, &max_s) || !max_s)
				return usage("bad --max-seconds");
		} else if (!strcmp(a, "--opt")) {
			const char *eq = strchr(v, '=');

			if (!eq || d.nr_opts == HB_MAX_OPTS)
				return usage("bad --opt (NAME=VALUE, at most 16)");
			d.opt_name[d.nr_opts] = strndup(v, (size_t)(eq - v));
			d.opt_val[d.nr_opts++] = eq + 1;
		} else {
			return usage("unknown argument");
		}
		i++;
	}
	if (!type || !attack || !have_dom || !have_dev)
		return usage("--type, --domid, --devid and --attack are needed");
	d.attack = hb_find_attack(type, attack);
	if (!d.attack) {
		fprintf(stderr, "pvk-hostile-back: no attack \"%s\" for %s (see --list)\n", attack,
			type);
		return HB_EXIT_USAGE;
	}
	signal(SIGALRM, backstop);
	alarm(max_s + BACKSTOP_EXTRA_S);
	if (hb_open(&d, type, domid, devid, max_s))
		return HB_EXIT_FAIL;
	hb_log(&d, "start: %s (%s), at most %u s", d.attack->name, d.attack->what, max_s);
	rc = d.attack->run(&d);
	if (rc == HB_EXIT_OK && hb_expired(&d))
		rc = HB_EXIT_TIMEOUT;
	hb_log(&d, "end: exit %d%s", rc, rc == HB_EXIT_TIMEOUT ? " (--max-seconds reached)" : "");
	hb_close(&d);
	return rc;
}

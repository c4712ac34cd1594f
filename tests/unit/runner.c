/*
 * tests/unit/runner.c - runs every registered UNIT_TEST and tallies them.
 *
 * Usage: unit-tests [name...]   (no names: every test, in registration
 * order). The closing line "N passed, N failed" is what scripts/check.sh
 * adds up; the exit status is non-zero when anything failed.
 *
 * Each test runs in a child process of its own, in a process group of its
 * own, and the runner waits for it at most UNIT_TEST_TIMEOUT seconds (the
 * environment variable; default DEFAULT_TIMEOUT_S). A test that crashes
 * (a signal, or a sanitizer's report and exit, in any of its threads) or
 * hangs (a deadlock, or a sanitizer stuck dying in one thread while
 * another holds on) fails alone with a line naming it and what happened,
 * and the runner goes on: `make check` can never hang on a unit test.
 * The child starts from the runner's state before any test ran, so tests
 * cannot lean on each other either. The leak check runs in each child as
 * it exits: a leak fails the test that made it. The child's result comes
 * down a pipe, read without blocking once the child is reaped: a process
 * the test left behind (out of its group) holding the pipe cannot hold
 * the runner.
 *
 * Tests named runner_selftest_* check the runner itself and fail on
 * purpose: they run only when named (tests/unit/unit.mk does).
 */
#define _GNU_SOURCE		/* sigabbrev_np() */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"

/* Failed checks printed per test; the rest are only counted. */
#define SHOWN_FAILURES 8
/* The whole suite runs in well under a second; a test still running after
 * this long hangs. */
#define DEFAULT_TIMEOUT_S 10

static struct unit_test *first, **last = &first;
static unsigned int failures;	/* failed checks of the running test */

void unit_register(struct unit_test *t)
{
	*last = t;
	last = &t->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (failures++ >= SHOWN_FAILURES)
		return;
	printf("    %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static bool selected(const struct unit_test *t, int argc, char **argv)
{
	if (argc < 2)
		return strncmp(t->name, "runner_selftest_", 16) != 0;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], t->name) == 0)
			return true;
	return false;
}

static unsigned int timeout_s(void)
{
	const char *s = getenv("UNIT_TEST_TIMEOUT");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return DEFAULT_TIMEOUT_S;
	v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > 3600) {
		printf("UNIT_TEST_TIMEOUT=%s: not 1 to 3600 seconds, using %u\n",
		       s, DEFAULT_TIMEOUT_S);
		return DEFAULT_TIMEOUT_S;
	}
	return (unsigned int)v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child: the test, then its failed-check count down the pipe (so
 * the runner knows it ran to its end), then exit() (the leak check). */
static __attribute__((noreturn)) void run_child(struct unit_test *t, int out)
{
	ssize_t n;

	setpgid(0, 0);	/* what the runner kills on a time-out */
	/* Line by line: what a test printed before it hung or crashed
	 * is not lost in a buffer. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	failures = 0;
	unit_log_clear();
	t->fn();
	fflush(stdout);
	n = write(out, &failures, sizeof(failures));
	exit(n == (ssize_t)sizeof(failures) ? 0 : 2);
}

/*
 * Waits (bounded) for the child pid; on the time-out kills its process
 * group (the test's threads, and a sanitizer's helper task if any).
 * Returns its wait status; *timed_out says whether it was killed.
 */
static int wait_bounded(pid_t pid, unsigned int limit_s, bool *timed_out)
{
	double deadline = now_s() + limit_s;
	useconds_t nap = 100;
	int status = 0;
	pid_t r;

	*timed_out = false;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return status;
		if (!*timed_out && now_s() > deadline) {
			*timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);	/* had it not made its group yet */
		}
		usleep(nap);
		if (nap < 10000)
			nap *= 2;
	}
}

/* "SIGSEGV" where the C library knows the abbreviations (glibc 2.32 and
 * later: sigabbrev_np()), else its description (strsignal(), POSIX). */
static const char *signal_name(int sig)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	static char buf[32];
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev) {
		snprintf(buf, sizeof(buf), "SIG%s", abbrev);
		return buf;
	}
#endif
	{
		const char *desc = strsignal(sig);

		return desc ? desc : "?";
	}
}

/* Runs t in a child; true when it passed. Prints its PASS or FAIL line. */
static bool run_one(struct unit_test *t, unsigned int limit_s)
{
	unsigned int checks_failed = 0;
	bool timed_out, finished;
	int fds[2], status;
	pid_t pid;

	fflush(stdout);	/* nothing buffered is printed twice */
	if (pipe(fds) != 0) {
		printf("FAIL %s (pipe: %s)\n", t->name, strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0) {
		printf("FAIL %s (fork: %s)\n", t->name, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		run_child(t, fds[1]);
	}
	close(fds[1]);
	setpgid(pid, pid);	/* either of the two calls makes the group */
	status = wait_bounded(pid, limit_s, &timed_out);
	/* The child is gone: what it wrote is in the pipe already. Not
	 * blocking: a process it left behind may still hold the write end. */
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	finished = read(fds[0], &checks_failed, sizeof(checks_failed)) ==
		   (ssize_t)sizeof(checks_failed);
	close(fds[0]);

	if (timed_out) {
		printf("FAIL %s (timed out: still running after %u s, killed)\n",
		       t->name, limit_s);
		return false;
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		printf("FAIL %s (crashed: killed by signal %d, %s)\n",
		       t->name, sig, signal_name(sig));
		return false;
	}
	if (!finished) {
		printf("FAIL %s (crashed: exited with status %d before the test returned: a sanitizer's report is above)\n",
		       t->name, WEXITSTATUS(status));
		return false;
	}
	if (checks_failed > SHOWN_FAILURES)
		printf("    ... and %u more\n", checks_failed - SHOWN_FAILURES);
	if (WEXITSTATUS(status)) {
		printf("FAIL %s (%u failed checks; exited with status %d after it returned: a leak or a sanitizer's report is above)\n",
		       t->name, checks_failed, WEXITSTATUS(status));
		return false;
	}
	if (checks_failed) {
		printf("FAIL %s (%u failed checks)\n", t->name, checks_failed);
		return false;
	}
	printf("PASS %s\n", t->name);
	return true;
}

int main(int argc, char **argv)
{
	unsigned int passed = 0, failed = 0, limit_s = timeout_s();

	for (struct unit_test *t = first; t; t = t->next) {
		if (!selected(t, argc, argv))
			continue;
		if (run_one(t, limit_s))
			passed++;
		else
			failed++;
		fflush(stdout);
	}
	if (passed + failed == 0 && argc > 1)
		printf("no test matched the names given\n");
	printf("unit: %u passed, %u failed\n", passed, failed);
	return failed || passed + failed == 0 ? 1 : 0;
}

/*
 * tests/unit/test_runner.c - the runner's own checks (runner.c). They fail
 * on purpose, so the runner runs them only when named: tests/unit/unit.mk
 * runs each and judges the runner's verdict line and that it returned.
 */
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"

/* How long the left-behind process holds the pipe: longer than unit.mk's
 * bound on this run, so a runner that waits for it is caught. */
#define ORPHAN_HOLD_S	15

/* The test dies without reporting, having left a process of another
 * session (out of reach of the runner's group kill) that inherited the
 * result pipe's write end: the runner must still give its verdict at
 * once ("exited with status 3"), not wait for that process. */
UNIT_TEST(runner_selftest_orphan_holds_pipe)
{
	pid_t pid = fork();

	if (pid == 0) {
		setsid();
		sleep(ORPHAN_HOLD_S);
		_exit(0);
	}
	CHECK(pid > 0);
	_exit(3);
}

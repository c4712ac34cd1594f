/*
 * tests/xen/domu/cpubench.c - Linux's side of the one-CPU microbenchmarks
 * of "make bench": the operations the reference guest's rows time
 * (tests/guest/bench.c), done by a program of a Linux PV domU on the same
 * Xen with the same TSC mode (scenario bench-cpu-linux), so each row can
 * be put next to what a Linux process pays for the same thing.
 *
 *   cpubench             static, no libraries at run time
 *
 * Per row one line, the guest's format without the hypercall count (a
 * process cannot see Linux's):
 *   bench-raw NAME linux ps/op=P iters=N [op=OP]
 * op= names what Linux did when it is not the guest's operation (a pipe
 * ping-pong for a CR3 load, mprotect for building entries, the system
 * call when the vDSO falls back); tests/bench/bench.sh marks those rows
 * (vs_linux=R~ linux-op=OP), so a ratio of unequal work is not read as a
 * win.
 * P is picoseconds per operation, timed with CLOCK_MONOTONIC (in a PV
 * domU Xen's system time, the pvclock the kit's pvk_clock_ns reads too).
 * Facts that explain a figure come as "bench-cpu-note NAME: ...". Ends with
 * "bench-cpu: done" or "bench-cpu: FAIL ..." (exit status 1): a row fails
 * when its operation failed or did not happen (no page fault, no context
 * switch counted by the kernel), never on a timing.
 *
 * The rows, and what differs from the guest's:
 *  syscall_roundtrip    a `syscall` instruction of getppid in a loop
 *                       (the guest: its null syscall); 2 runs of 20,000.
 *  pagefault_roundtrip  a read of each page of a fresh anonymous mapping:
 *                       Linux maps its shared zero page read-only, the
 *                       guest's fault kind; the page table is made before
 *                       the timing (the guest's exists too); 8 runs of 256.
 *  clock_ns             clock_gettime(CLOCK_MONOTONIC) through glibc: the
 *                       vDSO when Linux lets it read the pvclock (op=vdso,
 *                       the guest's work), else a system call
 *                       (op=clock_gettime-syscall: Xen under QEMU does not
 *                       mark the TSC stable, so this is what a Linux
 *                       process pays on this Xen, not the same work).
 *  cr3_switch           a switch between two processes on the one CPU: a
 *                       pipe ping-pong, half a round trip. Linux's switch
 *                       includes a write and a read system call, the
 *                       scheduler and the CR3 load; the guest's is the
 *                       CR3 load alone (op=pipe-pingpong/2).
 *  pte_update_x1000     1,000 present PTEs rewritten: mprotect of a
 *                       populated 4,096-page mapping, read-only and back,
 *                       per 1,000 entries (the guest builds an address
 *                       space: new entries and their tables;
 *                       op=mprotect).
 *  fork_copy_1024p      fork of a process with 1,024 written pages, the
 *                       child writes every page (so the 4 MiB are copied,
 *                       as the guest copies 4 MiB into 1,024 fresh
 *                       frames) and exits, the parent waits; the note adds
 *                       the plain copy-on-write fork (nothing copied).
 * irq_save_restore has no counterpart a process can run (cli/sti and
 * Linux's pvops irq flags are the kernel's), nor do the SMP rows here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domu-tool.h"

/* The guest's counts (tests/guest/bench.c, tests/guest/user/user.h). */
#define SYSCALL_RUNS	2
#define SYSCALLS	20000u		/* USER_BENCH_SYSCALLS */
#define FAULT_RUNS	8
#define FAULT_PAGES	256u		/* USER_ZERO_PAGES */
#define CLOCK_ITERS	100000u
#define SWITCH_ROUNDS	2000u		/* CR3_ITERS: two switches each */
#define PTE_PAGES	4096u
#define PTE_ROUNDS	16u		/* mprotects, each of PTE_PAGES entries */
#define FORK_PAGES	1024u
#define FORK_ITERS	5u

#define PAGE		4096ul
#define TABLE_SPAN	(2ul << 20)	/* what one page table maps */

static int fail(const char *name, const char *what)
{
	if (errno)
		printf("bench-cpu: FAIL %s: %s (%s)\n", name, what, strerror(errno));
	else
		printf("bench-cpu: FAIL %s: %s\n", name, what);
	return 1;
}

/* op: what Linux did, when not the guest's operation; NULL when it is. */
static void report_op(const char *name, uint64_t ns, uint64_t ops, const char *op)
{
	printf("bench-raw %s linux ps/op=%llu iters=%llu%s%s\n", name,
	       (unsigned long long)(ns * 1000 / ops), (unsigned long long)ops,
	       op ? " op=" : "", op ? op : "");
}

static void report(const char *name, uint64_t ns, uint64_t ops)
{
	report_op(name, ns, ops, NULL);
}

static void usage(struct rusage *ru)
{
	getrusage(RUSAGE_SELF, ru);
}

/* ---- syscall_roundtrip ------------------------------------------------- */

/* One system call, the instruction itself (no libc wrapper), as the
 * guest's program issues it. */
static long raw_getppid(void)
{
	long rax = SYS_getppid;

	__asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
	return rax;
}

static int bench_syscall(void)
{
	long want = getppid(), wrong = 0;
	uint64_t ns = 0;

	for (int r = 0; r < SYSCALL_RUNS; r++) {
		uint64_t t0 = now_ns();

		for (unsigned int i = 0; i < SYSCALLS; i++)
			wrong |= raw_getppid() ^ want;	/* any bit that differed */
		ns += now_ns() - t0;
	}
	if (wrong) {
		errno = 0;
		return fail("syscall_roundtrip", "getppid returned another value");
	}
	report("syscall_roundtrip", ns, (uint64_t)SYSCALL_RUNS * SYSCALLS);
	return 0;
}

/* ---- pagefault_roundtrip ----------------------------------------------- */

/* A fresh anonymous mapping of one page table's span, aligned to it, so
 * its first page's fault makes the table and the timed ones only map. */
static char *fresh_span(void)
{
	char *raw = mmap(NULL, 2 * TABLE_SPAN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *span;

	if (raw == MAP_FAILED)
		return NULL;
	span = (char *)(((uintptr_t)raw + TABLE_SPAN - 1) & ~(TABLE_SPAN - 1));
	if (span > raw)
		munmap(raw, (size_t)(span - raw));
	munmap(span + TABLE_SPAN, (size_t)(raw + TABLE_SPAN - span));
	/* Page by page: a huge page would take the whole span at once. */
	madvise(span, TABLE_SPAN, MADV_NOHUGEPAGE);
	return span;
}

static int bench_fault(void)
{
	uint64_t ns = 0, sum = 0, faults = 0, overhead = 0;
	struct rusage r0, r1, b0, b1;

	for (int r = 0; r < FAULT_RUNS; r++) {
		volatile char *span = (volatile char *)fresh_span();
		uint64_t t0;

		if (!span)
			return fail("pagefault_roundtrip", "mmap");
		sum += span[0];			/* the page table, untimed */
		/* Faults of the counting itself, untimed: not the reads'. */
		usage(&b0);
		usage(&b1);
		overhead += (uint64_t)(b1.ru_minflt - b0.ru_minflt);
		usage(&r0);
		t0 = now_ns();
		for (unsigned int i = 1; i <= FAULT_PAGES; i++)
			sum += span[i * PAGE];	/* a fault: the zero page comes in */
		ns += now_ns() - t0;
		usage(&r1);
		faults += (uint64_t)(r1.ru_minflt - r0.ru_minflt);
		munmap((void *)span, TABLE_SPAN);
	}
	errno = 0;
	if (sum)
		return fail("pagefault_roundtrip", "a fresh anonymous page did not read 0");
	/* Each timed read must have faulted: else this measured loads. */
	if (faults < overhead || faults - overhead < (uint64_t)FAULT_RUNS * FAULT_PAGES)
		return fail("pagefault_roundtrip", "fewer page faults than pages read");
	printf("bench-cpu-note pagefault_roundtrip: %llu minor faults (%llu of them counting's own) for %u reads of fresh anonymous pages (Linux maps its zero page read-only; the page table made before the timing)\n",
	       (unsigned long long)faults, (unsigned long long)overhead, FAULT_RUNS * FAULT_PAGES);
	report("pagefault_roundtrip", ns, (uint64_t)FAULT_RUNS * FAULT_PAGES);
	return 0;
}

/* ---- clock_ns ---------------------------------------------------------- */

static uint64_t read_clock(bool by_syscall)
{
	struct timespec ts;

	if (by_syscall)
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	else
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ns per read over n reads, or 0 if the clock went backwards. */
static uint64_t time_clock(bool by_syscall, unsigned int n)
{
	uint64_t t0 = read_clock(by_syscall), last = t0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t now = read_clock(by_syscall);

		if (now < last)
			return 0;
		last = now;
	}
	return (read_clock(by_syscall) - t0) * 1000 / n;
}

static void note_file(const char *name, const char *what, const char *path)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	printf("bench-cpu-note %s: %s %s\n", name, what, buf[0] ? buf : "(unreadable)");
}

static int bench_clock(void)
{
	uint64_t ps = time_clock(false, CLOCK_ITERS), lib_ps = UINT64_MAX, sys_ps = UINT64_MAX;

	errno = 0;
	if (!ps)
		return fail("clock_ns", "CLOCK_MONOTONIC went backwards");
	/* Which path glibc took: its call against the system call, the same
	 * count each, alternated, the best of three (others' load only adds). */
	for (int r = 0; r < 3; r++) {
		uint64_t l = time_clock(false, CLOCK_ITERS / 20), k = time_clock(true, CLOCK_ITERS / 20);

		if (!l || !k)
			return fail("clock_ns", "CLOCK_MONOTONIC went backwards");
		lib_ps = l < lib_ps ? l : lib_ps;
		sys_ps = k < sys_ps ? k : sys_ps;
	}
	note_file("clock_ns", "clocksource",
		  "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	/* The vDSO reads the pvclock itself only when Xen marks its TSC
	 * stable; otherwise glibc's call ends in the system call. */
	bool vdso = lib_ps * 2 < sys_ps;

	printf("bench-cpu-note clock_ns: clock_gettime %llu ps, the clock_gettime system call %llu ps: %s\n",
	       (unsigned long long)lib_ps, (unsigned long long)sys_ps,
	       vdso ? "the vDSO reads the clock in user space"
		    : "no faster than the system call: the vDSO falls back to it (Linux lets it read the pvclock only when Xen marks the TSC stable, which Xen under QEMU does not): what a Linux process pays on this Xen, not the guest's in-kernel read");
	printf("bench-raw clock_ns linux ps/op=%llu iters=%u op=%s\n", (unsigned long long)ps,
	       CLOCK_ITERS, vdso ? "vdso" : "clock_gettime-syscall");
	return 0;
}

/* ---- cr3_switch: a switch between two processes ------------------------ */

static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int bench_switch(void)
{
	int to_child[2], to_parent[2], status;
	struct rusage r0, r1;
	char byte = 0;
	uint64_t t0, ns;
	long switches;
	pid_t pid;

	if (pin_cpu0() || pipe(to_child) || pipe(to_parent))
		return fail("cr3_switch", "affinity or pipes");
	pid = fork();
	if (pid < 0)
		return fail("cr3_switch", "fork");
	if (pid == 0) {	/* echo every byte back, then leave */
		/* Only the parent's ends write to_child and read to_parent:
		 * its close ends this child's reads, whatever happened. */
		close(to_child[1]);
		close(to_parent[0]);
		for (unsigned int i = 0; i < SWITCH_ROUNDS; i++)
			if (read(to_child[0], &byte, 1) != 1 || write(to_parent[1], &byte, 1) != 1)
				_exit(1);
		_exit(0);
	}
	/* One round first: the child is then blocked in its read. */
	if (write(to_child[1], &byte, 1) != 1 || read(to_parent[0], &byte, 1) != 1)
		return fail("cr3_switch", "first round trip");
	usage(&r0);
	t0 = now_ns();
	for (unsigned int i = 1; i < SWITCH_ROUNDS; i++)
		if (write(to_child[1], &byte, 1) != 1 || read(to_parent[0], &byte, 1) != 1)
			return fail("cr3_switch", "pipe round trip");
	ns = now_ns() - t0;
	usage(&r1);
	/* Closed first: a child still reading sees the end, not a hang. */
	close(to_child[0]); close(to_child[1]); close(to_parent[0]); close(to_parent[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return fail("cr3_switch", "the echoing child failed");
	errno = 0;
	/* The parent leaves the CPU to the child once per round trip: in its
	 * read (voluntary), or already at the write that wakes the child
	 * (preempted, involuntary). The kernel counts both. */
	switches = (r1.ru_nvcsw - r0.ru_nvcsw) + (r1.ru_nivcsw - r0.ru_nivcsw);
	if (switches < SWITCH_ROUNDS - 1)
		return fail("cr3_switch", "fewer context switches than round trips");
	printf("bench-cpu-note cr3_switch: pipe ping-pong between two processes on CPU 0, %u round trips, the parent switched out %ld times (%ld in its read, %ld preempted); one switch = half a round trip (a write, a read, the scheduler, the CR3 load)\n",
	       SWITCH_ROUNDS - 1, switches, r1.ru_nvcsw - r0.ru_nvcsw, r1.ru_nivcsw - r0.ru_nivcsw);
	report_op("cr3_switch", ns, 2 * (uint64_t)(SWITCH_ROUNDS - 1), "pipe-pingpong/2");
	return 0;
}

/* ---- pages for pte_update_x1000 and fork_copy_1024p ------------------- */

/* A private anonymous mapping of len bytes in 4 KiB pages (no huge page),
 * each page written once so every entry is present; NULL if mmap failed. */
static char *map_written_pages(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = 1;
	return p;
}

/* ---- pte_update_x1000 -------------------------------------------------- */

static int bench_pte(void)
{
	size_t len = (size_t)PTE_PAGES * PAGE;
	char *p = map_written_pages(len);
	uint64_t t0, ns;

	if (!p)
		return fail("pte_update_x1000", "mmap");
	t0 = now_ns();
	for (unsigned int r = 0; r < PTE_ROUNDS; r++)
		if (mprotect(p, len, (r & 1) ? PROT_READ | PROT_WRITE : PROT_READ))
			return fail("pte_update_x1000", "mprotect");
	ns = now_ns() - t0;
	munmap(p, len);
	printf("bench-cpu-note pte_update_x1000: mprotect of %u populated pages, %u times (read-only, read-write): present entries rewritten, no table made\n",
	       PTE_PAGES, PTE_ROUNDS);
	/* Per 1,000 entries, as the guest's row. */
	report_op("pte_update_x1000", ns * 1000, (uint64_t)PTE_ROUNDS * PTE_PAGES, "mprotect");
	return 0;
}

/* ---- fork_copy_1024p --------------------------------------------------- */

/* ns of FORK_ITERS forks of this process (its 1,024 written pages), the
 * child writing one byte per page first if write_all, exiting, waited. */
static uint64_t time_forks(volatile char *pages, bool write_all)
{
	uint64_t ns = 0;

	for (unsigned int r = 0; r < FORK_ITERS; r++) {
		uint64_t t0 = now_ns();
		pid_t pid = fork();
		int status;

		if (pid < 0)
			return 0;
		if (pid == 0) {
			if (write_all)
				for (unsigned int i = 0; i < FORK_PAGES; i++)
					pages[i * PAGE] = (char)(i + 2);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			return 0;
		ns += now_ns() - t0;
	}
	return ns;
}

static int bench_fork(void)
{
	size_t len = (size_t)FORK_PAGES * PAGE;
	char *p = map_written_pages(len);
	uint64_t plain_ns, copy_ns;

	if (!p)
		return fail("fork_copy_1024p", "mmap");
	plain_ns = time_forks(p, false);
	copy_ns = plain_ns ? time_forks(p, true) : 0;
	munmap(p, len);
	if (!plain_ns || !copy_ns)
		return fail("fork_copy_1024p", "fork, or the child did not exit 0");
	/* The row is the same work as the guest's (4 MiB copied); the plain
	 * copy-on-write fork, which copies nothing, is the note. */
	printf("bench-cpu-note fork_copy_1024p: fork of a process with %u written pages, the child writing every page (the 4 MiB copied, as the guest's row does) + exit + wait; the plain copy-on-write fork + exit + wait (nothing copied): %llu us\n",
	       FORK_PAGES, (unsigned long long)(plain_ns / FORK_ITERS / 1000));
	report("fork_copy_1024p", copy_ns, FORK_ITERS);
	return 0;
}

int main(void)
{
	int (*const benches[])(void) = {
		bench_syscall, bench_fault, bench_clock, bench_switch, bench_pte, bench_fork,
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (benches[i]())
			return 1;
	printf("bench-cpu: done\n");
	return 0;
}

/*
 * tests/xen/domu/blkbench.c - Linux's side of the block benchmark of
 * "make bench": runs the cases of tests/bench/blkbench.h on a disk of the
 * Linux PV domU (its own xen-blkfront), with O_DIRECT (no page cache: each
 * operation is a request to the driver) and Linux native AIO through the
 * raw system calls (io_setup, io_submit, io_getevents) to keep qd
 * operations in flight, the way fio's libaio engine does.
 *
 *   blkbench DEVICE      e.g. /dev/xvda; static, no libraries at run time
 *
 * Per case one line (tests/bench/bench.sh pairs it with the kit's):
 *   bench-blk NAME linux ops=N bytes=B ns=T reqs=R irqs=I digest=D
 * ("pvklinux" for "linux" when our modules are the frontends: see
 * domu-tool.h, whose PVK_BENCH_IRQS then names their interrupts)
 * ns: CLOCK_MONOTONIC (Xen's clock in a PV domU) around the case;
 * reqs: requests the disk completed (/sys/block/DEV/stat, after the block
 * layer split or merged operations); irqs: events of the "blkif"
 * interrupts (/proc/interrupts), the backend's notifications received.
 * Ends with "bench-blk: done" or "bench-blk: FAIL ..." (exit status 1).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/blkbench.h"
#include "domu-tool.h"

static const char *dev_name;	/* "xvda" for /sys/block */

static int fail(const char *what)
{
	printf("bench-blk: FAIL %s\n", what);
	return 1;
}

static bool is_linux_blkif(const char *line)
{
	return strstr(line, "blkif") != NULL;
}

static bool is_blkif(const char *line)
{
	return irq_is_drivers(line, is_linux_blkif);
}

/* Events of every "blkif" interrupt (or our driver's), all CPUs. */
static uint64_t blkif_irqs(void)
{
	return proc_irqs(is_blkif);
}

/* Requests completed by the disk: reads + writes of /sys/block/DEV/stat. */
static uint64_t disk_reqs(void)
{
	char path[128];
	unsigned long long r = 0, rm, rs, rt, w = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/stat", dev_name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu %llu %llu %llu", &r, &rm, &rs, &rt, &w) != 5)
		r = w = 0;
	fclose(f);
	return r + w;
}

static long io_setup_(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long io_submit_(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static long io_getevents_(aio_context_t ctx, long min, long max,
			  struct io_event *ev)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

static long io_destroy_(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static int run_case(int fd, unsigned int ci, unsigned char *bufs)
{
	const struct blkb_case *c = &blkb_cases[ci];
	struct iocb iocbs[BLKB_MAX_QD], *batch[BLKB_MAX_QD];
	struct io_event ev[BLKB_MAX_QD];
	unsigned int free_slots[BLKB_MAX_QD], nfree = c->qd;
	uint64_t state = blkb_seed(ci), digest = 0, t0, t1, r0, i0;
	unsigned int next = 0, done = 0;
	aio_context_t ctx = 0;
	char msg[160];

	for (unsigned int s = 0; s < c->qd; s++)
		free_slots[s] = s;
	if (io_setup_(c->qd, &ctx) < 0)
		return fail("io_setup");
	r0 = disk_reqs();
	i0 = blkif_irqs();
	t0 = now_ns();
	while (done < c->ops) {
		long n = 0, got;

		/* Fill every free slot, then submit them in one call. */
		while (nfree && next < c->ops) {
			unsigned int s = free_slots[--nfree];
			uint64_t off = blkb_offset(c, &state, next);
			struct iocb *cb = &iocbs[s];

			memset(cb, 0, sizeof(*cb));
			cb->aio_data = s;
			cb->aio_lio_opcode = c->write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
			cb->aio_fildes = (uint32_t)fd;
			cb->aio_buf = (uint64_t)(uintptr_t)(bufs + (size_t)s * c->bs);
			cb->aio_nbytes = c->bs;
			cb->aio_offset = (int64_t)off;
			digest = blkb_digest(digest, off, c->bs);
			batch[n++] = cb;
			next++;
		}
		if (n) {
			long sub = io_submit_(ctx, n, batch);

			if (sub != n) {
				snprintf(msg, sizeof(msg), "%s: io_submit %ld of %ld", c->name, sub, n);
				io_destroy_(ctx);
				return fail(msg);
			}
		}
		got = io_getevents_(ctx, 1, c->qd, ev);
		if (got < 1) {
			snprintf(msg, sizeof(msg), "%s: io_getevents %ld", c->name, got);
			io_destroy_(ctx);
			return fail(msg);
		}
		for (long k = 0; k < got; k++) {
			if (ev[k].res != (int64_t)c->bs) {
				snprintf(msg, sizeof(msg), "%s: an operation returned %lld",
					 c->name, (long long)ev[k].res);
				io_destroy_(ctx);
				return fail(msg);
			}
			free_slots[nfree++] = (unsigned int)ev[k].data;
			done++;
		}
	}
	t1 = now_ns();
	printf("bench-blk %s %s ops=%u bytes=%llu ns=%llu reqs=%llu irqs=%llu digest=%016llx\n",
	       c->name, bench_side(), c->ops, (unsigned long long)c->ops * c->bs,
	       (unsigned long long)(t1 - t0), (unsigned long long)(disk_reqs() - r0),
	       (unsigned long long)(blkif_irqs() - i0), (unsigned long long)digest);
	fflush(stdout);
	io_destroy_(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long size = 0;
	unsigned char *bufs;
	size_t room = 0;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2)
		return fail("usage: blkbench DEVICE");
	dev_name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0)
		return fail("cannot open the device with O_DIRECT");
	/* A regular file (a try-out on a host) has no BLKGETSIZE64. */
	if (ioctl(fd, BLKGETSIZE64, &size) < 0)
		size = (unsigned long long)lseek(fd, 0, SEEK_END);
	if (size < BLKB_DISK_BYTES)
		return fail("the disk is smaller than the workload's");
	/* One buffer per slot, page-aligned, written once with non-zero data. */
	for (unsigned int ci = 0; ci < BLKB_NR_CASES; ci++)
		if ((size_t)blkb_cases[ci].qd * blkb_cases[ci].bs > room)
			room = (size_t)blkb_cases[ci].qd * blkb_cases[ci].bs;
	if (posix_memalign((void **)&bufs, 4096, room))
		return fail("no memory for the buffers");
	for (size_t i = 0; i < room; i++)
		bufs[i] = (unsigned char)(i * 7 + 1);
	for (unsigned int ci = 0; ci < BLKB_NR_CASES; ci++)
		if (run_case(fd, ci, bufs))
			return 1;
	close(fd);
	printf("bench-blk: done\n");
	return 0;
}

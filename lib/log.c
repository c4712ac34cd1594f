/*
 * lib/log.c - pvk_log(): one formatted line per call, handed to the host kernel.
 *
 * The line is built on the stack so logging works from fault handlers and
 * before any allocator exists. While the host writes it, the CPU is marked
 * as logging: a host console may make hypercalls to write it, and those
 * are not what a crash report means by the CPU's last hypercall
 * (hypercall/last.c asks pvk_log_writing()).
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>

#define PVK_LOG_LINE_MAX 256

static const char *const level_tag[] = {
	[PVK_LOG_ERR] = "error: ",
	[PVK_LOG_WARN] = "warning: ",
	[PVK_LOG_INFO] = "",
	[PVK_LOG_DEBUG] = "debug: ",
};

/* Lines being written on each CPU (a log line's hypercall may log). */
static unsigned int writing[PVK_MAX_CPUS];

void pvk_log_write(const char *text, size_t len)
{
	unsigned int cpu = pvk_port_cpu_id();

	if (cpu >= PVK_MAX_CPUS) {
		pvk_port_log_write(text, len);
		return;
	}
	writing[cpu]++;
	pvk_barrier();
	pvk_port_log_write(text, len);
	pvk_barrier();
	writing[cpu]--;
}

bool pvk_log_writing(void)
{
	unsigned int cpu = pvk_port_cpu_id();

	return cpu < PVK_MAX_CPUS && PVK_READ_ONCE(writing[cpu]);
}

void pvk_log_vline(const char *tag, const char *fmt, va_list ap)
{
	char line[PVK_LOG_LINE_MAX];
	int n;

	n = pvk_snprintf(line, sizeof(line), "pvkit: %s", tag);
	n += pvk_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	pvk_log_write(line, (size_t)n);
}

void pvk_log(enum pvk_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pvk_log_vline(level < PVK_ARRAY_SIZE(level_tag) ? level_tag[level] : "", fmt, ap);
	va_end(ap);
}

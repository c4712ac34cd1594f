/*
 * lib/log.c - pvk_log(): one formatted line per call, handed to the host kernel.
 *
 * The line is built on the stack so logging works from fault handlers and
 * before any allocator exists.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>

#define PVK_LOG_LINE_MAX 256

static const char *const level_tag[] = {
	[PVK_LOG_ERR] = "error: ",
	[PVK_LOG_WARN] = "warning: ",
	[PVK_LOG_INFO] = "",
	[PVK_LOG_DEBUG] = "debug: ",
};

void pvk_log(enum pvk_log_level level, const char *fmt, ...)
{
	char line[PVK_LOG_LINE_MAX];
	va_list ap;
	int n;

	n = pvk_snprintf(line, sizeof(line), "pvkit: %s",
			 level < PVK_ARRAY_SIZE(level_tag) ? level_tag[level] : "");
	va_start(ap, fmt);
	n += pvk_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	pvk_port_log_write(line, (size_t)n);
}

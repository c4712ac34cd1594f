/*
 * pvkit/log.h - the kit's formatted logging, written through pvk_port_log_write().
 *
 * pvk_vsnprintf() is a small freestanding printf core (d i u o x X p s c %,
 * flags, width, precision, hh/h/l/ll/z/t lengths; no floating point) so the
 * kit can report errors with numbers in them on any host kernel, including
 * before its console.
 */
#ifndef PVKIT_LOG_H
#define PVKIT_LOG_H

#include <pvkit/types.h>	/* also va_list, from the host's <stdarg.h> */

enum pvk_log_level {
	PVK_LOG_ERR,
	PVK_LOG_WARN,
	PVK_LOG_INFO,
	PVK_LOG_DEBUG,
};

/* Formats into buf (always terminated when size > 0); returns the length the
 * whole output would have had, as C's vsnprintf does. */
int pvk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int pvk_snprintf(char *buf, size_t size, const char *fmt, ...) __pvk_printf(3, 4);

/* One log line: "pvkit: <message>\n". Lines longer than 255 bytes are cut. */
void pvk_log(enum pvk_log_level level, const char *fmt, ...) __pvk_printf(2, 3);

/* A finished line (ending in '\n') to pvk_port_log_write(), with the
 * calling CPU marked as logging meanwhile; pvk_log_writing() tells whether
 * it is (the hypercalls a console makes are then not recorded as the
 * CPU's last, pvkit/hypercall_stats.h). */
void pvk_log_write(const char *text, size_t len);
bool pvk_log_writing(void);
/* pvk_log()'s line with a tag of the caller's ("pvkit: <tag><message>\n",
 * cut at 255 bytes), e.g. the crash report's "crash: ". */
void pvk_log_vline(const char *tag, const char *fmt, va_list ap) __pvk_printf(2, 0);

#define pvk_err(...)  pvk_log(PVK_LOG_ERR, __VA_ARGS__)
#define pvk_warn(...) pvk_log(PVK_LOG_WARN, __VA_ARGS__)
#define pvk_info(...) pvk_log(PVK_LOG_INFO, __VA_ARGS__)
#ifdef CONFIG_PVK_DEBUG
#define pvk_debug(...) pvk_log(PVK_LOG_DEBUG, __VA_ARGS__)
#else
#define pvk_debug(...) do { } while (0)
#endif

#endif /* PVKIT_LOG_H */

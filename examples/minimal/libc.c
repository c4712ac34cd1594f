/*
 * examples/minimal/libc.c - the five C routines the kit (and GCC) call and
 * that port.h leaves to the host, as any kernel has them: plain loops.
 */
#include <pvkit/types.h>

void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

void *memset(void *d, int c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)d)[i] = (unsigned char)c;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp < sp)
		for (size_t i = 0; i < n; i++)
			dp[i] = sp[i];
	else
		while (n--)
			dp[n] = sp[n];
	return d;
}

void *memcpy(void *d, const void *s, size_t n) { return memmove(d, s, n); }

int memcmp(const void *a, const void *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const unsigned char *)a)[i] != ((const unsigned char *)b)[i])
			return ((const unsigned char *)a)[i] - ((const unsigned char *)b)[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/*
 * tests/guest/smp.c - the reference guest's CPUs: its answer to
 * pvk_port_cpu_id() (port.h).
 *
 * Until the guest starts other CPUs, only CPU 0 runs.
 */
#include <pvkit/port.h>

#include "guest.h"

unsigned int pvk_port_cpu_id(void)
{
	return 0;
}

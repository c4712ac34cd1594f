/* tests/lint/unpaired.S - a BEGIN without END: pv-lint must refuse it. */
#include <pvkit/pv_lint.h>
	.text
	.type	unpaired, @function
unpaired:
	PVK_NATIVE_ONLY_BEGIN
	cli
	ret
	.size	unpaired, . - unpaired
	.section .note.GNU-stack, "", @progbits

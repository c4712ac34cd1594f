/*
 * tests/lint/sample_c2.c - an unmarked static twin() of the same name as
 * sample_c.c's marked one: pv-lint must still report its hlt (run.sh).
 */
void c2_twin(void);

static __attribute__((noinline)) void twin(void)
{
	__asm__ __volatile__("hlt");
}

void c2_twin(void)
{
	twin();
}

/* tests/lint/allowed_file.S - a whole file sample.allow allows (run.sh). */
	.text
	.type	in_allowed_file, @function
in_allowed_file:
	cli
	hlt
	.size	in_allowed_file, . - in_allowed_file
	.section .note.GNU-stack, "", @progbits

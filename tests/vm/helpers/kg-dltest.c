// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* kg-dltest.c - the shared library that scenarios sign and dlopen. */
int kg_dltest_answer(void);

int kg_dltest_answer(void)
{
	return 42;
}

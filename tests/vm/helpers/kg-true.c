// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* kg-true.c - the program that scenarios sign, copy and execute. */
int main(void)
{
	return 0;
}

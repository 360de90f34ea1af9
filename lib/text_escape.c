// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/* text_escape.c - untrusted text for human output (text_escape.h). */
#include "text_escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Length of the valid UTF-8 character at s (at most avail bytes) and its
 * code point, or 0. Overlong forms and surrogates are not valid. */
static size_t utf8_char(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t n;
	uint32_t v;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		v = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		v = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff)))
		return 0;
	if (n == 4 && (v < 0x10000 || v > 0x10ffff))
		return 0;
	*cp = v;
	return n;
}

/* Code points that change how the rest of a line is shown or read. */
static bool invisible_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

size_t kg_escape_text(char *out, size_t size, const char *s, size_t len, unsigned flags,
		      size_t *columns)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, cols = 0;

	if (size == 0)
		return 0;
	while (i < len && u[i]) {
		uint32_t cp = 0;
		size_t n = u[i] >= 0x80 ? utf8_char(u + i, len - i, &cp) : 1;
		bool escape = n == 0 || u[i] < 0x20 || u[i] == 0x7f || u[i] == '\\' ||
			      (u[i] == ' ' && (flags & KG_ESCAPE_SPACE)) ||
			      (n > 1 && invisible_control(cp));

		if (!escape) {
			if (o + n >= size)
				break;
			for (size_t k = 0; k < n; k++)
				out[o++] = (char)u[i + k];
			i += n;
			cols++;
			continue;
		}
		/* Every byte of an escaped character gets its own \xNN. */
		if (n == 0)
			n = 1;
		if (o + KG_ESCAPE_MAX_PER_BYTE * n >= size)
			break;
		for (size_t k = 0; k < n; k++) {
			snprintf(out + o, size - o, "\\x%02x", u[i + k]);
			o += KG_ESCAPE_MAX_PER_BYTE;
			cols += KG_ESCAPE_MAX_PER_BYTE;
		}
		i += n;
	}
	out[o] = '\0';
	if (columns)
		*columns = cols;
	return o;
}

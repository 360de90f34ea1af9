/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * text_escape.h - untrusted text (paths, process names) made safe for a
 * human reader: nothing in it can end a line, drive a terminal, reorder
 * what is shown or pass for an escape keygate wrote.
 */
#ifndef KEYGATE_TEXT_ESCAPE_H
#define KEYGATE_TEXT_ESCAPE_H

#include <stddef.h>

/* Also escape spaces: for fields in a line of space-separated fields. */
#define KG_ESCAPE_SPACE 0x1u

/* Longest escape of one input byte ("\xNN"). */
#define KG_ESCAPE_MAX_PER_BYTE 4

/*
 * Copies s[0..len) to out as valid UTF-8 text in which every byte of these
 * is written as \xNN: C0 control bytes and DEL, bytes that are not part of
 * valid UTF-8, the backslash, C1 controls (U+0080-U+009F), the Unicode
 * line and paragraph separators and the bidirectional formatting controls
 * (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), and spaces with
 * KG_ESCAPE_SPACE. Stops at a NUL byte. Writes at most size - 1 bytes and
 * a NUL, never cutting a character or an escape. Returns the bytes written;
 * *columns (optional) receives the characters written.
 */
size_t kg_escape_text(char *out, size_t size, const char *s, size_t len, unsigned flags,
		      size_t *columns);

#endif /* KEYGATE_TEXT_ESCAPE_H */

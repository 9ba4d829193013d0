/*
 * utf8.h: well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF; the check jansson's json_string makes), for text
 * that goes into JSON, ZIP names flagged UTF-8, and error messages.
 */
#ifndef KHO_UTF8_H
#define KHO_UTF8_H

#include <stddef.h>

/* kho_utf8_valid: the n bytes at s are well-formed UTF-8. */
int kho_utf8_valid(const char *s, size_t n);

/*
 * kho_utf8_cut: end s, which holds n bytes, after its last complete UTF-8
 * character (s[n] or earlier becomes NUL). s must have room for n + 1.
 */
void kho_utf8_cut(char *s, size_t n);

/*
 * kho_utf8_scrub: replace, in place, every byte of the string s that does
 * not start a well-formed character by '?', so that s can go into JSON.
 */
void kho_utf8_scrub(char *s);

#endif

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

/*
 * kho_utf8_nfc: the text of b (UTF-8) in Unicode normalization form C, in
 * place (ICU): a name typed with combining marks ("Tra\u0300n", decomposed,
 * as some systems write it) becomes the composed form it looks like, so that
 * a byte comparison finds it. Bytes that are not UTF-8 become U+FFFD. The
 * old contents are wiped. 0, or KHO_ENOMEM / KHO_ETOOBIG (b's cap) /
 * KHO_EFORMAT.
 */
struct kho_buf;
int kho_utf8_nfc(struct kho_buf *b);

/*
 * kho_utf8_same_name: 1 if a and b name the same person or account as
 * people type names: equal once spaces around them are dropped, both are
 * in normalization form C and their case is folded (ICU): "Lân", "LÂN",
 * " La\u0302n" are one name. 0 otherwise; a name over 400 bytes is compared
 * byte for byte.
 */
int kho_utf8_same_name(const char *a, const char *b);

/*
 * kho_digit_at: the decimal digit at p (left bytes there): ASCII,
 * fullwidth (U+FF10..U+FF19, as Asian input methods type them) or
 * Arabic-Indic (U+0660..U+0669, U+06F0..U+06F9). Its byte length (1, 2 or
 * 3), its value as an ASCII digit in *value (may be NULL); 0 if none.
 */
size_t kho_digit_at(const unsigned char *p, size_t left, char *value);

/*
 * kho_redact_numbers: replace, in place, by "[number]" every number in s
 * that could be a personal identification number (12 digits, 9 for the old
 * identity card) or an enterprise code (10): a run of 9 or more digits,
 * ASCII or fullwidth, whatever letters touch it ("CCCD001099001234"), or
 * groups of exactly 3 digits joined by single spaces, dots or hyphens, 9
 * digits or more in all ("001.099.001.234"); for logs and the audit trail,
 * which must never hold one. Result codes ("...-250314-0101-KQ1"), dates
 * and package ids (64 hexadecimal characters) are left as they are.
 */
void kho_redact_numbers(char *s);

/*
 * kho_text_clean: a copy of s (malloc'd, NULL if out of memory) fit for a
 * terminal, JSON and XML 1.0 alike: every byte that starts no well-formed
 * character, every control (C0 but tab and, with keep_nl, newline; DEL;
 * C1, U+0080..U+009F, which terminals take as escape sequences), every
 * bidirectional formatting character (U+061C, U+200E/F, U+202A..U+202E,
 * U+2066..U+2069: they reorder what a reader sees, "ketqua<RLO>fdp.exe")
 * and the non-characters U+FFFE/U+FFFF (not XML characters) becomes '?'.
 */
char *kho_text_clean(const char *s, int keep_nl);

#endif

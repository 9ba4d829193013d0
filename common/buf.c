/*
 * buf.c: capped growable buffers (see buf.h).
 */
#include "common/buf.h"
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void kho_buf_init(kho_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int grow(kho_buf *b, size_t n)
{
	size_t need, ncap;
	unsigned char *p;

	if (b->max < b->len || b->max - b->len < n)
		return KHO_ETOOBIG;
	need = b->len + n;
	if (b->data != NULL && need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > ((size_t)-1) / 2 ? need : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	if (ncap == (size_t)-1)
		return KHO_ETOOBIG;
	p = realloc(b->data, ncap + 1);
	if (p == NULL)
		return KHO_ENOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int kho_buf_reserve(kho_buf *b, size_t n)
{
	unsigned char *p;

	if (b->max < b->len || b->max - b->len < n)
		return KHO_ETOOBIG;
	/* Exactly what was asked: the caller knows the final size. */
	if (b->data == NULL || b->cap - b->len < n) {
		size_t need = b->len + n;

		if (need == (size_t)-1)
			return KHO_ETOOBIG;
		p = realloc(b->data, need + 1);
		if (p == NULL)
			return KHO_ENOMEM;
		b->data = p;
		b->cap = need;
	}
	b->data[b->len] = '\0';
	return 0;
}

int kho_buf_append(kho_buf *b, const void *p, size_t n)
{
	int rc = grow(b, n);

	if (rc != 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int kho_buf_appendf(kho_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return KHO_EINVAL;
	rc = grow(b, (size_t)n);
	if (rc != 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void kho_buf_reset(kho_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

unsigned char *kho_buf_steal(kho_buf *b, size_t *len_out)
{
	unsigned char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	if (len_out != NULL)
		*len_out = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

void kho_buf_free(kho_buf *b)
{
	if (b->data != NULL) {
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void kho_buf_release(kho_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Error object with a message: see err.h for the convention. */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int err_code(int code)
{
	return code == 0 ? -EIO : -abs(code);
}

static int err_vset(struct vnl_err *e, int code, int with_strerror, const char *fmt, va_list ap)
{
	int len;

	code = err_code(code);
	if (!e)
		return code;
	e->code = code;
	len = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (with_strerror && len >= 0 && (size_t)len < sizeof(e->msg))
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(-code));
	return code;
}

int vnl_errf(struct vnl_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = err_vset(e, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int vnl_errno(struct vnl_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = err_vset(e, code, 1, fmt, ap);
	va_end(ap);
	return code;
}

int vnl_err_wrap(struct vnl_err *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	va_list ap;
	int len;

	if (!e)
		return -EIO;
	e->code = err_code(e->code);
	/* Copy first: the new text is written over the buffer the old one lives in. */
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	len = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (len >= 0 && (size_t)len < sizeof(e->msg) && old[0])
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", old);
	return e->code;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Error object for common/ and everything that drives the kernel for vnld.
 *
 * Convention (STYLE.md rule 17): a function returns 0 (or a non-negative
 * value) on success and a negative errno on failure; when it takes a
 * `struct vnl_err *`, it also fills it with the same code and a one-line
 * message that names the object ("veth 'a0': File exists").  Callers add
 * context on the way up with vnl_err_wrap(), and only the layer that decides
 * logs the final message (rule 18).  Library code never prints.
 *
 * A NULL `struct vnl_err *` is accepted everywhere: the code is still
 * returned, the message is dropped.
 *
 * Thread-safety: a vnl_err belongs to its caller; the functions below touch
 * only the object they are given.
 */
#pragma once

#include <stddef.h>

struct vnl_err {
	int code;       /* negative errno of the last failure, 0 if none */
	char msg[256];  /* NUL-terminated, truncated to fit, never ends in '\n' */
};

/* Reset to "no error". */
static inline void vnl_err_clear(struct vnl_err *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}

/*
 * Record a failure: code is stored as -abs(code) (callers may pass errno or
 * -errno) and the formatted message replaces any previous one.  The text of
 * strerror(code) is NOT appended: write "%s", strerror(...) where wanted, or
 * use vnl_errno() below.  Returns the stored negative code, so that
 * `return vnl_errf(err, -ENOENT, "netns '%s' not found", name);` reads well.
 * A code of 0 is turned into -EIO so that a failure is never reported as 0.
 */
__attribute__((format(printf, 3, 4)))
int vnl_errf(struct vnl_err *e, int code, const char *fmt, ...);

/* Like vnl_errf() with ": <strerror(code)>" appended to the message. */
__attribute__((format(printf, 3, 4)))
int vnl_errno(struct vnl_err *e, int code, const char *fmt, ...);

/*
 * Add context in front of the current message: "<fmt...>: <old message>".
 * Keeps e->code and returns it (a negative errno, or -EIO when e held no
 * error).  With a NULL e, returns -EIO: pass the code yourself instead when
 * the error object may be NULL (`vnl_err_wrap(e, ...), r`).
 */
__attribute__((format(printf, 2, 3)))
int vnl_err_wrap(struct vnl_err *e, const char *fmt, ...);

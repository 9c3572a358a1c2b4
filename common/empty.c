/* SPDX-License-Identifier: GPL-2.0-only */
/* Keeps the static libraries non-empty while their folders fill up. */
static int vnl_empty_unit __attribute__((unused));

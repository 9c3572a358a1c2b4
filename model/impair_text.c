/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Impairment keys as text (topology.h, "impairments"): the one parser and
 * printer of their units, shared by the topology file, vnld's `impair`
 * request and vnl. The words and units are tc's for netem, so that a
 * `tc qdisc ... netem delay 20ms loss 1%` line translates word for word.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "topology.h"

const char *const topo_impair_keys[TOPO_IMP_KEYS] = {
	[TOPO_IMP_DELAY] = "delay", [TOPO_IMP_JITTER] = "jitter", [TOPO_IMP_DIST] = "distribution",
	[TOPO_IMP_LOSS] = "loss", [TOPO_IMP_RATE] = "rate", [TOPO_IMP_BURST] = "burst",
	[TOPO_IMP_LIMIT] = "limit", [TOPO_IMP_OVERHEAD] = "overhead", [TOPO_IMP_DUPLICATE] = "duplicate",
	[TOPO_IMP_REORDER] = "reorder", [TOPO_IMP_GAP] = "gap", [TOPO_IMP_CORRUPT] = "corrupt",
	[TOPO_IMP_SEED] = "seed",
};

#define MS 1000000ull
#define TIME_MAX (60000 * MS)		/* 60 s */
#define PPM_MAX 1000000u		/* 100 % */
#define RATE_MIN 8ull
#define RATE_MAX 400000000000ull	/* 400 Gbit/s */
#define BURST_MAX (64u << 20)
#define LIMIT_MAX 65535u
#define OVERHEAD_MIN (-64)
#define OVERHEAD_MAX 256

/* A unit word and what one of it is worth in the key's base unit. */
struct unit {
	const char *name;
	uint64_t scale;
};

static const struct unit time_units[] = {
	{ "ns", 1 }, { "nsec", 1 }, { "nsecs", 1 }, { "us", 1000 }, { "usec", 1000 }, { "usecs", 1000 },
	{ "ms", MS }, { "msec", MS }, { "msecs", MS }, { "s", 1000 * MS }, { "sec", 1000 * MS },
	{ "secs", 1000 * MS }, { NULL, 0 },
};

/* tc's rate units (bits per second; *bps are bytes), any case. */
static const struct unit rate_units[] = {
	{ "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 }, { "gbit", 1000000000 },
	{ "tbit", 1000000000000 }, { "kibit", 1ull << 10 }, { "mibit", 1ull << 20 }, { "gibit", 1ull << 30 },
	{ "tibit", 1ull << 40 }, { "bps", 8 }, { "kbps", 8000 }, { "mbps", 8000000 }, { "gbps", 8000000000 },
	{ "tbps", 8000000000000 }, { "kibps", 8ull << 10 }, { "mibps", 8ull << 20 }, { "gibps", 8ull << 30 },
	{ "tibps", 8ull << 40 }, { NULL, 0 },
};

static const struct unit size_units[] = {
	{ "b", 1 }, { "k", 1024 }, { "kb", 1024 }, { "m", 1 << 20 }, { "mb", 1 << 20 }, { NULL, 0 },
};

static const struct unit pct_units[] = { { "%", 10000 }, { NULL, 0 } };

/*
 * text = NUMBER[UNIT], NUMBER decimal digits with an optional fraction (at
 * most 24 digits); the value NUMBER * the unit's scale (`bare` without a
 * unit; 0: a unit is required) into *out. false when text is not of that
 * form, the unit is unknown, the value is not whole or above max.
 */
static bool scaled(const char *text, const struct unit *units, uint64_t bare, uint64_t max, uint64_t *out)
{
	unsigned __int128 mant = 0, pow = 1, v;
	const char *p = text;
	unsigned digits = 0;
	uint64_t scale = 0;
	bool dot = false;

	if (*p < '0' || *p > '9')
		return false;
	for (; (*p >= '0' && *p <= '9') || (*p == '.' && !dot); p++) {
		if (*p == '.') {
			dot = true;
			continue;
		}
		if (++digits > 24)
			return false;
		mant = mant * 10 + (unsigned)(*p - '0');
		if (dot)
			pow *= 10;
	}
	if (p[-1] == '.')
		return false;
	if (*p == '\0')
		scale = bare;
	for (const struct unit *u = units; *p && u->name; u++)
		if (strcasecmp(u->name, p) == 0)
			scale = u->scale;
	if (scale == 0)
		return false;
	v = mant * scale;
	if (v % pow || v / pow > max)
		return false;
	*out = (uint64_t)(v / pow);
	return true;
}

/* A decimal integer (optional '-' when min < 0) in [min, max]. */
static bool integer(const char *text, int64_t min, uint64_t max, int64_t *out, uint64_t *uout)
{
	bool neg = text[0] == '-';
	const char *p = text + neg;
	uint64_t v;
	char *end;

	if (*p < '0' || *p > '9' || (neg && min >= 0))
		return false;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (*end || errno || (!neg && (v > max || (min > 0 && v < (uint64_t)min))) || (neg && v > (uint64_t)-min))
		return false;
	if (out)
		*out = neg ? -(int64_t)v : (int64_t)v;
	if (uout)
		*uout = v;
	return true;
}

/* Gilbert-Elliott: "gemodel P [R [1-H [1-K]]]" (tc's defaults after P). */
static bool gemodel(const char *text, uint32_t ppm[4])
{
	char buf[128], *save = NULL, *w;
	unsigned n = 0;
	uint64_t v;

	if (strlen(text) >= sizeof(buf))
		return false;
	strcpy(buf, text);
	w = strtok_r(buf, " ", &save);
	if (w == NULL || strcmp(w, "gemodel"))
		return false;
	for (w = strtok_r(NULL, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (n == 4 || !scaled(w, pct_units, 10000, PPM_MAX, &v))
			return false;
		ppm[n++] = (uint32_t)v;
	}
	if (n == 0 || ppm[0] == 0)
		return false;
	if (n < 2)
		ppm[1] = PPM_MAX - ppm[0];
	if (n < 3)
		ppm[2] = PPM_MAX;
	if (n < 4)
		ppm[3] = 0;
	return true;
}

int topo_impair_key(const char *name)
{
	for (unsigned k = 0; k < TOPO_IMP_KEYS; k++)
		if (strcmp(topo_impair_keys[k], name) == 0)
			return (int)k;
	return -1;
}

const char *topo_impair_key_list(char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < TOPO_IMP_KEYS && at < size; k++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s", k ? ", " : "", topo_impair_keys[k]);
	return buf;
}

/* What each key takes, for "KEY must be ..., not 'TEXT'". */
static const char *const expect[TOPO_IMP_KEYS] = {
	[TOPO_IMP_DELAY] = "a time like 20ms, 1.5s or 250us, at most 60s",
	[TOPO_IMP_JITTER] = "a time like 2ms or 500us, at most 60s",
	[TOPO_IMP_DIST] = "uniform or normal (netem's pareto and tables are not supported)",
	[TOPO_IMP_LOSS] = "a percentage 0%..100% like 1% or 0.05%, or 'gemodel P [R [1-H [1-K]]]' with P > 0",
	[TOPO_IMP_RATE] = "a rate like 100mbit or 1gbit, 8bit..400gbit (0: none)",
	[TOPO_IMP_BURST] = "a size like 64kb or 1500b, at most 64mb",
	[TOPO_IMP_LIMIT] = "a number of frames 1..65535",
	[TOPO_IMP_OVERHEAD] = "a number of bytes -64..256",
	[TOPO_IMP_DUPLICATE] = "a percentage 0%..100% like 1% or 0.05%",
	[TOPO_IMP_REORDER] = "a percentage 0%..100% like 25%",
	[TOPO_IMP_GAP] = "a number of frames 1..65535",
	[TOPO_IMP_CORRUPT] = "a percentage 0%..100% like 0.1%",
	[TOPO_IMP_SEED] = "an integer 0..9223372036854775807",
};

int topo_impair_set(struct topo_impair *imp, unsigned key, const char *text, int line, int column,
		    struct vnl_err *err)
{
	struct topo_impair n = *imp;
	char shown[TOPO_SHOW_LEN];
	uint32_t ge[4] = { 0 };
	uint64_t v = 0;
	int64_t i = 0;
	bool good;

	if (key >= TOPO_IMP_KEYS)
		return topo_errf(err, line, column, EINVAL, "unknown impairment key %u", key);
	switch (key) {
	case TOPO_IMP_DELAY:
	case TOPO_IMP_JITTER:
		good = scaled(text, time_units, 0, TIME_MAX, &v) || strcmp(text, "0") == 0;
		*(key == TOPO_IMP_DELAY ? &n.delay_ns : &n.jitter_ns) = v;
		break;
	case TOPO_IMP_DIST:
		good = !strcmp(text, "uniform") || !strcmp(text, "normal");
		n.dist = !strcmp(text, "normal") ? TOPO_DIST_NORMAL : TOPO_DIST_UNIFORM;
		break;
	case TOPO_IMP_LOSS:
		/* tc's "random" is its word for the Bernoulli model. */
		if (strncmp(text, "random ", 7) == 0)
			text += 7;
		if (strncmp(text, "gemodel", 7) == 0) {
			good = gemodel(text, ge);
			n.ge = good, n.loss_ppm = 0;
			memcpy(n.ge_ppm, ge, sizeof(ge));
		} else {
			good = scaled(text, pct_units, 10000, PPM_MAX, &v);
			n.ge = false, n.loss_ppm = (uint32_t)v;
			memset(n.ge_ppm, 0, sizeof(n.ge_ppm));
		}
		break;
	case TOPO_IMP_RATE:
		good = (scaled(text, rate_units, 1, RATE_MAX, &v) && (v == 0 || v >= RATE_MIN)) ||
		       strcmp(text, "0") == 0;
		n.rate_bps = v;
		break;
	case TOPO_IMP_BURST:
		good = scaled(text, size_units, 1, BURST_MAX, &v);
		n.burst = (uint32_t)v;
		break;
	case TOPO_IMP_LIMIT:
	case TOPO_IMP_GAP:
		/* 0 is the struct's "not given" (topology.h): not a value. */
		good = integer(text, 1, LIMIT_MAX, &i, NULL);
		*(key == TOPO_IMP_LIMIT ? &n.limit : &n.gap) = (uint32_t)i;
		break;
	case TOPO_IMP_OVERHEAD:
		good = integer(text, OVERHEAD_MIN, OVERHEAD_MAX, &i, NULL);
		n.overhead = (int32_t)i;
		break;
	case TOPO_IMP_SEED:
		good = integer(text, 0, INT64_MAX, NULL, &v);
		n.seed = v, n.has_seed = true;
		break;
	default: /* the percentages */
		good = scaled(text, pct_units, 10000, PPM_MAX, &v);
		*(key == TOPO_IMP_DUPLICATE ? &n.dup_ppm : key == TOPO_IMP_REORDER ? &n.reorder_ppm
										: &n.corrupt_ppm) = (uint32_t)v;
		break;
	}
	if (!good)
		return topo_errf(err, line, column, EINVAL, "%s must be %s, not '%s'", topo_impair_keys[key],
				 expect[key], topo_show(text, shown));
	*imp = n;
	return 0;
}

/* ns as the largest unit that shows it with at most 3 decimals. */
static const char *time_text(uint64_t ns, char *buf)
{
	static const struct unit shown[] = { { "s", 1000 * MS }, { "ms", MS }, { "us", 1000 } };

	for (unsigned i = 0; i < 3; i++) {
		uint64_t u = shown[i].scale, milli = u / 1000;
		char frac[24];

		if (ns < u || ns % milli)
			continue;
		snprintf(frac, sizeof(frac), ".%03" PRIu64, ns % u / milli);
		for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
		snprintf(buf, TOPO_IMP_TEXT_LEN, "%" PRIu64 "%s%s", ns / u, frac[1] ? frac : "", shown[i].name);
		return buf;
	}
	snprintf(buf, TOPO_IMP_TEXT_LEN, "%" PRIu64 "ns", ns);
	return buf;
}

/* ppm as a percentage with at most 4 decimals, into buf at its end. */
static void pct_text(uint32_t ppm, char *buf)
{
	size_t at = strlen(buf);
	char frac[16];

	snprintf(frac, sizeof(frac), ".%04u", ppm % 10000);
	for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	snprintf(buf + at, TOPO_IMP_TEXT_LEN - at, "%u%s%%", ppm / 10000, frac[1] ? frac : "");
}

/* v in the largest unit of units (largest first) that divides it. */
static const char *whole_text(uint64_t v, const struct unit *units, unsigned n, char *buf)
{
	for (unsigned i = 0; i < n; i++)
		if (v % units[i].scale == 0) {
			snprintf(buf, TOPO_IMP_TEXT_LEN, "%" PRIu64 "%s", v / units[i].scale, units[i].name);
			break;
		}
	return buf;
}

const char *topo_impair_text(const struct topo_impair *imp, unsigned key, char *buf)
{
	static const struct unit rates[] = { { "tbit", 1000000000000 }, { "gbit", 1000000000 }, { "mbit", 1000000 },
					     { "kbit", 1000 }, { "bit", 1 } };
	static const struct unit sizes[] = { { "mb", 1 << 20 }, { "kb", 1024 }, { "b", 1 } };
	uint32_t pct = 0;

	buf[0] = '\0';
	switch (key) {
	case TOPO_IMP_DELAY:
		return imp->delay_ns ? time_text(imp->delay_ns, buf) : NULL;
	case TOPO_IMP_JITTER:
		return imp->jitter_ns ? time_text(imp->jitter_ns, buf) : NULL;
	case TOPO_IMP_DIST:
		return imp->dist == TOPO_DIST_NORMAL ? strcpy(buf, "normal") : NULL;
	case TOPO_IMP_LOSS:
		if (imp->ge) {
			strcpy(buf, "gemodel");
			for (unsigned i = 0; i < 4; i++) {
				strcat(buf, " ");
				pct_text(imp->ge_ppm[i], buf);
			}
			return buf;
		}
		pct = imp->loss_ppm;
		break;
	case TOPO_IMP_RATE:
		return imp->rate_bps ? whole_text(imp->rate_bps, rates, 5, buf) : NULL;
	case TOPO_IMP_BURST:
		return imp->burst ? whole_text(imp->burst, sizes, 3, buf) : NULL;
	case TOPO_IMP_LIMIT:
	case TOPO_IMP_GAP:
		pct = key == TOPO_IMP_LIMIT ? imp->limit : imp->gap;
		if (pct)
			snprintf(buf, TOPO_IMP_TEXT_LEN, "%u", pct);
		return pct ? buf : NULL;
	case TOPO_IMP_OVERHEAD:
		if (imp->overhead)
			snprintf(buf, TOPO_IMP_TEXT_LEN, "%d", imp->overhead);
		return imp->overhead ? buf : NULL;
	case TOPO_IMP_SEED:
		if (imp->has_seed)
			snprintf(buf, TOPO_IMP_TEXT_LEN, "%" PRIu64, imp->seed);
		return imp->has_seed ? buf : NULL;
	case TOPO_IMP_DUPLICATE:
		pct = imp->dup_ppm;
		break;
	case TOPO_IMP_REORDER:
		pct = imp->reorder_ppm;
		break;
	case TOPO_IMP_CORRUPT:
		pct = imp->corrupt_ppm;
		break;
	default:
		return NULL;
	}
	if (pct == 0)
		return NULL;
	pct_text(pct, buf);
	return buf;
}

int topo_impair_check(const struct topo_impair *imp, const char *what, int line, int column,
		      struct vnl_err *err)
{
	const char *rule = NULL;
	bool ge_range = true;

	for (unsigned i = 0; i < 4; i++)
		ge_range = ge_range && imp->ge_ppm[i] <= PPM_MAX && (imp->ge || imp->ge_ppm[i] == 0);
	if (imp->delay_ns > TIME_MAX || imp->jitter_ns > TIME_MAX)
		rule = "delay and jitter are at most 60s";
	else if (imp->loss_ppm > PPM_MAX || imp->dup_ppm > PPM_MAX || imp->reorder_ppm > PPM_MAX ||
		 imp->corrupt_ppm > PPM_MAX || !ge_range || (imp->ge && imp->loss_ppm))
		rule = "percentages are 0%..100%";
	else if (imp->ge && imp->ge_ppm[0] == 0)
		rule = "gemodel needs P > 0";
	else if (imp->rate_bps > RATE_MAX || (imp->rate_bps && imp->rate_bps < RATE_MIN))
		rule = "rate must be 8bit..400gbit";
	else if (imp->burst > BURST_MAX)
		rule = "burst is at most 64mb";
	else if (imp->limit > LIMIT_MAX || imp->gap > LIMIT_MAX)
		rule = "limit and gap are at most 65535";
	else if (imp->overhead < OVERHEAD_MIN || imp->overhead > OVERHEAD_MAX)
		rule = "overhead must be -64..256";
	else if (imp->dist > TOPO_DIST_NORMAL)
		rule = "distribution must be uniform or normal";
	else if ((!imp->has_seed && imp->seed) || imp->seed > INT64_MAX)
		rule = "seed must be 0..9223372036854775807";
	else if (imp->reorder_ppm && !imp->delay_ns)
		rule = "reorder needs a delay, as in netem";
	else if (imp->gap && !imp->reorder_ppm)
		rule = "gap needs a reorder, as in netem";
	else if (imp->jitter_ns && !imp->delay_ns)
		rule = "jitter needs a delay, as in netem";
	else if (imp->dist && !imp->jitter_ns)
		rule = "distribution needs a jitter, as in netem";
	else if (imp->burst && !imp->rate_bps)
		rule = "burst needs a rate";
	else if (imp->overhead && !imp->rate_bps)
		rule = "overhead needs a rate, as in netem";
	if (rule == NULL)
		return 0;
	return topo_errf(err, line, column, EINVAL, "%s%s%s", what ? what : "", what ? ": " : "", rule);
}

bool topo_impair_none(const struct topo_impair *imp)
{
	char buf[TOPO_IMP_TEXT_LEN];

	for (unsigned k = 0; k < TOPO_IMP_KEYS; k++)
		if (topo_impair_text(imp, k, buf))
			return false;
	return true;
}

bool topo_impair_equal(const struct topo_impair *a, const struct topo_impair *b)
{
	char x[TOPO_IMP_TEXT_LEN], y[TOPO_IMP_TEXT_LEN];

	for (unsigned k = 0; k < TOPO_IMP_KEYS; k++) {
		const char *p = topo_impair_text(a, k, x), *q = topo_impair_text(b, k, y);

		if ((p == NULL) != (q == NULL) || (p && strcmp(p, q)))
			return false;
	}
	return true;
}

const char *topo_impair_line(const struct topo_impair *imp, char *buf, size_t size)
{
	char t[TOPO_IMP_TEXT_LEN];
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < TOPO_IMP_KEYS && at < size; k++)
		if (topo_impair_text(imp, k, t))
			at += (size_t)snprintf(buf + at, size - at, "%s%s %s", at ? " " : "", topo_impair_keys[k], t);
	if (at == 0)
		snprintf(buf, size, "none");
	return buf;
}

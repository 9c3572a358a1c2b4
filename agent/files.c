/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * File ops: PUT (host -> guest file), GET (guest file -> host), LIST (one
 * folder's entries), MKDIR.  Semantics are in agentproto.h; here:
 *
 * PUT writes "DIR/.NAME.vnl-XXXXXX" next to the destination (so the final
 * rename stays within one file system), checks the byte count against the
 * declared size on EOF, then chmod, fsync, rename, fsync of the folder.
 * Every other way out (short, long, write error, host CLOSE, link gone)
 * removes the temporary file.  File writes are plain blocking writes: a
 * local file takes them at disk speed, which bounds the link's stall.
 *
 * GET and LIST produce output only within the host's credit and while the
 * link has room, from the file or the folder itself (no copy in memory
 * beyond one pending LIST record).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

/* ---- PUT ---- */

struct put {
	int fd;                 /* the temporary file, -1 once closed */
	bool renamed;           /* tmp became path: nothing to remove */
	uint32_t mode;
	uint64_t size, got;     /* declared, received */
	char path[AP_MAX_PATH];
	char tmp[AP_MAX_PATH + 32];
};

static int put_open(struct chan *c, const struct ap_open *o)
{
	const char *slash = strrchr(o->path, '/');
	struct stat st;
	struct put *p;
	size_t dl = (size_t)(slash - o->path);

	if (slash[1] == 0)
		return chan_msg(c, -EISDIR, "put %s: Is a directory", o->path);
	if (stat(o->path, &st) == 0 && S_ISDIR(st.st_mode))
		return chan_msg(c, -EISDIR, "put %s: Is a directory", o->path);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return chan_msg(c, -ENOMEM, "out of memory");
	snprintf(p->path, sizeof(p->path), "%s", o->path);
	/* the name part is cut to 100 bytes so the temporary name fits NAME_MAX */
	snprintf(p->tmp, sizeof(p->tmp), "%.*s/.%.100s.vnl-XXXXXX", (int)dl, o->path, slash + 1);
	p->fd = mkostemp(p->tmp, O_CLOEXEC);
	if (p->fd < 0) {
		int r = chan_msg(c, -errno, "put %s: temporary file: %s", o->path, strerror(errno));

		free(p);
		return r;
	}
	p->mode = o->mode;
	p->size = o->size;
	c->op = p;
	chan_opened(c, 0, 0, 0);
	return 0;
}

static int put_input(struct chan *c, const uint8_t *data, uint32_t n)
{
	struct put *p = c->op;
	uint32_t done = 0;
	ssize_t w;

	if (n > p->size - p->got)
		return chan_msg(c, -EFBIG, "put %s: more than the declared %llu bytes", p->path,
				(unsigned long long)p->size);
	while (done < n) {
		w = write(p->fd, data + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return chan_msg(c, -errno, "put %s: write: %s", p->path, strerror(errno));
		done += (uint32_t)w;
	}
	p->got += n;
	chan_passed(c, n);
	return 0;
}

static int put_input_eof(struct chan *c)
{
	struct put *p = c->op;
	char dir[AP_MAX_PATH];
	int dfd;

	if (p->got != p->size)
		return chan_msg(c, -ENODATA, "put %s: short: %llu of %llu bytes", p->path, (unsigned long long)p->got,
				(unsigned long long)p->size);
	if (fchmod(p->fd, p->mode) < 0 || fsync(p->fd) < 0)
		return chan_msg(c, -errno, "put %s: %s", p->path, strerror(errno));
	if (close(p->fd) < 0) {
		p->fd = -1;
		return chan_msg(c, -errno, "put %s: close: %s", p->path, strerror(errno));
	}
	p->fd = -1;
	if (rename(p->tmp, p->path) < 0)
		return chan_msg(c, -errno, "put %s: rename: %s", p->path, strerror(errno));
	p->renamed = true;
	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(p->path, '/') - p->path), p->path);
	dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	chan_finish(c, 0, NULL);
	return 0;
}

static void put_release(struct chan *c, bool abort)
{
	struct put *p = c->op;

	(void)abort; /* not renamed means not complete, whatever the reason */
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (!p->renamed)
		unlink(p->tmp);
	free(p);
	c->op = NULL;
}

const struct chan_ops put_ops = {
	.name = "put",
	.open = put_open,
	.input = put_input,
	.input_eof = put_input_eof,
	.release = put_release,
};

/* ---- GET ---- */

struct get {
	int fd;        /* -1 at end of file */
	bool eof_sent;
};

static int get_open(struct chan *c, const struct ap_open *o)
{
	struct stat st;
	struct get *g;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang the agent before the type check */
	fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return chan_msg(c, -errno, "get %s: %s", o->path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;

		close(fd);
		return chan_msg(c, r, "get %s: %s", o->path, r == -EISDIR ? "Is a directory" : "not a regular file");
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		close(fd);
		return chan_msg(c, -ENOMEM, "out of memory");
	}
	g->fd = fd;
	c->op = g;
	chan_opened(c, 0, st.st_mode & 07777, (uint64_t)st.st_size);
	return 0;
}

static bool get_pump(struct chan *c)
{
	struct get *g = c->op;
	ssize_t r;

	if (g->fd >= 0) {
		r = chan_read_fd(c, AP_STDOUT, g->fd);
		if (r > 0)
			return true;
		if (r == -ENOBUFS)
			return false;
		if (r < 0 && r != -EAGAIN) {
			chan_finish(c, (int)r, "get: read: %s", strerror((int)-r));
			return false;
		}
		if (r == 0) {
			close(g->fd);
			g->fd = -1;
		}
	}
	if (g->fd < 0 && chan_send_eof(c, AP_STDOUT) == 0) {
		chan_finish(c, 0, NULL);
		return true;
	}
	return false;
}

static void get_release(struct chan *c, bool abort)
{
	struct get *g = c->op;

	(void)abort;
	if (g == NULL)
		return;
	if (g->fd >= 0)
		close(g->fd);
	free(g);
	c->op = NULL;
}

const struct chan_ops get_ops = {
	.name = "get",
	.open = get_open,
	.pump = get_pump,
	.release = get_release,
};

/* ---- LIST ---- */

#define REC_MAX (1 + 4 + 8 + NAME_MAX + 1)

struct list {
	DIR *d;
	bool end;              /* readdir said no more */
	size_t rec_len;        /* a record that did not fit the last frame */
	uint8_t rec[REC_MAX];
};

static int list_open(struct chan *c, const struct ap_open *o)
{
	struct list *l;
	int fd;
	DIR *d;

	fd = open(o->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return chan_msg(c, -errno, "list %s: %s", o->path, strerror(errno));
	d = fdopendir(fd);
	l = calloc(1, sizeof(*l));
	if (d == NULL || l == NULL) {
		d ? closedir(d) : close(fd);
		free(l);
		return chan_msg(c, -ENOMEM, "out of memory");
	}
	l->d = d;
	c->op = l;
	chan_opened(c, 0, 0, 0);
	return 0;
}

/* The next entry as a record in l->rec; false at the end. */
static bool next_record(struct list *l)
{
	struct dirent *de;
	struct stat st;
	size_t nl;

	while ((de = readdir(l->d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(l->d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone since readdir */
		nl = strnlen(de->d_name, NAME_MAX) + 1;
		l->rec[0] = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'o';
		le32(l->rec + 1, st.st_mode & 07777);
		le64(l->rec + 5, (uint64_t)st.st_size);
		memcpy(l->rec + 13, de->d_name, nl - 1);
		l->rec[13 + nl - 1] = 0;
		l->rec_len = 13 + nl;
		return true;
	}
	return false;
}

static bool list_pump(struct chan *c)
{
	struct list *l = c->op;
	size_t room = c->credit[AP_STDOUT] < AP_MAX_DATA ? (size_t)c->credit[AP_STDOUT] : AP_MAX_DATA, used = 0;
	uint8_t *sp;

	if (!l->end) {
		if (room < REC_MAX || !(sp = link_data_space(AP_DATA_HDR_LEN + room)))
			return false;
		while (used < room) {
			if (l->rec_len == 0 && !next_record(l)) {
				l->end = true;
				break;
			}
			if (l->rec_len > room - used)
				break;
			memcpy(sp + AP_DATA_HDR_LEN + used, l->rec, l->rec_len);
			used += l->rec_len;
			l->rec_len = 0;
		}
		if (used) {
			ap_put_data_hdr(sp, AP_DATA_HDR_LEN + used, c->id, AP_STDOUT, used);
			link_commit(AP_DATA_HDR_LEN + used);
			c->credit[AP_STDOUT] -= used;
		}
		if (!l->end)
			return true;
	}
	if (chan_send_eof(c, AP_STDOUT) == 0)
		chan_finish(c, 0, NULL);
	return true;
}

static void list_release(struct chan *c, bool abort)
{
	struct list *l = c->op;

	(void)abort;
	if (l == NULL)
		return;
	closedir(l->d);
	free(l);
	c->op = NULL;
}

const struct chan_ops list_ops = {
	.name = "list",
	.open = list_open,
	.pump = list_pump,
	.release = list_release,
};

/* ---- MKDIR ---- */

static int mkdir_open(struct chan *c, const struct ap_open *o)
{
	struct stat st;

	if (mkdir(o->path, o->mode) < 0) {
		int e = errno;

		if (e != EEXIST || stat(o->path, &st) < 0 || !S_ISDIR(st.st_mode))
			return chan_msg(c, -e, "mkdir %s: %s", o->path, strerror(e));
	} else if (chmod(o->path, o->mode) < 0) { /* the umask does not apply */
		int e = errno;

		rmdir(o->path);
		return chan_msg(c, -e, "mkdir %s: chmod: %s", o->path, strerror(e));
	}
	chan_opened(c, 0, 0, 0);
	chan_finish(c, 0, NULL);
	return 0;
}

static void mkdir_release(struct chan *c, bool abort)
{
	(void)c;
	(void)abort;
}

const struct chan_ops mkdir_ops = {
	.name = "mkdir",
	.open = mkdir_open,
	.release = mkdir_release,
};

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vnl cp` and `vnl cp -r` on a VM (vm_session.h, vms_copy): one file is
 * one channel (PUT, or GET into a temporary file renamed when complete);
 * a tree is walked on the side that has it, one channel per folder (MKDIR,
 * LIST) and per file, with the limits that keep a guest-chosen tree from
 * exhausting the host (CP_*).  Channels run in the engine (vm_session.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm_session.h"
#include "vm_session_priv.h"

#define LIST_MAX (16u << 20)              /* LIST text we accept */
#define CP_DEPTH_MAX 64                   /* folder levels of a cp -r from the node */
#define CP_HELD_MAX (16u << 20)           /* LIST text held at once by a cp -r from the node */

/* One vms_copy() call: where errors and skipped entries are told. */
struct cp {
	int fd;                 /* the link */
	struct sig_pipe *sigs;  /* the signal pipe of the whole copy */
	const char *node;       /* the OPENs' target */
	struct vnl_err *err;    /* the caller's (NULL accepted) */
	int skipped;            /* symlinks and special files left out */
	char first_skipped[PATH_MAX];  /* the first of them, ":" first when on the node */
	mode_t umask;           /* the process's: modes from the node are masked by it */
	size_t held;            /* LIST text held by the folders being walked (CP_HELD_MAX) */
};

/* "a" + "/" + "b", malloc'ed, NULL on ENOMEM. */
static char *path_join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s%s%s", a, a[0] && a[strlen(a) - 1] == '/' ? "" : "/", b) < 0)
		return NULL;
	return p;
}

static void cp_skip(struct cp *c, const char *side, const char *path)
{
	if (c->skipped++ == 0)
		snprintf(c->first_skipped, sizeof(c->first_skipped), "%s%s", side, path);
}

/* PUT host file src (opened, st) to node path dst. */
static int put_file(struct cp *c, const char *src, const char *dst)
{
	struct ap_open o = { .op = AP_OP_PUT, .target = c->node, .path = dst };
	struct sess *s;
	struct stat st;
	int sfd, r;

	sfd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (sfd < 0)
		return vnl_errno(c->err, errno, "open %s", src);
	if (fstat(sfd, &st) < 0)
		st.st_mode = 0;
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? vnl_errf(c->err, -EISDIR, "%s is a folder (copy it recursively)", src)
					: vnl_errf(c->err, -EINVAL, "%s is not a regular file", src);
		close(sfd);
		return r;
	}
	o.mode = st.st_mode & 07777;
	o.size = (uint64_t)st.st_size;
	r = vms_simple_op(c->fd, &o, sfd, o.size, -1, 0, c->sigs, &s, c->err);
	vms_sess_free(s);
	close(sfd);
	return r;
}

/* The base name of path (after its last '/'), for temp names. */
static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* GET node file src into host path dst: temp file, check, rename. */
static int get_file(struct cp *c, const char *src, const char *dst)
{
	struct ap_open o = { .op = AP_OP_GET, .target = c->node, .path = src };
	char tmp[PATH_MAX];
	const char *base = base_name(dst);
	struct sess *s = NULL;
	int tfd, r;

	if (!base[0])
		return vnl_errf(c->err, -EINVAL, "%s: a file name is needed", dst);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s.%s.vnl-XXXXXX", (int)(base - dst), dst, base) >= sizeof(tmp))
		return vnl_errf(c->err, -ENAMETOOLONG, "%s: name too long", dst);
	tfd = mkostemp(tmp, O_CLOEXEC);
	if (tfd < 0)
		return vnl_errno(c->err, errno, "create %s", dst);
	r = vms_simple_op(c->fd, &o, -1, 0, tfd, 0, c->sigs, &s, c->err);
	if (r == 0 && s->sink[AP_STDOUT].total != s->fsize)
		r = vnl_errf(c->err, -EIO, "%s: %llu bytes arrived, %llu announced", src,
			     (unsigned long long)s->sink[AP_STDOUT].total, (unsigned long long)s->fsize);
	/* No set-id or sticky bit from a guest, nothing the umask would not give. */
	if (r == 0 && fchmod(tfd, s->mode & 0777 & ~c->umask) < 0)
		r = vnl_errno(c->err, errno, "chmod %s", tmp);
	if (close(tfd) < 0 && r == 0)
		r = vnl_errno(c->err, errno, "write %s", dst);
	if (r == 0 && rename(tmp, dst) < 0)
		r = vnl_errno(c->err, errno, "rename to %s", dst);
	if (r < 0)
		unlink(tmp);
	vms_sess_free(s);
	return r;
}

static int node_mkdir(struct cp *c, const char *path, mode_t mode)
{
	struct ap_open o = { .op = AP_OP_MKDIR, .target = c->node, .path = path, .mode = mode & 07777 };
	struct sess *s;
	int r;

	r = vms_simple_op(c->fd, &o, -1, 0, -1, 0, c->sigs, &s, c->err);
	vms_sess_free(s);
	return r;
}

/* Host folder src (mode) to node folder dst, recursively. */
static int put_tree(struct cp *c, const char *src, const char *dst, mode_t mode)
{
	struct dirent *d;
	char *hs, *nd;
	struct stat st;
	DIR *dir;
	int r;

	if ((r = node_mkdir(c, dst, mode)) < 0)
		return r;
	if (!(dir = opendir(src)))
		return vnl_errno(c->err, errno, "open folder %s", src);
	while (r == 0 && (errno = 0, d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		hs = path_join(src, d->d_name);
		nd = path_join(dst, d->d_name);
		if (!hs || !nd)
			r = vnl_errf(c->err, -ENOMEM, "out of memory");
		else if (lstat(hs, &st) < 0)
			r = vnl_errno(c->err, errno, "stat %s", hs);
		else if (S_ISDIR(st.st_mode))
			r = put_tree(c, hs, nd, st.st_mode);
		else if (S_ISREG(st.st_mode))
			r = put_file(c, hs, nd);
		else
			cp_skip(c, "", hs);
		free(hs);
		free(nd);
	}
	if (r == 0 && errno)
		r = vnl_errno(c->err, errno, "read folder %s", src);
	closedir(dir);
	return r;
}

/* LIST node folder path: the records in *text (caller frees), *len bytes. */
static int node_list(struct cp *c, const char *path, uint8_t **text, size_t *len)
{
	struct ap_open o = { .op = AP_OP_LIST, .target = c->node, .path = path };
	struct sess *s;
	int r;

	*text = NULL;
	*len = 0;
	r = vms_simple_op(c->fd, &o, -1, 0, -1, LIST_MAX, c->sigs, &s, c->err);
	if (r == 0) {
		*text = s->sink[AP_STDOUT].buf;
		*len = s->sink[AP_STDOUT].len;
		s->sink[AP_STDOUT].buf = NULL;
	}
	vms_sess_free(s);
	return r;
}

/* mkdir (mode under the umask), or reuse a folder; below the top (depth > 0)
 * a symlink is never followed, so the copy cannot leave dst. */
static int host_mkdir(struct cp *c, const char *path, mode_t mode, unsigned depth)
{
	struct stat st;

	if (mkdir(path, (mode & 0777) | 0700) == 0)
		return 0;
	if (errno == EEXIST && (depth ? lstat(path, &st) : stat(path, &st)) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		return vnl_errf(c->err, -EEXIST, "mkdir %s: exists and is not a folder", path);
	return vnl_errno(c->err, errno, "mkdir %s", path);
}

/*
 * Node folder src (already LISTed: text, counted in c->held) to host folder
 * dst, recursively, at `depth` below the top.  The guest decides the tree:
 * depth, the listings held along the path and the host path length are
 * bounded (CP_DEPTH_MAX, CP_HELD_MAX, PATH_MAX), each refused with an error
 * naming its limit.
 */
static int get_tree(struct cp *c, const char *src, const char *dst, mode_t mode, uint8_t *text, size_t len,
		    unsigned depth)
{
	size_t at = 0, nl;
	uint8_t *sub;
	size_t sublen;
	char *ns, *hd;
	uint32_t emode;
	uint8_t type;
	int r;

	if ((r = host_mkdir(c, dst, mode, depth)) < 0)
		return r;
	while (r == 0 && at < len) {
		/* u8 type, u32 mode, u64 size, name NUL */
		if (len - at < 14 || !memchr(text + at + 13, 0, len - at - 13))
			return vnl_errf(c->err, -EPROTO, "%s: malformed LIST record", src);
		type = text[at];
		emode = vms_get32(text + at + 1);
		ns = path_join(src, (char *)text + at + 13);
		hd = path_join(dst, (char *)text + at + 13);
		nl = strlen((char *)text + at + 13);
		if (!ns || !hd || nl == 0 || strchr((char *)text + at + 13, '/') ||
		    !strcmp((char *)text + at + 13, ".") || !strcmp((char *)text + at + 13, "..")) {
			r = !ns || !hd ? vnl_errf(c->err, -ENOMEM, "out of memory")
				       : vnl_errf(c->err, -EPROTO, "%s: bad name in LIST record", src);
		} else if (nl > NAME_MAX || strlen(hd) >= PATH_MAX) {
			r = vnl_errf(c->err, -ENAMETOOLONG, "a name longer than %d or a path longer than %d bytes "
				     "(cp -r's limits) at %.200s", NAME_MAX, PATH_MAX - 1, ns);
		} else if (type == 'd' && depth + 1 >= CP_DEPTH_MAX) {
			r = vnl_errf(c->err, -ELOOP, "the tree is deeper than %d levels (cp -r's limit) at %s",
				     CP_DEPTH_MAX, ns);
		} else if (type == 'd') {
			if ((r = node_list(c, ns, &sub, &sublen)) == 0 && c->held + sublen > CP_HELD_MAX)
				r = vnl_errf(c->err, -E2BIG, "the folder listings along the path exceed %u MiB "
					     "(cp -r's limit) at %s", CP_HELD_MAX >> 20, ns);
			if (r == 0) {
				c->held += sublen;
				r = get_tree(c, ns, hd, emode, sub, sublen, depth + 1);
				c->held -= sublen;
			}
			free(sub);
		} else if (type == 'f') {
			r = get_file(c, ns, hd);
		} else {
			cp_skip(c, ":", ns);
		}
		free(ns);
		free(hd);
		at += 13 + nl + 1;
	}
	return r;
}

int vms_copy(int fd, const char *node, const char *src, const char *dst, int to_node, int recursive,
	     struct vnl_err *err)
{
	struct cp c = { .fd = fd, .node = node, .err = err };
	struct stat st;
	struct vms_sigs g;
	uint8_t *text;
	size_t len;
	int r;

	vnl_err_clear(err);
	c.umask = umask(0);
	umask(c.umask);
	if ((r = vms_sigs_abort(&g)) < 0)
		return vnl_errno(err, r, "copy: pipe");
	c.sigs = &g.pipe;
	if (to_node) {
		if (recursive && stat(src, &st) == 0 && S_ISDIR(st.st_mode))
			r = put_tree(&c, src, dst, st.st_mode);
		else
			r = put_file(&c, src, dst);
	} else if (recursive) {
		r = node_list(&c, src, &text, &len);
		if (r == -ENOTDIR) {
			vnl_err_clear(err);
			r = get_file(&c, src, dst);
		} else if (r == 0) {
			c.held = len;
			r = get_tree(&c, src, dst, 0755, text, len, 0);
		}
		free(text);
	} else {
		r = get_file(&c, src, dst);
	}
	vms_sigs_restore(&g);
	if (r < 0)
		return vnl_err_wrap(err, "copy %s %s:%s", to_node ? "to" : "from", node, to_node ? dst : src), r;
	if (c.skipped && err) {  /* for the caller's warning: the message, with code 0 */
		if (c.skipped > 1)
			vnl_errf(err, -EIO, "%s%s and %d more", c.first_skipped[0] == ':' ? node : "",
				 c.first_skipped, c.skipped - 1);
		else
			vnl_errf(err, -EIO, "%s%s", c.first_skipped[0] == ':' ? node : "", c.first_skipped);
		err->code = 0;
	}
	return c.skipped;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent channel protocol, version 1: one framed binary protocol spoken
 * on two legs that carry the same frames,
 *
 *     vnl (client) --unix socket--> vnld --virtio-serial port--> vnl-agent
 *
 * A client connection to vnld's session socket (/run/vnetlab/LAB/agent.sock)
 * or vnld's connection to one guest's agent port is a "link".  Many
 * sessions ("channels") share one link; vnld routes channel frames between
 * a client's link and the guest's link and only rewrites the channel id
 * (clients number their channels on their own link, vnld numbers them on
 * the guest's link).  Payloads pass through vnld unchanged.
 *
 * Frame: a 12-byte header, then `len` payload bytes; integers little-endian.
 *
 *     offset 0  u16 magic   AP_MAGIC ("VL" on the wire: 0x56 0x4c)
 *            2  u8  version AP_VERSION
 *            3  u8  type    enum ap_type
 *            4  u32 chan    0 = the link itself, else a channel id
 *            8  u32 len     payload bytes, <= AP_MAX_PAYLOAD
 *
 * Checks, in order, by every receiver (ap_decoder): magic, version, type
 * known, len <= AP_MAX_PAYLOAD and within the type's bounds (ap_hdr_ok),
 * chan == 0 exactly for link frames (HELLO, PING, PONG).  Payload bounds
 * per type (bytes): HELLO 17..16+AP_MAX_MSG, PING/PONG 8, OPEN
 * 11..AP_MAX_PAYLOAD, OPENED 0..12, DATA 2..AP_MAX_PAYLOAD, EOF 1, WINDOW 5,
 * RESIZE 4, SIGNAL 1, CLOSE 5..4+AP_MAX_MSG.  The decoder rejects a bad
 * magic, version or type as soon as those bytes arrive (it does not wait
 * for a whole header of garbage).  A header that
 * fails is a *link error*: the receiver logs it, drops bytes up to the next
 * magic, counts the dropped bytes (ap_decoder.dropped) and goes on; no
 * channel is harmed.  A header that passes but whose payload does not parse
 * (ap_parse_*) is a *channel error*: that channel is closed with CLOSE
 * (code -EPROTO) and logged; the link and the other channels go on.  Neither
 * side ever trusts a length it has not checked.
 *
 * Link frames (chan 0):
 *   HELLO  u32 version (AP_VERSION), u32 flags (0), u64 nonce, then a
 *          NUL-terminated string: "vnld VERSION" or "vnl-agent VERSION".
 *          vnld sends HELLO when it connects to the agent port; the agent
 *          answers with a HELLO echoing the nonce.  A HELLO with a nonce
 *          other than the agent's current one ends every channel of the
 *          previous peer (a new vnld: its clients are gone).  The agent
 *          also sends an unsolicited HELLO (nonce 0) when it starts, so
 *          vnld learns at once that a bootstrap worked.  Clients send no
 *          HELLO to vnld (vnld's session socket speaks channels only).
 *   PING   u64 seq;   PONG  u64 seq (the PING's).  Keepalive in both
 *          directions: each side PINGs every AP_PING_MS; a side that
 *          has received nothing for AP_DEAD_MS considers the peer lost
 *          (vnld: the node goes `lost` and vnld knocks on hvc0 again;
 *          agent: it ends every channel and waits for the next HELLO).
 *          Any frame counts as "received".  The agent arms this deadline
 *          only once a HELLO came from the current peer: a peer that never
 *          said HELLO (a test driving the agent directly) is never timed
 *          out, and channels work without any HELLO.  "Ending" channels
 *          (peer lost, new nonce, virtio port closed by the host) kills
 *          their work like a host CLOSE but sends nothing: the old peer is
 *          gone and the new one may reuse the ids.
 *
 * Channel frames (chan != 0).  The host side (client, vnld) opens
 * channels; the agent never does.  The agent takes at least 64 channels
 * at once (vnl-agent: 256); an OPEN beyond that gets CLOSE -EMFILE, an
 * OPEN on an id already open closes that channel (-EPROTO).  Frames for
 * an id that is not open are ignored (they cross a CLOSE on the wire).
 *   OPEN    u8 op (enum ap_op), u8 flags (AP_OPEN_*), u16 rows, u16 cols,
 *           u32 wait_ms, then NUL-terminated strings:
 *             target            the node name (vnld reads it to pick the
 *                               guest; on the guest leg it is passed on
 *                               unchanged and ignored by the agent)
 *             op EXEC:          argv[0..argc-1], then "" (an empty string
 *                               ends argv; argv[0] is looked up in PATH),
 *                               then env "K=V" strings to add (to the end)
 *             op PUT:           path (absolute); then the payload ends
 *                               with u32 mode (permission bits only,
 *                               <= 07777) and u64 size after the NUL
 *             op GET, LIST:     path (absolute)
 *             op MKDIR:         path (absolute); then u32 mode after the NUL
 *             op INFO:          nothing more
 *           Nothing may follow the last field (-EPROTO).  Paths are shorter
 *           than AP_MAX_PATH bytes; argv strings are not empty; env strings
 *           have the form K=V with K not empty.  AP_OPEN_PTY only with EXEC;
 *           unknown flag bits are refused.
 *           PUT: the agent writes a temporary file in the destination's
 *           folder and renames it over `path` after EOF, exactly `size`
 *           bytes, mode set with chmod (umask does not apply); anything
 *           else (short, long, aborted) leaves no file.  MKDIR: one level
 *           (the parent must exist), mode set exactly; an existing folder
 *           is success, an existing non-folder -EEXIST.  GET: regular
 *           files only (a folder: -EISDIR, other types: -EINVAL); the
 *           content is streamed to end of file (OPENED's size is st_size
 *           at open).
 *           rows/cols: the terminal size for AP_OPEN_PTY (0 otherwise).
 *           wait_ms: how long vnld may hold the OPEN while the guest is not
 *           ready (0: refuse at once); the agent ignores it.
 *   OPENED  agent -> host, the channel runs.  u32 pid (EXEC), or for GET
 *           u32 mode and u64 size of the file; empty for the other ops.
 *   DATA    u8 stream (enum ap_stream), then 1..AP_MAX_DATA bytes.
 *           Host -> agent: stream STDIN (exec input; PUT file content).
 *           Agent -> host: STDOUT, STDERR (exec output; GET content, LIST
 *           records and INFO text on STDOUT).  DATA on another stream than
 *           these, or for an op without input (GET, LIST, MKDIR, INFO), is
 *           a channel error.
 *   EOF     u8 stream: no more DATA on that stream (exec: the command's
 *           stdin is closed; with AP_OPEN_PTY the terminal's EOF character
 *           is written instead, as a typed ^D; PUT: the file is complete).
 *           The agent sends EOF on each of its output streams before the
 *           CLOSE of a successful session.
 *   WINDOW  u8 stream, u32 increment (> 0): the receiver of `stream` lets
 *           its sender send `increment` more DATA bytes (flow control).
 *   RESIZE  u16 rows, u16 cols: the PTY of an exec changed size.
 *   SIGNAL  u8 signo (1..64): deliver to the exec's process group.
 *   CLOSE   i32 code, then a NUL-terminated message (may be empty, at most
 *           AP_MAX_MSG bytes with its NUL).  Agent -> host: the session is
 *           over; code >= 0 is the exit status (exec: 0..255, 128+signal
 *           when killed, 127 not found, 126 not executable; other ops: 0
 *           on success), code < 0 a negative errno with the message saying
 *           what failed ("open /x: No such file or directory").  An exec's
 *           CLOSE comes once the command has exited and its output that
 *           was written before the exit has been sent (output of
 *           background processes that outlive it is not waited for).
 *           Host ->
 *           agent: abort the session (the agent kills an exec's process
 *           group, removes a PUT's temporary file) and answers CLOSE.  vnld
 *           sends CLOSE to a client itself when the guest cannot take the
 *           OPEN or is lost (code -EHOSTDOWN, message naming the node).
 *           After CLOSE in both directions the id may be reused.
 *
 * Flow control: every DATA stream has a credit, in bytes, that its
 * receiver grants.  It starts at AP_WINDOW_INIT when the channel opens
 * (no frame needed) and grows by each WINDOW; each DATA spends its length.
 * A sender with no credit stops reading its source (a child's pipe, a
 * socket, a file), so a fast producer is held back at its source and no
 * side ever buffers more than one window per stream; other channels keep
 * going because the link itself is never blocked by one channel.  A
 * receiver sends WINDOW once it has passed on (written to its sink) at
 * least AP_WINDOW_INIT / 4 bytes since its last WINDOW.  DATA beyond the
 * credit is a channel error.  vnld relays WINDOW frames like the others,
 * so credit is end to end, client <-> agent.
 *
 * LIST output (DATA on STDOUT), one record per entry of the folder (not
 * "." and ".."): u8 type ('f' file, 'd' folder, 'l' symlink, 'o' other),
 * u32 mode, u64 size, then the name NUL-terminated.  mode is the
 * permission bits (st_mode & 07777) and size st_size, of the entry itself
 * (lstat: a symlink is not followed).  A record never spans two DATA
 * frames.  `vnl cp -r` walks a
 * tree with LIST, GET and MKDIR, PUT.
 *
 * INFO output (DATA on STDOUT): one JSON object: hostname, kernel, uptime
 * (seconds), interfaces [{name, mac, up, addrs[]}], agent (version).
 *
 * Thread-safety: the functions below touch only the buffers they are given.
 * Errors: 0 / negative errno (-EPROTO for a frame that does not parse).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_MAGIC 0x4c56u            /* "VL" */
#define AP_VERSION 1u
#define AP_HDR_LEN 12u
#define AP_MAX_PAYLOAD 65536u        /* largest payload of any frame */
#define AP_MAX_DATA (AP_MAX_PAYLOAD - 1u) /* DATA bytes after the stream byte */
#define AP_MAX_MSG 256u              /* CLOSE message, NUL included */
#define AP_MAX_ARGS 256u             /* argv + env strings of an EXEC */
#define AP_MAX_PATH 4096u            /* OPEN paths, NUL included */
#define AP_DATA_HDR_LEN (AP_HDR_LEN + 1u) /* header + stream byte of a DATA frame */
#define AP_WINDOW_INIT (256u * 1024u) /* initial credit of every stream */
#define AP_PING_MS 1000u
#define AP_DEAD_MS 5000u
#define AP_PORT_NAME "org.vnetlab.agent" /* the virtserialport name */

enum ap_type {
	AP_HELLO = 1,
	AP_PING,
	AP_PONG,
	AP_OPEN,
	AP_OPENED,
	AP_DATA,
	AP_EOF,
	AP_WINDOW,
	AP_RESIZE,
	AP_SIGNAL,
	AP_CLOSE,
	AP_TYPE_MAX, /* not a type */
};

enum ap_op {
	AP_OP_EXEC = 1,
	AP_OP_PUT,
	AP_OP_GET,
	AP_OP_LIST,
	AP_OP_MKDIR,
	AP_OP_INFO,
	AP_OP_MAX, /* not an op */
};

#define AP_OPEN_PTY 0x1 /* EXEC on a pseudo-terminal (stdout carries both outputs) */

enum ap_stream {
	AP_STDIN = 0,
	AP_STDOUT = 1,
	AP_STDERR = 2,
	AP_NSTREAMS,
};

/* A frame's header, host byte order. */
struct ap_hdr {
	uint8_t type;  /* enum ap_type */
	uint32_t chan;
	uint32_t len;
};

/* Type name for logs ("OPEN"), "?" when unknown. */
const char *ap_type_name(unsigned type);

/* True when a header with these fields passes the checks above. */
bool ap_hdr_ok(const struct ap_hdr *h);

/* Write the 12-byte header for h into out. */
void ap_hdr_put(uint8_t out[AP_HDR_LEN], const struct ap_hdr *h);

/*
 * Incremental decoder for one link: feed it bytes as they come; take whole
 * frames out.  Owns a buffer of AP_HDR_LEN + AP_MAX_PAYLOAD bytes at most.
 */
struct ap_decoder {
	uint8_t *buf;       /* malloc'ed, AP_HDR_LEN + AP_MAX_PAYLOAD */
	size_t have;        /* end of the bytes in buf */
	size_t off;         /* start of the bytes not yet taken by next() */
	size_t last;        /* start of the frame next() returned last */
	uint64_t dropped;   /* bytes skipped by resynchronisation, ever */
	uint64_t bad;       /* resynchronisations (bad headers or garbage), ever */
};

/* 0 or -ENOMEM. */
int ap_decoder_init(struct ap_decoder *d);
void ap_decoder_fini(struct ap_decoder *d); /* NULL-safe, idempotent */
/* Forget every buffered byte (the link was reset: a new peer). */
void ap_decoder_reset(struct ap_decoder *d);

/* Room to read into: *room gets the free bytes (> 0 always after next()
 * returned 0).  Invalidates the payload of the last frame. */
uint8_t *ap_decoder_space(struct ap_decoder *d, size_t *room);
/* n bytes were written at ap_decoder_space(). */
void ap_decoder_commit(struct ap_decoder *d, size_t n);

/*
 * The next whole frame: 1 with *h and *payload (valid until the next call
 * on d) set, 0 when more bytes are needed.  A header failing the checks is
 * skipped (resync to the next magic, `bad` and `dropped` counted), so
 * next() never fails; call it until it returns 0.
 */
int ap_decoder_next(struct ap_decoder *d, struct ap_hdr *h, const uint8_t **payload);

/*
 * The whole encoded frame (header included) that next() returned last, and
 * its length AP_HDR_LEN + h.len; writable in place (ap_set_chan before
 * relaying it).  Valid as long as that frame's payload.
 */
uint8_t *ap_decoder_frame(struct ap_decoder *d, size_t *len);

/*
 * Encoding: each ap_put_* appends one whole frame to `out` (capacity
 * `size`, frames are at most AP_HDR_LEN + AP_MAX_PAYLOAD) and returns its
 * length, or -EMSGSIZE if it does not fit / exceeds the limits, or -EINVAL
 * on a bad argument.  Nothing is written on failure.
 */
int ap_put_hello(uint8_t *out, size_t size, uint64_t nonce, const char *who);
int ap_put_ping(uint8_t *out, size_t size, unsigned type /* AP_PING or AP_PONG */, uint64_t seq);

/* OPEN: argv/env used only by EXEC (argc + envc <= AP_MAX_ARGS);
 * path by PUT, GET, LIST, MKDIR; mode by PUT and MKDIR; size by PUT. */
struct ap_open {
	uint8_t op;             /* enum ap_op */
	uint8_t flags;          /* AP_OPEN_* */
	uint16_t rows, cols;
	uint32_t wait_ms;
	const char *target;     /* node name */
	unsigned argc;
	const char *const *argv;
	unsigned envc;
	const char *const *env;
	const char *path;
	uint32_t mode;
	uint64_t size;
};
int ap_put_open(uint8_t *out, size_t size, uint32_t chan, const struct ap_open *o);
int ap_put_opened(uint8_t *out, size_t size, uint32_t chan, uint8_t op, uint32_t pid, uint32_t mode,
		  uint64_t fsize);
int ap_put_data(uint8_t *out, size_t size, uint32_t chan, uint8_t stream, const void *data, size_t len);
/* DATA without copying: writes the AP_DATA_HDR_LEN bytes of header and
 * stream for len (1..AP_MAX_DATA) data bytes that the caller puts (or has
 * put, e.g. read() into) at out + AP_DATA_HDR_LEN; size counts them too. */
int ap_put_data_hdr(uint8_t *out, size_t size, uint32_t chan, uint8_t stream, size_t len);
int ap_put_eof(uint8_t *out, size_t size, uint32_t chan, uint8_t stream);
int ap_put_window(uint8_t *out, size_t size, uint32_t chan, uint8_t stream, uint32_t incr);
int ap_put_resize(uint8_t *out, size_t size, uint32_t chan, uint16_t rows, uint16_t cols);
int ap_put_signal(uint8_t *out, size_t size, uint32_t chan, uint8_t signo);
/* msg may be NULL (empty); a longer one is cut to AP_MAX_MSG - 1 bytes. */
int ap_put_close(uint8_t *out, size_t size, uint32_t chan, int32_t code, const char *msg);

/*
 * Parsing of payloads (the header passed ap_hdr_ok; each parser checks its
 * own bounds again, so any (p, len) is safe).  0, or -EPROTO when the
 * payload is malformed for its type; outputs are only written on success.
 * HELLO's version is returned, not checked (the caller logs a mismatch);
 * its flags are ignored.  Strings point into the payload
 * (valid as long as it is); ap_parse_open fills argv/env into the caller's
 * arrays of AP_MAX_ARGS entries.
 */
int ap_parse_hello(const uint8_t *p, uint32_t len, uint32_t *version, uint64_t *nonce, const char **who);
int ap_parse_u64(const uint8_t *p, uint32_t len, uint64_t *seq); /* PING, PONG */
int ap_parse_open(const uint8_t *p, uint32_t len, struct ap_open *o, const char *argv[AP_MAX_ARGS],
		  const char *env[AP_MAX_ARGS]);
/* Just the OPEN's target (vnld's routing), without parsing the rest. */
int ap_parse_open_target(const uint8_t *p, uint32_t len, const char **target);
int ap_parse_opened(const uint8_t *p, uint32_t len, uint8_t op, uint32_t *pid, uint32_t *mode, uint64_t *fsize);
int ap_parse_data(const uint8_t *p, uint32_t len, uint8_t *stream, const uint8_t **data, uint32_t *n);
int ap_parse_stream(const uint8_t *p, uint32_t len, uint8_t *stream); /* EOF */
int ap_parse_window(const uint8_t *p, uint32_t len, uint8_t *stream, uint32_t *incr);
int ap_parse_resize(const uint8_t *p, uint32_t len, uint16_t *rows, uint16_t *cols);
int ap_parse_signal(const uint8_t *p, uint32_t len, uint8_t *signo);
int ap_parse_close(const uint8_t *p, uint32_t len, int32_t *code, const char **msg);

/* Rewrite the channel id of an encoded frame in place (vnld's routing). */
void ap_set_chan(uint8_t *frame, uint32_t chan);

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the guest agent's receiving side: the input is the
 * byte stream a host writes on the agent's link (byte 0 picks the chunk
 * size it arrives in).  The agent's own link.c (decoder, HELLO, PING, the
 * output queue) and chan.c (OPEN dispatch, credit, EOF, WINDOW, RESIZE,
 * SIGNAL, CLOSE, channel errors, sweeping) run as in vnl-agent, on one end
 * of a socketpair; the host end is drained.  The ops behind the channels
 * start no process and touch no file: EXEC and PUT echo their input back
 * as DATA within the credit and finish at EOF; GET, LIST, MKDIR and INFO
 * send a few bytes and finish at once.  At the end of the input the host
 * end closes: every channel must be released.  Built and run by run_fuzz.sh.
 */
#include <fcntl.h>
#include <sys/socket.h>

#include "../../agent/chan.c"
#include "../../agent/link.c"

uint64_t now_ms(void)
{
	static uint64_t t;

	return t += 7; /* time moves, so the keepalive and credit paths run */
}

void ps_add(struct pollset *ps, int fd, short events, ps_cb cb, void *obj, int tag)
{
	(void)ps, (void)fd, (void)events, (void)cb, (void)obj, (void)tag;
}

static unsigned live; /* channels opened and not yet released */

static int echo_open(struct chan *c, const struct ap_open *o)
{
	(void)o;
	live++;
	return chan_opened(c, 1, 0, 0);
}

static int echo_input(struct chan *c, const uint8_t *p, uint32_t n)
{
	chan_send_buf(c, AP_STDOUT, p, n);
	chan_passed(c, n);
	return 0;
}

static int echo_eof(struct chan *c)
{
	chan_send_eof(c, AP_STDOUT);
	chan_finish(c, 0, "");
	return 0;
}

static int echo_resize(struct chan *c, uint16_t rows, uint16_t cols)
{
	(void)c;
	return rows == 0 && cols == 0 ? -EINVAL : 0;
}

static int echo_signal(struct chan *c, int signo)
{
	(void)c;
	return signo > 64 ? -EINVAL : 0;
}

static void echo_release(struct chan *c, bool abort)
{
	(void)c, (void)abort;
	live--;
}

static int once_open(struct chan *c, const struct ap_open *o)
{
	int r = echo_open(c, o);

	if (r == 0) {
		chan_send_buf(c, AP_STDOUT, "fuzz", 4);
		chan_finish(c, o->op == AP_OP_MKDIR ? -EEXIST : 0, "done");
	}
	return r;
}

#define ECHO { .name = "echo", .open = echo_open, .input = echo_input, .input_eof = echo_eof, \
	       .resize = echo_resize, .signal = echo_signal, .release = echo_release }
#define ONCE { .name = "once", .open = once_open, .release = echo_release }
const struct chan_ops exec_ops = ECHO, put_ops = ECHO;
const struct chan_ops get_ops = ONCE, list_ops = ONCE, mkdir_ops = ONCE, info_ops = ONCE;

static void drain(int fd)
{
	static uint8_t buf[1 << 16];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* One turn of vnl-agent's loop, minus poll(): read, pump, flush, sweep. */
static void turn(int host)
{
	for (int i = 0; i < 64 && L.up; i++) {
		receive();
		flush();
		drain(host);
		if (!chan_pump_all())
			break;
	}
	link_tick(now_ms());
	flush();
	drain(host);
	chan_sweep();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk, off = 1;
	int sv[2];

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] * 64 + 1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (link_init(sv[0], LINK_FD) < 0)
		abort();
	while (off < size && L.up) {
		size_t n = size - off < chunk ? size - off : chunk;
		ssize_t w = write(sv[1], data + off, n);

		if (w > 0)
			off += (size_t)w;
		turn(sv[1]);
	}
	close(sv[1]);
	while (L.up)
		turn(-1);
	chan_sweep();
	if (live != 0 || chan_count() != 0)
		abort(); /* a channel outlived its link */
	close(sv[0]);
	free(L.out);
	ap_decoder_fini(&L.dec);
	memset(&L, 0, sizeof(L));
	L.fd = -1;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_setup(fopen("/dev/null", "w"), false); /* the agent's log: not the fuzzer's output */
	return 0;
}

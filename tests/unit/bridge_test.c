/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Objective: the per-frame forwarding decision. Learning, unknown unicast and
 * broadcast flooding, known unicast to one port, never back to the ingress
 * port, station moves, table full means flooding, LAN isolation (also for a
 * MAC learned on a port that moved to another LAN), runts and oversize frames
 * against each LAN's own limit, measured on the wire size the caller gives
 * (a TSO frame is longer than what it puts on the wire).
 * Frames through remotes of a vxlan port: learned with their remote, a MAC
 * moving between remotes is a move (also within one burst: the source cache
 * keys on the remote), a frame from one remote to a MAC behind another
 * remote of the same port is dropped (split horizon), plain ports learn
 * remote 0.
 */
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "tap.h"

static struct snapshot *snap;
static struct fdb *fdb;
static struct port_stats ps[8];
static struct lan_stats ls[2];
static struct port *fake_port = (struct port *)&fake_port; /* any non-NULL pointer */

/* Ports 0..3 in LAN 0 (frames up to 1522 bytes), ports 4..5 in LAN 1 (mtu
 * 9000: up to 9022), 6 detached. */
static void setup(uint32_t fdb_size)
{
	free(snap);
	snap = calloc(1, sizeof(*snap));
	snap->lan[0].max_frame = 1522;
	snap->lan[1].max_frame = 9022;
	for (int i = 0; i < VNL_MAX_PORTS; i++)
		snap->port[i].lan = VNL_LAN_NONE;
	for (int i = 0; i < 7; i++) {
		snap->port[i].port = fake_port;
		snap->port[i].lan = i < 4 ? 0 : i < 6 ? 1 : VNL_LAN_NONE;
	}
	fdb_destroy(fdb);
	fdb = fdb_create(fdb_size);
	memset(ps, 0, sizeof(ps));
	memset(ls, 0, sizeof(ls));
}

static void frame(uint8_t *f, uint8_t dst, uint8_t src)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	memset(f, 0, 64);
	if (dst == 0xff)
		memcpy(f, bcast, 6);
	else
		memcpy(f, (uint8_t[]){ 0x02, 0, 0, 0, 0, dst }, 6);
	memcpy(f + 6, (uint8_t[]){ 0x02, 0, 0, 0, 0, src }, 6);
	f[12] = 0x08;
}

/* Send a frame dst<-src of len bytes (wire bytes on the wire) on port in;
 * returns the decision. */
static enum bridge_next send_wire(uint16_t in, uint8_t dst, uint8_t src, uint32_t len, uint32_t wire,
				  uint16_t *out)
{
	struct bridge_ctx c = {
		.snap = snap, .fdb = fdb, .in = in, .lan = snap->port[in].lan, .now = 1,
		.ps = &ps[in], .ls = &ls[snap->port[in].lan],
	};
	uint8_t f[2048];

	frame(f, dst, src);
	*out = VNL_PORT_NONE;
	return bridge_input(&c, f, len, wire, out);
}

/* A 64-byte frame dst<-src received on port in through remote. */
static enum bridge_next send_remote(uint16_t in, uint16_t remote, uint8_t dst, uint8_t src, uint16_t *out)
{
	struct bridge_ctx c = {
		.snap = snap, .fdb = fdb, .in = in, .lan = snap->port[in].lan, .now = 1,
		.ps = &ps[in], .ls = &ls[snap->port[in].lan],
	};
	uint8_t f[64];

	frame(f, dst, src);
	*out = VNL_PORT_NONE;
	return bridge_input_remote(&c, remote, f, 64, 64, out);
}

static enum bridge_next send(uint16_t in, uint8_t dst, uint8_t src, uint32_t len, uint16_t *out)
{
	return send_wire(in, dst, src, len, len, out);
}

static uint64_t m(uint8_t n)
{
	return fdb_mac((uint8_t[]){ 0x02, 0, 0, 0, 0, n });
}

static void test_remotes(void)
{
	struct bridge_ctx c = { .snap = snap, .fdb = fdb, .in = 2, .lan = 0, .now = 1, .ps = &ps[2], .ls = &ls[0] };
	uint16_t out, remote = 99;
	uint8_t f[64];

	setup(1024);
	c.snap = snap;
	c.fdb = fdb;
	ok(send_remote(2, 1, 0xff, 0x50, &out) == BRIDGE_FLOOD && ls[0].v[LC_learned] == 1,
	   "broadcast through remote 1 of port 2: flooded, source learned");
	ok(fdb_lookup_remote(fdb, 0, m(0x50), &remote) == 2 && remote == 1, "0x50 is behind port 2, remote 1");
	ok(send(0, 0x50, 0xa, 64, &out) == BRIDGE_UNICAST && out == 2, "a reply from port 0 goes to port 2");
	ok(fdb_lookup_remote(fdb, 0, m(0xa), &remote) == 0 && remote == 0, "plain port 0 learned with remote 0");
	ok(send_remote(2, 2, 0xff, 0x50, &out) == BRIDGE_FLOOD && ls[0].v[LC_moved] == 1 &&
	   fdb_lookup_remote(fdb, 0, m(0x50), &remote) == 2 && remote == 2, "0x50 now through remote 2: a move");
	ok(send_remote(2, 1, 0x50, 0x51, &out) == BRIDGE_DROP && ps[2].v[PC_drop_dst_is_src] == 1,
	   "remote 1 to a MAC behind remote 2 of the same port: dropped (split horizon)");
	/* One burst, one cache: the same source through two remotes. */
	frame(f, 0xff, 0x60);
	bridge_input_remote(&c, 3, f, 64, 64, &out);
	bridge_input_remote(&c, 3, f, 64, 64, &out);
	ok(ls[0].v[LC_moved] == 1, "same source, same remote twice in a burst: no move");
	bridge_input_remote(&c, 4, f, 64, 64, &out);
	ok(ls[0].v[LC_moved] == 2 && fdb_lookup_remote(fdb, 0, m(0x60), &remote) == 2 && remote == 4,
	   "then through remote 4 in the same burst: the cache does not hide the move");
	bridge_input(&c, f, 64, 64, &out);
	ok(ls[0].v[LC_moved] == 3 && fdb_lookup_remote(fdb, 0, m(0x60), &remote) == 2 && remote == 0,
	   "bridge_input is remote 0");
}

int main(void)
{
	uint16_t out;

	setup(1024);
	ok(send(0, 0xff, 0xa, 64, &out) == BRIDGE_FLOOD, "broadcast is flooded");
	ok(ls[0].v[LC_learned] == 1, "source learned from a broadcast");
	ok(send(1, 0xa, 0xb, 64, &out) == BRIDGE_UNICAST && out == 0, "reply goes to the learned port only");
	ok(send(0, 0xb, 0xa, 64, &out) == BRIDGE_UNICAST && out == 1, "and back");
	ok(ls[0].v[LC_forwarded] == 2, "forwarded counted");
	ok(send(0, 0xc, 0xa, 64, &out) == BRIDGE_FLOOD, "unknown unicast is flooded");
	ok(ls[0].v[LC_unknown_unicast] == 1 && ls[0].v[LC_flooded] == 2, "unknown unicast counted as flooded");
	{
		uint8_t f[64];
		struct bridge_ctx c = { .snap = snap, .fdb = fdb, .in = 2, .lan = 0, .now = 1, .ps = &ps[2], .ls = &ls[0] };

		frame(f, 0xff, 0xd);
		f[0] = 0x01, f[1] = 0x00, f[2] = 0x5e; /* IPv4 multicast */
		ok(bridge_input(&c, f, 64, 64, &out) == BRIDGE_FLOOD, "multicast is flooded");
		frame(f, 0xa, 0xe);
		f[6] |= 1; /* multicast source: invalid */
		bridge_input(&c, f, 64, 64, &out);
		ok(fdb_count(fdb) == 3, "a multicast source address is never learned");
	}

	/* Station move: 0xa now speaks from port 3. */
	ok(send(3, 0xb, 0xa, 64, &out) == BRIDGE_UNICAST && out == 1, "moved station still reaches 0xb");
	ok(ls[0].v[LC_moved] == 1, "move counted");
	ok(send(1, 0xa, 0xb, 64, &out) == BRIDGE_UNICAST && out == 3, "traffic follows the move");

	/* Never back to the ingress port. */
	ok(send(3, 0xa, 0xf, 64, &out) == BRIDGE_DROP && ps[3].v[PC_drop_dst_is_src] == 1,
	   "destination behind the ingress port: dropped and counted");

	/* LAN isolation. */
	ok(send(4, 0xa, 0x40, 64, &out) == BRIDGE_FLOOD, "MAC known in LAN 0 is unknown in LAN 1");
	ok(fdb_lookup(fdb, 1, fdb_mac((uint8_t[]){ 0x02, 0, 0, 0, 0, 0x40 })) == 4, "learned in LAN 1 only");
	ok(fdb_lookup(fdb, 0, fdb_mac((uint8_t[]){ 0x02, 0, 0, 0, 0, 0x40 })) == VNL_PORT_NONE, "not in LAN 0");
	/* Port 1 (knows 0xb) moves to LAN 1 in a new snapshot; its stale entry must not leak. */
	snap->port[1].lan = 1;
	ok(send(0, 0xb, 0xa, 64, &out) == BRIDGE_FLOOD, "entry on a port that left the LAN is treated as unknown");
	snap->port[1].lan = 0;

	/* Runts and oversize frames. */
	ok(send(0, 0xb, 0xa, 13, &out) == BRIDGE_DROP && ps[0].v[PC_drop_runt] == 1, "13-byte frame: runt");
	ok(send(0, 0xb, 0xa, 14, &out) == BRIDGE_UNICAST, "14-byte frame passes");
	ok(send(0, 0xb, 0xa, 1522, &out) == BRIDGE_UNICAST, "1522-byte frame passes");
	ok(send(0, 0xb, 0xa, 1523, &out) == BRIDGE_DROP && ps[0].v[PC_drop_oversize] == 1, "1523-byte frame: oversize");

	/* Each LAN its own limit: LAN 1 has mtu 9000. */
	ok(send(4, 0xff, 0x41, 64, &out) == BRIDGE_FLOOD, "0x41 learned in LAN 1");
	ok(send(5, 0x41, 0x42, 9022, &out) == BRIDGE_UNICAST && out == 4, "9022-byte frame passes in LAN 1");
	ok(send(5, 0x41, 0x42, 9023, &out) == BRIDGE_DROP && ps[5].v[PC_drop_oversize] == 1,
	   "9023-byte frame: oversize in LAN 1");
	ok(send(0, 0xb, 0xa, 9022, &out) == BRIDGE_DROP && ps[0].v[PC_drop_oversize] == 2,
	   "9022-byte frame: oversize in LAN 0 (1522)");

	/* The limit applies to the wire size, not to the frame's length. */
	ok(send_wire(0, 0xb, 0xa, 64000, 1514, &out) == BRIDGE_UNICAST && out == 1,
	   "64000-byte frame of 1514-byte segments passes");
	ok(send_wire(0, 0xb, 0xa, 64000, 1523, &out) == BRIDGE_DROP && ps[0].v[PC_drop_oversize] == 3,
	   "segments of 1523 bytes: oversize");
	ok(send_wire(0, 0xb, 0xa, 64, 1523, &out) == BRIDGE_DROP && ps[0].v[PC_drop_oversize] == 4,
	   "a short frame with a wire size above the limit: oversize");
	ok(send_wire(0, 0xb, 0xa, 13, 1514, &out) == BRIDGE_DROP && ps[0].v[PC_drop_runt] == 2,
	   "runt whatever the wire size");

	/* Table full: new MACs are not learned, frames to them are flooded. */
	setup(16);
	for (uint8_t i = 0; i < 0x70 && fdb_count(fdb) < 16; i++)
		send(0, 0xff, (uint8_t)(0x80 + i), 64, &out);
	ok(fdb_count(fdb) == 16, "table filled to its size");
	{
		uint64_t full = ls[0].v[LC_table_full];

		ok(send(1, 0xff, 0x20, 64, &out) == BRIDGE_FLOOD && ls[0].v[LC_table_full] == full + 1,
		   "one more MAC: table_full counted");
	}
	ok(send(0, 0x20, 0x80, 64, &out) == BRIDGE_FLOOD, "frames to an unlearned MAC are flooded");
	ok(send(1, 0x80, 0x20, 64, &out) == BRIDGE_UNICAST && out == 0, "known MACs still forwarded when full");

	test_remotes();
	free(snap);
	fdb_destroy(fdb);
	return tap_done();
}

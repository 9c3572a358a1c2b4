/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the VXLAN underlay parser (dataplane/vxlan.h): the
 * input is one frame as any host on the underlay can send it to our UDP
 * port. vx_parse must return a verdict of the enum; for VX_OK every offset
 * and pointer lies inside the frame (inner frame >= 14 bytes, within the
 * UDP datagram, within the IP packet); vx_udp6_ok reads only the datagram;
 * vx_flow_key of the inner frame stays within it and gives a whole number of
 * words. An accepted frame re-encapsulated with a template of its own
 * addresses, port and VNI parses again to the same VNI and inner frame
 * (vx_tmpl_build/vx_encap_fix against vx_parse). ASan/UBSan report any
 * out-of-bounds read or undefined behaviour (the input buffer is exactly
 * its length). Built and run by run_fuzz.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "vxlan.h"

static uint8_t out[VX_OVERHEAD6 + 65536];

int LLVMFuzzerTestOneInput(const uint8_t *f, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *f, size_t size)
{
	uint8_t key[VX_FLOW_KEY_MAX];
	struct vx_hdr_tmpl t;
	struct vx_pkt p, q;
	enum vx_verdict v;
	uint32_t len = size > 65535 ? 65535 : (uint32_t)size, alen, k;

	v = vx_parse(f, len, &p);
	if (v >= VX_VERDICTS)
		abort();
	if (v != VX_OK)
		return 0;
	alen = p.family == AF_INET ? 4 : 16;
	if ((p.family != AF_INET && p.family != AF_INET6) || p.inner_len < 14 || p.udp_len < 30 ||
	    p.udp_off + p.udp_len > len || p.inner_off != p.udp_off + 16 ||
	    p.inner_off + p.inner_len != p.udp_off + p.udp_len || p.vni > VX_VNI_MAX ||
	    p.src < f || p.src + alen > f + p.udp_off || p.dst < f || p.dst + alen > f + p.udp_off)
		abort();
	if (p.family == AF_INET6)
		(void)vx_udp6_ok(f, &p);
	k = vx_flow_key(f + p.inner_off, p.inner_len, key);
	if (k == 0 || k > VX_FLOW_KEY_MAX || k % 4)
		abort();
	if (vx_tmpl_build(&t, p.family, f + 6, f, p.src, p.dst, p.dport, p.vni) != 0)
		abort();
	memcpy(out, t.bytes, t.len);
	memcpy(out + t.len, f + p.inner_off, p.inner_len);
	vx_encap_fix(&t, out, p.inner_len, p.sport, vx_sum(f + p.inner_off, p.inner_len, 0));
	if (vx_parse(out, t.len + p.inner_len, &q) != VX_OK || q.vni != p.vni || q.inner_len != p.inner_len ||
	    q.sport != p.sport || q.dport != p.dport || memcmp(out + q.inner_off, f + p.inner_off, p.inner_len) ||
	    (q.family == AF_INET6 && !vx_udp6_ok(out, &q)))
		abort();
	return 0;
}

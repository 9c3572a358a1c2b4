/* SPDX-License-Identifier: GPL-2.0-only */
/* libpcap filter -> capture-start's "bpf" array (cbpf.h). */
#include <errno.h>

#include <pcap/pcap.h>

#include "cbpf.h"

struct json_object *cbpf_compile_json(const char *expr, int snaplen, struct vnl_err *err)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, snaplen);
	struct bpf_program prog;
	struct json_object *a;

	if (p == NULL) {
		vnl_errf(err, -ENOMEM, "cannot start libpcap");
		return NULL;
	}
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		vnl_errf(err, -EINVAL, "filter '%s': %s", expr, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	a = json_object_new_array();
	for (u_int i = 0; i < prog.bf_len; i++) {
		struct json_object *insn = json_object_new_array();

		json_object_array_add(insn, json_object_new_int(prog.bf_insns[i].code));
		json_object_array_add(insn, json_object_new_int(prog.bf_insns[i].jt));
		json_object_array_add(insn, json_object_new_int(prog.bf_insns[i].jf));
		json_object_array_add(insn, json_object_new_int64(prog.bf_insns[i].k));
		json_object_array_add(a, insn);
	}
	pcap_freecode(&prog);
	pcap_close(p);
	return a;
}

/* SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause) */
/*
 * persist.bpf.h - the record that lets a pinned keygate state outlive its
 * agent (included by keygate.bpf.c): which agent enforces, the policy it
 * applied and since when, and the layout marker a starting agent compares
 * before adopting the pinned maps. No program reads or writes it.
 */
#ifndef KEYGATE_PERSIST_BPF_H
#define KEYGATE_PERSIST_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kg_agent_state);
} kg_agent_state SEC(".maps");

#endif /* KEYGATE_PERSIST_BPF_H */

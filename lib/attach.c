// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * attach.c - conditional attachment of keygate's LSM programs through the
 * skeleton's program table: a program is attached when lib/hooks.c says
 * the policy needs it, its link pinned at KG_PIN_DIR/links/NAME while the
 * state is pinned. Releasing an LSM link (its pin and our fd) detaches it;
 * the kernel has no other way on 6.12 (BPF_LINK_DETACH is EOPNOTSUPP).
 */
#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "attach.h"
#include "hooks.h"
#include "log.h"
#include "pin.h"

#define KG_MAX_PROGS 64 /* programs in keygate's object, with room to grow */

static bool loaded(const struct bpf_prog_skeleton *p)
{
	return bpf_program__autoload(*p->prog) && bpf_program__fd(*p->prog) >= 0;
}

int kg_attach_needed(const struct bpf_object_skeleton *s, const struct kg_policy_config *config,
		     bool pin)
{
	bool made[KG_MAX_PROGS] = { false };
	int err = 0;

	if (s->prog_cnt > KG_MAX_PROGS)
		return -E2BIG;
	for (int i = 0; i < s->prog_cnt && !err; i++) {
		const struct bpf_prog_skeleton *p = &s->progs[i];
		struct bpf_link *link;

		if (*p->link || !loaded(p) || !kg_hook_needed(p->name, config))
			continue;
		link = bpf_program__attach(*p->prog);
		if (!link) {
			err = -errno;
			kg_log_error("attaching keygate's program %s failed: %s; is \"bpf\" in "
				     "/sys/kernel/security/lsm? (`keygate probe`)", p->name,
				     strerror(-err));
			break;
		}
		if (pin) {
			err = kg_pin_replace(bpf_link__fd(link), KG_PIN_DIR, KG_PIN_LINKS, p->name);
			if (err) {
				kg_log_error("pinning the link of program %s at %s/%s failed: %s",
					     p->name, KG_PIN_DIR, KG_PIN_LINKS, strerror(-err));
				bpf_link__destroy(link);
				break;
			}
		}
		*p->link = link;
		made[i] = true;
	}
	if (!err)
		return 0;
	for (int i = 0; i < s->prog_cnt; i++) {
		if (!made[i])
			continue;
		if (pin)
			kg_pin_drop(KG_PIN_DIR, KG_PIN_LINKS, s->progs[i].name);
		bpf_link__destroy(*s->progs[i].link);
		*s->progs[i].link = NULL;
	}
	return err;
}

int kg_detach_unneeded(const struct bpf_object_skeleton *s, const struct kg_policy_config *config,
		       bool pinned)
{
	int err;

	for (int i = 0; i < s->prog_cnt; i++) {
		const struct bpf_prog_skeleton *p = &s->progs[i];

		if (!*p->link || kg_hook_needed(p->name, config))
			continue;
		if (pinned) {
			err = kg_pin_drop(KG_PIN_DIR, KG_PIN_LINKS, p->name);
			if (err) {
				kg_log_error("unpinning the link of program %s at %s/%s failed: %s; "
					     "it stays attached", p->name, KG_PIN_DIR, KG_PIN_LINKS,
					     strerror(-err));
				return err;
			}
		}
		bpf_link__destroy(*p->link);
		*p->link = NULL;
	}
	return 0;
}

int kg_unpin_unattached(const struct bpf_object_skeleton *s)
{
	char names[KG_PIN_NAMES_MAX][KG_PIN_NAME_MAX];
	int n = kg_pin_names(KG_PIN_DIR, KG_PIN_LINKS, names, KG_PIN_NAMES_MAX);
	int err;

	if (n < 0)
		return n == -ENOENT ? 0 : n;
	for (int j = 0; j < n; j++) {
		bool ours = false;

		for (int i = 0; i < s->prog_cnt && !ours; i++)
			ours = *s->progs[i].link && strcmp(s->progs[i].name, names[j]) == 0;
		if (ours)
			continue;
		err = kg_pin_drop(KG_PIN_DIR, KG_PIN_LINKS, names[j]);
		if (err) {
			kg_log_error("unpinning link %s/%s/%s, which the policy in force does not "
				     "need, failed: %s", KG_PIN_DIR, KG_PIN_LINKS, names[j],
				     strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * frontends/netfront/netfront_negotiate.c - what netfront asks the backend
 * for, as pure decisions: what is negotiated from the host's switches and
 * the backend's offer, the keys we publish, and what follows a backend
 * that is Closed (reconnect, or wait for the removal).
 *
 * Directions (netif.h, and what Linux netback does): the backend's
 * feature-sg / feature-gso-tcpv4 / -tcpv6 / feature-ipv6-csum-offload say
 * what it accepts from us on transmit; ours say what we can receive.
 * IPv4 checksum offload is on unless a side writes
 * feature-no-csum-offload=1 (netback does not write it: absent is on).
 * So both directions use a feature only when both sides have it, and we
 * write ours as what was negotiated, never more than we use.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "netfront_internal.h"

int netfront_negotiate(const struct netfront_options *o,
		       const struct netfront_offer *b,
		       struct pvk_netfront_info *info, bool *queues_capped)
{
	unsigned long maxq = b->max_queues;

	/* netback copies into our pages; page flipping is long gone. */
	if (b->rx_copy != 1)
		return -PVK_XEN_EOPNOTSUPP;
	/* A backend that offers nothing offers one queue; one that offers
	 * more than anything could use is taken at our limit (and said). */
	*queues_capped = maxq > NETFRONT_QUEUES_ABSURD;
	if (maxq == 0)
		maxq = 1;
	if (maxq > NETFRONT_QUEUES_ABSURD)
		maxq = NETFRONT_QUEUES_ABSURD;
	info->nr_queues = o->queues < maxq ? o->queues : (unsigned int)maxq;
	info->sg = o->sg && b->sg == 1;
	info->csum_offload = o->csum && b->no_csum_offload != 1;
	info->ipv6_csum_offload = o->ipv6_csum && b->ipv6_csum_offload == 1;
	/* A GSO frame is several slots, its checksum left partial. */
	info->gso_tcpv4 = o->gso_tcpv4 && info->sg && info->csum_offload &&
			  b->gso_tcpv4 == 1;
	info->gso_tcpv6 = o->gso_tcpv6 && info->sg && info->ipv6_csum_offload &&
			  b->gso_tcpv6 == 1;
	info->split_evtchn = o->split_evtchn && b->split_evtchn == 1;
	/* Our own node's key, written by the toolstack; absent: untrusted. */
	info->trusted = o->trusted && b->trusted == 1;
	info->max_frame = info->sg ? NETFRONT_MAX_FRAME_SG : NETFRONT_MAX_FRAME;
	return 0;
}

static void add(struct netfront_keys *ks, const char *prefix, const char *key,
		unsigned long val)
{
	unsigned int i = ks->n++;

	pvk_snprintf(ks->key[i], sizeof(ks->key[i]), "%s%s", prefix, key);
	pvk_snprintf(ks->val[i], sizeof(ks->val[i]), "%lu", val);
	ks->kv[i].key = ks->key[i];
	ks->kv[i].value = ks->val[i];
}

void netfront_build_keys(struct netfront_keys *ks,
			 const struct pvk_netfront_info *info,
			 const struct netfront_queue_keys *q)
{
	unsigned int nq = info->nr_queues;

	ks->n = 0;
	/* One queue: the keys of old, at the top (what a backend without
	 * multi-queue reads); more: multi-queue-num-queues and queue-N/. */
	if (nq > 1)
		add(ks, "", "multi-queue-num-queues", nq);
	for (unsigned int i = 0; i < nq; i++) {
		char prefix[12] = "";

		if (nq > 1)
			pvk_snprintf(prefix, sizeof(prefix), "queue-%u/", i);
		add(ks, prefix, "tx-ring-ref", q[i].tx_ref);
		add(ks, prefix, "rx-ring-ref", q[i].rx_ref);
		if (info->split_evtchn) {
			add(ks, prefix, "event-channel-tx", q[i].port_tx);
			add(ks, prefix, "event-channel-rx", q[i].port_rx);
		} else {
			add(ks, prefix, "event-channel", q[i].port_tx);
		}
	}
	add(ks, "", "request-rx-copy", 1);
	add(ks, "", "feature-rx-notify", 1);
	add(ks, "", "feature-sg", info->sg);
	add(ks, "", "feature-gso-tcpv4", info->gso_tcpv4);
	add(ks, "", "feature-gso-tcpv6", info->gso_tcpv6);
	add(ks, "", "feature-no-csum-offload", !info->csum_offload);
	add(ks, "", "feature-ipv6-csum-offload", info->ipv6_csum_offload);
}

enum netfront_after netfront_after_closed(int online_rc, unsigned long online,
					  bool pages_kept)
{
	/* The toolstack's detach writes online=0 before it closes the
	 * backend; a backend directory already gone reads as absent (0
	 * here). Either way the device's own node goes next: wait for it. */
	if (online_rc || online != 1)
		return NETFRONT_WAIT_REMOVAL;
	/* A backend that keeps our pages mapped after Closed misbehaves:
	 * those pages stay for good, the device is not used again. */
	if (pages_kept)
		return NETFRONT_DISABLE;
	/* netback unbound and bound again (or restarted): Initialising
	 * while it is Closed is "prepare for reconnect", it goes InitWait. */
	return NETFRONT_RECONNECT;
}

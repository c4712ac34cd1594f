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

/* A key (or directory) to remove in the same transaction. */
static void rm(struct netfront_keys *ks, const char *prefix, const char *key)
{
	unsigned int i = ks->n++;

	pvk_snprintf(ks->key[i], sizeof(ks->key[i]), "%s%s", prefix, key);
	ks->kv[i].key = ks->key[i];
	ks->kv[i].value = NULL;
}

void netfront_build_keys(struct netfront_keys *ks,
			 const struct pvk_netfront_info *info,
			 const struct netfront_queue_keys *q)
{
	unsigned int nq = info->nr_queues;

	ks->n = 0;
	/* One queue: the keys of old, at the top (what a backend without
	 * multi-queue reads); more: multi-queue-num-queues and queue-N/. */
	/* An earlier connection may have used the other layout, or more
	 * queues: what it left would be read as ours (stale refs, ports). */
	if (nq > 1) {
		add(ks, "", "multi-queue-num-queues", nq);
		rm(ks, "", "tx-ring-ref");
		rm(ks, "", "rx-ring-ref");
		rm(ks, "", "event-channel");
		rm(ks, "", "event-channel-tx");
		rm(ks, "", "event-channel-rx");
	} else {
		rm(ks, "", "multi-queue-num-queues");
		rm(ks, "", "queue-0");
	}
	for (unsigned int i = 0; i < NETFRONT_MAX_QUEUES; i++) {
		char prefix[12] = "";

		if (nq > 1)
			pvk_snprintf(prefix, sizeof(prefix), "queue-%u/", i);
		if (i >= nq) {
			/* Whole queue-N directories not in use now. */
			pvk_snprintf(prefix, sizeof(prefix), "queue-%u", i);
			rm(ks, prefix, "");
			continue;
		}
		add(ks, prefix, "tx-ring-ref", q[i].tx_ref);
		add(ks, prefix, "rx-ring-ref", q[i].rx_ref);
		if (info->split_evtchn) {
			add(ks, prefix, "event-channel-tx", q[i].port_tx);
			add(ks, prefix, "event-channel-rx", q[i].port_rx);
			rm(ks, prefix, "event-channel");
		} else {
			add(ks, prefix, "event-channel", q[i].port_tx);
			rm(ks, prefix, "event-channel-tx");
			rm(ks, prefix, "event-channel-rx");
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

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int netfront_parse_mac(const char *s, uint8_t mac[PVK_NET_ETH_ALEN], const char **why)
{
	unsigned int any = 0;

	*why = NULL;
	for (unsigned int i = 0; i < PVK_NET_ETH_ALEN; i++) {
		int hi = hexval(s[3 * i]), lo = hi < 0 ? -1 : hexval(s[3 * i + 1]);
		char sep = lo < 0 ? 'x' : s[3 * i + 2];

		if (lo < 0 || sep != (i == PVK_NET_ETH_ALEN - 1 ? '\0' : ':'))
			return -PVK_XEN_EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		any |= mac[i];
	}
	/* Frames from a group address are dropped by every bridge and
	 * stack; all zeros is "no address". */
	if (mac[0] & 1)
		*why = "a multicast address";
	else if (!any)
		*why = "all zeros";
	return *why ? -PVK_XEN_EINVAL : 0;
}

enum netfront_after netfront_after_closed(int online_rc, unsigned long online,
					  bool pages_kept, unsigned int attempts)
{
	/* The toolstack's detach writes online=0 before it closes the
	 * backend; a backend directory already gone reads as absent (0
	 * here). Either way the device's own node goes next: wait for it.
	 * Any other error reading it is taken as passing: decided again at
	 * the backend's next change. */
	if (online_rc == -PVK_XEN_ENOENT || (!online_rc && online != 1))
		return NETFRONT_WAIT_REMOVAL;
	if (online_rc)
		return NETFRONT_RETRY_LATER;
	/* A backend that keeps our pages mapped after Closed misbehaves:
	 * those pages stay for good, the device is not used again. */
	if (pages_kept)
		return NETFRONT_DISABLE;
	/* A backend failing every connect: not for ever. */
	if (attempts >= NETFRONT_MAX_ATTEMPTS)
		return NETFRONT_GIVE_UP;
	/* netback unbound and bound again (or restarted): Initialising
	 * while it is Closed is "prepare for reconnect", it goes InitWait. */
	return NETFRONT_RECONNECT;
}

/*
 * ports/linux/net.h - what pvk-netfront.ko's module init (net_module.c)
 * calls of the Linux network driver (net.c).
 */
#ifndef PVKIT_PORTS_LINUX_NET_H
#define PVKIT_PORTS_LINUX_NET_H

/* Registers the vif driver with the kit (pvk_netfront_init): each vif
 * the kit negotiates becomes an ethN. */
int pvk_lnet_init(void);
/* Unregisters every ethN, ends the kit's devices (pvk_netfront_release,
 * loud when it refuses) and the vif driver. */
void pvk_lnet_exit(void);

#endif /* PVKIT_PORTS_LINUX_NET_H */

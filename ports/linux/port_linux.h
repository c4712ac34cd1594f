/*
 * ports/linux/port_linux.h - what the Linux port's files tell each other
 * (module start and end); the kit's own interfaces are in include/pvkit/.
 */
#ifndef PVKIT_PORT_LINUX_H
#define PVKIT_PORT_LINUX_H

int pvk_linux_xenbus_init(void);
void pvk_linux_xenbus_exit(void);
void pvk_linux_events_exit(void);
void pvk_linux_grant_exit(void);

#endif /* PVKIT_PORT_LINUX_H */

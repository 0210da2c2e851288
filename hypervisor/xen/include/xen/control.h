/* The control channel on COM2 (common/control.c). */
#ifndef XEN_CONTROL_H
#define XEN_CONTROL_H
#include <stdbool.h>
void control_init(void);
/* Serves one request if one is arriving; returns whether it did. */
bool control_poll(void);
#endif

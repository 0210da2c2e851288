/* Freestanding <stdbool.h> for the -nostdinc hypervisor build. */
#ifndef MINIXEN_STDBOOL_H
#define MINIXEN_STDBOOL_H
#define bool _Bool
#define true 1
#define false 0
#endif

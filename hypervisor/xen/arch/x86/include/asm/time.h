/* Monotonic time from the HPET main counter. */
#ifndef ASM_TIME_H
#define ASM_TIME_H
#include <stdint.h>
void time_init(void);
uint64_t now_ns(void);
void udelay(uint64_t us);
#endif

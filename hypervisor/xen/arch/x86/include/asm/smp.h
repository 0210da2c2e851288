/* CPU bring-up and per-CPU identity. */
#ifndef ASM_SMP_H
#define ASM_SMP_H
#include <stdint.h>

extern volatile unsigned int nr_cpus_online;
unsigned int smp_processor_id(void);
void smp_boot_aps(void);
void ap_main(unsigned int cpu) __attribute__((noreturn));
void smp_copy_trampoline(void);
#endif

/* The local APIC: IPIs, the periodic timer, CPU identification. */
#ifndef ASM_APIC_H
#define ASM_APIC_H
#include <stdint.h>

#define APIC_BASE 0xfee00000ul
#define IOAPIC_BASE 0xfec00000ul
#define SERIAL_VECTOR 0xf2
#define TIMER_VECTOR 0xf0
#define KICK_VECTOR 0xf1
#define SPURIOUS_VECTOR 0xff

void apic_init(void);          /* enable this CPU's LAPIC and its timer */
uint32_t apic_id(void);
void apic_eoi(void);
void apic_send_ipi_others(uint32_t icr_low);
void apic_kick_others(void);   /* KICK_VECTOR to every other CPU */
void ioapic_route_isa_irq(unsigned int irq, uint8_t vector);
#endif

/* Version information; xen_extra_version and xen_minor_version are patch targets. */
#ifndef XEN_VERSION_H
#define XEN_VERSION_H
#include <stdint.h>
const char *xen_extra_version(void);
unsigned int xen_major_version(void);
unsigned int xen_minor_version(void);
const char *xen_compile_date(void);
const uint8_t *xen_build_id(uint32_t *len);
void print_banner(void);
#endif

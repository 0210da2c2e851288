/*
 * The string and memory functions of the hypervisor's small C library
 * (common/string.c), under their standard names so freestanding code shared
 * with the host (the live-patch core) includes <string.h> either way.
 */
#ifndef MINIXEN_STRING_H
#define MINIXEN_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);
#endif

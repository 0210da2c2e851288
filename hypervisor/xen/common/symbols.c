/*
 * Lookups in the runtime symbol table. By name: binary search over the
 * name-sorted arrays (Xen's CONFIG_FAST_SYMBOL_LOOKUP), which is how the
 * live-patch core resolves a payload's UNDEF symbols and old_addr by name.
 * By address (for fault messages): a linear scan for the closest symbol at
 * or below the address that covers it.
 */
#include <xen/symbols.h>
#include <string.h>

extern const uint64_t symbols_num;
extern const uint64_t symbols_addresses[];
extern const uint64_t symbols_sizes[];
extern const uint32_t symbols_name_offsets[];
extern const char symbols_names[];

static const char *name_at(uint64_t i) { return symbols_names + symbols_name_offsets[i]; }

uint64_t symbols_count(void) { return symbols_num; }

uint64_t symbols_lookup_by_name(const char *name)
{
    uint64_t lo = 0, hi = symbols_num;

    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name_at(mid), name);

        if (c == 0) {
            /* The sort is stable: go to the first of equal names. */
            while (mid > 0 && !strcmp(name_at(mid - 1), name))
                mid--;
            return symbols_addresses[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

const char *symbols_lookup(uint64_t addr, uint64_t *offset)
{
    uint64_t i, best = symbols_num;

    for (i = 0; i < symbols_num; i++) {
        uint64_t start = symbols_addresses[i];

        if (start > addr || (symbols_sizes[i] && addr >= start + symbols_sizes[i]))
            continue;
        if (best == symbols_num || start > symbols_addresses[best])
            best = i;
    }
    if (best == symbols_num)
        return NULL;
    *offset = addr - symbols_addresses[best];
    return name_at(best);
}

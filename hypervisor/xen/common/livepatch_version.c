/*
 * The loader rules of each Xen release 4.17 .. 4.22 (see
 * xen/livepatch_version.h), one row per release, and the row in force.
 */
#include "xen/livepatch_version.h"

static const struct lp_xen_rules rules_table[] = {
    /* major minor state  writable bid1st altcall sysctl */
    { 4, 17, true,  false, false, false, 0x15 },
    { 4, 18, true,  true,  false, false, 0x15 },
    { 4, 19, false, false, false, false, 0x15 },
    { 4, 20, false, false, true,  false, 0x15 },
    { 4, 21, false, false, true,  true,  0x16 },
    { 4, 22, false, false, true,  true,  0x16 },
};

static const struct lp_xen_rules *current_rules = &rules_table[0];

int livepatch_set_xen_version(unsigned int major, unsigned int minor)
{
    for ( unsigned int i = 0; i < sizeof(rules_table) / sizeof(rules_table[0]); i++ )
        if ( rules_table[i].major == major && rules_table[i].minor == minor )
        {
            current_rules = &rules_table[i];
            return 0;
        }
    return -22; /* -EINVAL */
}

const struct lp_xen_rules *livepatch_xen_rules(void)
{
    return current_rules;
}

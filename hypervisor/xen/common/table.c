/*
 * A table lookup with a deliberate security bug: do_table_lookup(idx)
 * rejects negative indices but not idx >= TABLE_SIZE, so indices 8..15 read
 * the secret values stored right after the table. Example patch
 * 02-table-bounds-xsa.patch adds the missing check (-EINVAL).
 */
#include <xen/hypercall.h>
#include <xen/errno.h>

static const struct {
    long entries[TABLE_SIZE];
    long secret[TABLE_SIZE];
} lookup_table = {
    .entries = { 100, 101, 102, 103, 104, 105, 106, 107 },
    .secret = { 0x5ec2e7, 0x5ec2e8, 0x5ec2e9, 0x5ec2ea, 0x5ec2eb, 0x5ec2ec, 0x5ec2ed, 0x5ec2ee },
};

long cf_check do_table_lookup(long idx)
{
    if (idx < 0)
        return -EINVAL;
    return lookup_table.entries[idx];
}

/*
 * libFuzzer entry point for the live-patch core: each input is uploaded as
 * a payload; one that loads is applied, reverted and unloaded, so the
 * patching and state machine run on whatever the loader accepted. After
 * every input the loader must be empty again (no payload left behind).
 */
#include "xen/livepatch.h"

#include <stdlib.h>

static void run_action(uint32_t cmd)
{
    if ( livepatch_action("fuzz", cmd, 0, LIVEPATCH_ACTION_APPLY_NODEPS) == 0 &&
         livepatch_work_pending() )
        check_for_livepatch_work();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if ( livepatch_upload("fuzz", data, size, 0) == 0 )
    {
        run_action(LIVEPATCH_ACTION_APPLY);
        run_action(LIVEPATCH_ACTION_REVERT);
        if ( livepatch_action("fuzz", LIVEPATCH_ACTION_UNLOAD, 0, 0) != 0 )
            abort();
    }
    if ( livepatch_list_count(NULL) != 0 )
        abort();
    return 0;
}

// livepatch-build: build a Xen live-patch payload from a source patch.
//
//   livepatch-build -s <xen-src> -p <file.patch> -c <.config> -o <outdir>
//                   --depends <hex> [--xen-depends <hex>] [options]
//
// Options and messages follow upstream (options.h); the pipeline is in
// livepatch_build.cc; exit codes are listed in --help and ARCHITECTURE.md.
#include "payload/livepatch_build.h"
#include "payload/options.h"

#include <cstdio>
#include <exception>

int main(int argc, char **argv) {
  try {
    auto options = lp::payload::parse_options(argc, argv);
    if (!options)
      return 0;
    return lp::payload::run_livepatch_build(*options);
  } catch (const lp::payload::UsageError &e) {
    std::fprintf(stderr, "ERROR: %s.\n", e.message.c_str());
    return lp::payload::kExitError;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "ERROR: internal error: %s.\n", e.what());
    return lp::payload::kExitError;
  }
}

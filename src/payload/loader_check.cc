// livepatch-check's command line for livepatch-build (see loader_check.h).
#include "payload/loader_check.h"

namespace lp::payload {

LoaderCheck loader_check(const std::string &tool, const std::string &xen_syms,
                         const std::string &xen_version, const std::string &xen_build_id, const std::string &depends,
                         const std::vector<std::string> &loaded, const std::string &payload) {
  LoaderCheck c;
  c.argv = {tool, "--xen-syms", xen_syms, "--xen-version", xen_version};
  for (const std::string &p : loaded)
    c.argv.insert(c.argv.end(), {"--loaded", p});
  c.argv.push_back("--apply");
  if (loaded.empty() && depends != xen_build_id) {
    c.argv.push_back("--nodeps");
    c.note = "--depends " + depends + " is not the build-id of " + xen_syms +
             ": stacking order not checked (name the payloads below this one with --loaded)";
  }
  c.argv.push_back(payload);
  return c;
}

} // namespace lp::payload

// How create-diff-object names the object in its log lines (see
// create_diff_object.h, object_log_name).
//
// Upstream prefixed every line with the basename of original.o. One Xen patch
// can change two objects of the same basename (arch/x86/hvm/dm.o and
// arch/x86/mm/p2m/... or common/... twins), and a CI log then cannot tell
// them apart. Xen names things by their path below xen/ (its symbol table
// says common/version.c#foo), so that is the name used here: livepatch-build
// knows it and passes --object-name; standalone, it is recognised in the
// path as given (".../xen/<one of Xen's top folders>/..."), else the path is
// used as it was given.
#include "diff/create_diff_object.h"

#include <array>
#include <string_view>

namespace lp::diff {
namespace {

// The folders directly below Xen's xen/ that hold objects.
constexpr std::array<std::string_view, 8> kXenTopFolders = {
    "arch", "common", "crypto", "drivers", "lib", "test", "tools", "xsm"};

bool is_xen_top_folder(std::string_view rest) {
  for (std::string_view top : kXenTopFolders)
    if (rest.starts_with(top) && rest.size() > top.size() && rest[top.size()] == '/')
      return true;
  return false;
}

} // namespace

std::string object_log_name(const std::string &path) {
  std::string_view p = path;
  for (size_t pos = 0; (pos = p.find("xen/", pos)) != std::string_view::npos; pos += 4)
    if ((pos == 0 || p[pos - 1] == '/') && is_xen_top_folder(p.substr(pos + 4)))
      return std::string(p.substr(pos + 4));
  return path;
}

} // namespace lp::diff

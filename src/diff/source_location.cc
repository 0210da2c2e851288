// Source locations for refusals, from the patched object's DWARF.
//
// When the patched object was built with debug info, a refusal can say
// where the offending function or variable is declared ("common/x.c:12"),
// which is what a patch author needs to find it. The object is opened
// through libdwfl's offline reporting so that the relocations of a
// relocatable object's .debug_info are applied before libdw reads it. All
// subprogram and variable DIEs are indexed by name once (statics inside
// functions included); refusals are then a hash lookup each.
#include "diff/engine.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace lp::diff {

namespace {

int no_debuginfo(Dwfl_Module *, void **, const char *, Dwarf_Addr, const char *, const char *,
                 GElf_Word, char **) {
  return -1;
}

const Dwfl_Callbacks kCallbacks = {nullptr, no_debuginfo, dwfl_offline_section_address, nullptr};

void index_die(Dwarf_Die *die, std::unordered_map<std::string, std::string> &out, int depth) {
  Dwarf_Die child;
  if (depth > 8 || dwarf_child(die, &child) != 0)
    return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_subprogram || tag == DW_TAG_variable) {
      const char *name = dwarf_diename(&child);
      const char *file = dwarf_decl_file(&child);
      int line = 0;
      if (name && file && dwarf_decl_line(&child, &line) == 0)
        out.try_emplace(name, fmt::format("{}:{}", file, line));
    }
    if (tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block)
      index_die(&child, out, depth + 1);
  } while (dwarf_siblingof(&child, &child) == 0);
}

std::unordered_map<std::string, std::string> declarations(const std::string &path) {
  std::unordered_map<std::string, std::string> out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return out;
  Dwfl *dwfl = dwfl_begin(&kCallbacks);
  if (!dwfl) {
    ::close(fd);
    return out;
  }
  Dwfl_Module *mod = dwfl_report_offline(dwfl, "", path.c_str(), fd);
  if (!mod) {
    ::close(fd);
    dwfl_end(dwfl);
    return out;
  }
  dwfl_report_end(dwfl, nullptr, nullptr);
  Dwarf_Addr bias = 0;
  if (Dwarf *dw = dwfl_module_getdwarf(mod, &bias)) {
    Dwarf_Off off = 0, next = 0;
    size_t header = 0;
    while (dwarf_nextcu(dw, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cu;
      if (dwarf_offdie(dw, off + header, &cu))
        index_die(&cu, out, 0);
      off = next;
    }
  }
  dwfl_end(dwfl);
  return out;
}

} // namespace

void locate_refusals(const std::string &patched_path, std::vector<Refusal> &refusals) {
  bool any = false;
  for (const Refusal &r : refusals)
    any |= !r.symbol.empty();
  if (!any)
    return;
  auto decl = declarations(patched_path);
  if (decl.empty())
    return;
  for (Refusal &r : refusals) {
    if (r.symbol.empty())
      continue;
    std::string name = r.symbol.substr(r.symbol.find('#') + 1);
    if (is_static_local_name(name))
      name = name.substr(0, name.rfind('.'));
    if (auto it = decl.find(name); it != decl.end())
      r.location = it->second;
  }
}

} // namespace lp::diff

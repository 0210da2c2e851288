// .modinfo encoding (see modinfo.h).
#include "payload/modinfo.h"

#include <elf.h>

namespace lp::payload {

std::vector<std::pair<std::string, std::string>> modinfo_entries(const ModInfo &info) {
  std::vector<std::pair<std::string, std::string>> out = {{"name", info.name},
                                                          {"source_patch_sha256", info.patch_sha256},
                                                          {"tool", info.tool},
                                                          {"xen_build_id", info.xen_build_id},
                                                          {"xen_version", info.xen_version}};
  for (const std::string &change : info.layout_changes)
    out.emplace_back("layout_change", change);
  return out;
}

std::vector<uint8_t> modinfo_bytes(const ModInfo &info) {
  std::vector<uint8_t> out;
  for (const auto &[key, value] : modinfo_entries(info)) {
    if (value.empty())
      continue;
    std::string line = key + "=" + value;
    out.insert(out.end(), line.begin(), line.end());
    out.push_back(0);
  }
  return out;
}

void add_modinfo(elf::Object &obj, const ModInfo &info) {
  std::vector<uint8_t> ours = modinfo_bytes(info);
  elf::Section *sec = obj.section_named(".modinfo");
  std::vector<uint8_t> bytes;
  if (sec) {
    bytes = sec->data;
    while (!bytes.empty() && bytes.back() == 0) // tolerate NUL padding from the link
      bytes.pop_back();
    if (!bytes.empty())
      bytes.push_back(0);
  } else {
    auto fresh = std::make_unique<elf::Section>();
    fresh->name = ".modinfo";
    sec = &obj.add_section(std::move(fresh));
  }
  bytes.insert(bytes.end(), ours.begin(), ours.end());
  if (bytes.empty())
    bytes.push_back(0);
  sec->type = SHT_PROGBITS;
  sec->flags = SHF_ALLOC;
  sec->align = 1;
  sec->entsize = 0;
  sec->set_data(std::move(bytes));
  obj.reindex();
}

std::vector<std::pair<std::string, std::string>> parse_modinfo(std::span<const uint8_t> bytes) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string cur;
  for (uint8_t b : bytes) {
    if (b != 0) {
      cur += static_cast<char>(b);
      continue;
    }
    if (!cur.empty()) {
      auto eq = cur.find('=');
      out.emplace_back(cur.substr(0, eq), eq == std::string::npos ? "" : cur.substr(eq + 1));
    }
    cur.clear();
  }
  return out;
}

} // namespace lp::payload

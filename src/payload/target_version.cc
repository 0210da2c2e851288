// Agreement of the version witnesses (see target_version.h).
#include "payload/target_version.h"

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "elf/image.h"

#include <filesystem>
#include <fmt/format.h>
#include <vector>

namespace lp::payload {
namespace {

struct Witness {
  std::string name; // what a message calls it
  std::string file; // what an error names
  elf::XenVersion version;
};

std::optional<Witness> from_option(const std::string &option) {
  if (option.empty())
    return std::nullopt;
  auto v = elf::parse_xen_version(option);
  if (!v)
    throw FileError(option, "--xen-version wants MAJOR.MINOR, e.g. 4.20");
  return Witness{"--xen-version", "--xen-version " + option, *v};
}

std::optional<Witness> from_tree(const std::string &xen_dir) {
  std::string makefile = xen_dir + "/Makefile";
  if (xen_dir.empty() || !std::filesystem::is_regular_file(makefile))
    return std::nullopt;
  auto v = elf::xen_version_from_makefile(lp::read_file(makefile));
  if (!v)
    return std::nullopt;
  return Witness{"xen/Makefile", makefile, *v};
}

std::optional<Witness> from_image(const std::string &xen_syms) {
  if (xen_syms.empty() || !std::filesystem::is_regular_file(xen_syms))
    return std::nullopt;
  auto v = elf::xen_version_from_image(elf::LinkedImage::open(xen_syms));
  if (!v)
    return std::nullopt;
  return Witness{"xen-syms", xen_syms, *v};
}

} // namespace

TargetVersion detect_target_version(const std::string &option, const std::string &xen_dir,
                                    const std::string &xen_syms) {
  std::vector<Witness> said;
  for (auto w : {from_option(option), from_tree(xen_dir), from_image(xen_syms)})
    if (w)
      said.push_back(*w);
  if (said.empty())
    return {&elf::default_xen_release(), "default"};
  for (const Witness &w : said)
    if (w.version != said.front().version)
      throw FileError(w.file, fmt::format("says Xen {}, but {} says Xen {}", w.version.str(),
                                          said.front().name, said.front().version.str()));
  const elf::XenRelease *r = elf::xen_release(said.front().version);
  if (!r)
    throw FileError(said.front().file,
                    fmt::format("Xen {} is not supported (supported: {})",
                                said.front().version.str(), elf::supported_xen_versions()));
  std::string how;
  for (const Witness &w : said)
    how += (how.empty() ? "" : " and ") + w.name;
  return {r, how};
}

} // namespace lp::payload

// Scratch minitree for end-to-end tests (see minitree.h).
#include "minitree.h"

#include "payload/digest.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace lp::test {
namespace fs = std::filesystem;

MiniTree::MiniTree() {
  fs::create_directories(src());
  fs::copy(std::string(LP_SOURCE_DIR) + "/tests/fixtures/minitree/xen", src() + "/xen",
           fs::copy_options::recursive);
  dir_.write("config", "CONFIG_X86_64=y\nCONFIG_LIVEPATCH=y\nCONFIG_CC_SPLIT_SECTIONS=y\n");
}

std::string MiniTree::patch(const std::string &name) {
  return std::string(LP_SOURCE_DIR) + "/tests/fixtures/minitree/patches/" + name;
}

RunResult MiniTree::build(const std::string &patch_name, const std::vector<std::string> &extra,
                          const std::string &out_name) const {
  return build_file(patch(patch_name), extra, out_name);
}

RunResult MiniTree::build_file(const std::string &patch_path, const std::vector<std::string> &extra,
                               const std::string &out_name) const {
  std::vector<std::string> argv = {tool_path("livepatch-build"), "-s", src(), "-p",
                                   patch_path, "-c", config(), "-o", out(out_name),
                                   "--depends", kDepends, "--cache-dir", cache(), "-j", "2"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv);
}

std::string MiniTree::add_file_and_patch(const std::string &path, const std::string &original,
                                         const std::string &patched) const {
  std::string name = fs::path(path).filename().string();
  dir_.write("src/" + path, original);
  std::string orig = dir_.write("orig-" + name, original);
  std::string next = dir_.write("patched-" + name, patched);
  RunResult d = run({"diff", "-u", "--label", "a/" + path, "--label", "b/" + path, orig, next});
  REQUIRE(d.status == 1);
  return dir_.write(fs::path(name).stem().string() + ".patch", d.output);
}

std::map<std::string, std::string> MiniTree::snapshot() const {
  std::map<std::string, std::string> out;
  for (const auto &e : fs::recursive_directory_iterator(src())) {
    struct stat st {};
    lstat(e.path().c_str(), &st);
    std::string sum;
    if (e.is_regular_file()) {
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      sum = payload::to_hex(payload::sha256(
          std::span(reinterpret_cast<const uint8_t *>(text.data()), text.size())));
    }
    out[e.path().lexically_relative(src()).string()] =
        fmt::format("{:o} {}.{} {}", st.st_mode, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, sum);
  }
  return out;
}

} // namespace lp::test

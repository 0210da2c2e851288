// A scratch copy of tests/fixtures/minitree for livepatch-build end-to-end
// tests: the source tree, its .config, a private cache folder, and a
// snapshot of the tree (contents, modes and mtimes) to prove it is left
// untouched.
#pragma once

#include "support/fixture.h"

#include <map>
#include <string>
#include <vector>

namespace lp::test {

inline const std::string kDepends = "00112233445566778899aabbccddeeff00112233";

class MiniTree {
public:
  MiniTree();
  const TempDir &dir() const { return dir_; }
  std::string src() const { return dir_.file("src"); }
  std::string config() const { return dir_.file("config"); }
  std::string cache() const { return dir_.file("cache"); }
  std::string out(const std::string &name = "out") const { return dir_.file(name); }
  static std::string patch(const std::string &name);

  // livepatch-build -s src -p patch -c config -o out --depends ... --cache-dir cache -j 2,
  // for a fixture patch (tests/fixtures/minitree/patches/<patch_name>) or any patch file.
  RunResult build(const std::string &patch_name, const std::vector<std::string> &extra = {},
                  const std::string &out_name = "out") const;
  RunResult build_file(const std::string &patch_path, const std::vector<std::string> &extra = {},
                       const std::string &out_name = "out") const;

  // Adds src/<path> (path below src, e.g. "xen/common/x.c") with `original`, and
  // returns a patch file (diff -u, a/<path> b/<path>) that turns it into `patched`.
  std::string add_file_and_patch(const std::string &path, const std::string &original,
                                 const std::string &patched) const;

  // path -> "mode mtime sha" for every entry of the source tree.
  std::map<std::string, std::string> snapshot() const;

private:
  TempDir dir_;
};

} // namespace lp::test

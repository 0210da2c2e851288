// describe_patch_failure on what GNU patch really prints: a tree and a patch
// are written, `patch --dry-run` runs with livepatch-build's options, and its
// output must come back as one line naming the file, the hunk and both places.
#include "payload/patch_failure.h"
#include "support/fixture.h"

#include <catch2/catch.hpp>
#include <filesystem>

using lp::payload::describe_patch_failure;
using lp::test::TempDir;

namespace {

// patch's output for `patch_text` applied to a tree holding xen/common/x.c.
std::string patch_output(const TempDir &dir, const std::string &patch_text) {
  std::filesystem::create_directories(dir.file("t/xen/common"));
  dir.write("t/xen/common/x.c", "a\nb\nc\nd\ne\nf\n");
  std::string patch = dir.write("fix.patch", patch_text);
  auto r = lp::test::run({"patch", "--dry-run", "-d", dir.file("t"), "-p1", "--fuzz=0", "-f",
                          "-N", "-i", patch});
  CHECK(r.status != 0);
  return r.output;
}

const char kTwoHunks[] = "--- a/xen/common/x.c\n"
                         "+++ b/xen/common/x.c\n"
                         "@@ -1,3 +1,3 @@\n"
                         " a\n"
                         "-b\n"
                         "+B\n"
                         " c\n"
                         "@@ -4,3 +4,3 @@\n"
                         " d\n"
                         "-Q\n"
                         "+E\n"
                         " f\n";

} // namespace

TEST_CASE("patch failure: the second hunk of a file, by number, tree line and patch line",
          "[payload][patch]") {
  TempDir dir;
  std::string out = patch_output(dir, kTwoHunks);
  CHECK(describe_patch_failure(out, kTwoHunks, "fix.patch") ==
        "xen/common/x.c: hunk #2 (fix.patch:8) does not match at line 4");
}

TEST_CASE("patch failure: a removed line starting with -- is not a file header",
          "[payload][patch]") {
  TempDir dir;
  const std::string text = "--- a/xen/common/x.c\n"
                           "+++ b/xen/common/x.c\n"
                           "@@ -1,2 +1,2 @@\n"
                           "--- not here\n"
                           "+++ nor here\n"
                           " b\n"
                           "@@ -5,2 +5,2 @@\n"
                           "-e\n"
                           "+E\n"
                           " f\n";
  std::string out = patch_output(dir, text);
  CHECK(describe_patch_failure(out, text, "fix.patch") ==
        "xen/common/x.c: hunk #1 (fix.patch:3) does not match at line 1");
}

TEST_CASE("patch failure: a file missing from the tree, and a malformed patch",
          "[payload][patch]") {
  TempDir dir;
  const std::string missing = std::string(kTwoHunks) +
                              "--- a/xen/common/nope.c\n"
                              "+++ b/xen/common/nope.c\n"
                              "@@ -1 +1 @@\n"
                              "-z\n"
                              "+y\n";
  std::string out = patch_output(dir, missing);
  CHECK(describe_patch_failure(out, missing, "fix.patch") ==
        "xen/common/x.c: hunk #2 (fix.patch:8) does not match at line 4; "
        "xen/common/nope.c: no such file in the tree (fix.patch:15)");

  TempDir dir2;
  const std::string malformed = "--- a/xen/common/x.c\n+++ b/xen/common/x.c\n@@ -1,3 +1,3 @@\n a\n";
  std::string out2 = patch_output(dir2, malformed);
  CHECK(describe_patch_failure(out2, malformed, "fix.patch") ==
        "fix.patch: malformed patch at line 4");
}

TEST_CASE("patch failure: output it does not know is passed on as its first line",
          "[payload][patch]") {
  CHECK(describe_patch_failure("\nsomething new went wrong\nmore\n", "", "fix.patch") ==
        "something new went wrong");
}

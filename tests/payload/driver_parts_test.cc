// The driver's pure parts: payload names, patch file lists, tree sync and
// hashing, which captured objects are diffed, and the JSON summary.
#include "payload_fixture.h"

#include "payload/object_capture.h"
#include "payload/options.h"
#include "payload/run_report.h"
#include "payload/source_tree.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

using namespace lp::payload;
using lp::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("payload name follows upstream's rules", "[driver][name]") {
  CHECK(payload_name("/x/xsa-123.patch") == "xsa-123");
  CHECK(payload_name("fix.diff") == "fix");
  CHECK(payload_name("a.b.patch") == "a-b");
  CHECK(payload_name("my fix+1.patch.txt") == "my-fix-1-patch"); // last suffix only
  CHECK(payload_name("plain.txt") == "plain-txt");                // no .patch/.diff: kept
  CHECK(payload_name(std::string(200, 'x') + ".patch").size() == 127);
}

TEST_CASE("patched_files lists created, modified and deleted files", "[driver][patch]") {
  std::string patch = "diff -ru a/xen/common/a.c b/xen/common/a.c\n"
                      "--- a/xen/common/a.c\t2020-01-01\n+++ b/xen/common/a.c\t2020-01-02\n"
                      "@@ -1,2 +1,2 @@\n--- not a header, a removed line\n+x\n"
                      "--- /dev/null\n+++ b/xen/common/new/n.c\n@@ -0,0 +1 @@\n+int n;\n"
                      "--- a/xen/old.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-int o;\n";
  CHECK(patched_files(patch) ==
        std::vector<std::string>{"xen/common/a.c", "xen/common/new/n.c", "xen/old.c"});
}

TEST_CASE("sync_tree makes a folder equal to another, mtimes included", "[driver][tree]") {
  TempDir dir;
  dir.write("a/x.c", "one");
  dir.write("a/sub/y.c", "two");
  REQUIRE(lp::test::run({"cp", "-a", dir.file("a"), dir.file("b")}).status == 0);
  dir.write("b/x.c", "changed");
  dir.write("b/sub/extra.o", "junk");
  dir.write("b/newdir/z.c", "new");
  sync_tree(dir.file("a"), dir.file("b"));
  CHECK(tree_content_hash(dir.file("a")) == tree_content_hash(dir.file("b")));
  CHECK(fs::last_write_time(dir.file("a/x.c")) == fs::last_write_time(dir.file("b/x.c")));
  CHECK(!fs::exists(dir.file("b/newdir")));
  CHECK(tree_has_objects(dir.file("a")) == false);
  dir.write("a/k.o", "");
  CHECK(tree_has_objects(dir.file("a")));
  CHECK(tree_content_hash(dir.file("a")) != tree_content_hash(dir.file("b")));
}

TEST_CASE("captured objects: compile.h-only, identical, new and changed", "[driver][capture]") {
  TempDir dir;
  for (const char *o : {"xen/common/version.o", "xen/arch/x86/efi/boot.o", "xen/common/a.o",
                        "xen/common/b.o"})
    dir.write(std::string("orig/") + o, "old");
  dir.write("patched/xen/common/version.o", "new date");
  dir.write("patched/xen/arch/x86/efi/boot.o", "new date");
  dir.write("patched/xen/common/a.o", "old");
  dir.write("patched/xen/common/b.o", "new code");
  dir.write("patched/xen/common/extra/c.o", "brand new");
  dir.write("patched/changed_objs", "xen/common/a.o\nxen/common/a.o\nxen/common/b.o\n");
  ObjectPlan plan = plan_objects(dir.file("patched"), dir.file("orig"), {"xen/common/b.c"});
  CHECK(plan.changed == std::vector<std::string>{"xen/common/b.o"});
  CHECK(plan.identical == std::vector<std::string>{"xen/common/a.o"});
  CHECK(plan.new_objects == std::vector<std::string>{"xen/common/extra/c.o"});
  CHECK(plan.compile_h_only ==
        std::vector<std::string>{"xen/arch/x86/efi/boot.o", "xen/common/version.o"});
  ObjectPlan touched = plan_objects(dir.file("patched"), dir.file("orig"), {"xen/common/version.c"});
  CHECK(std::count(touched.changed.begin(), touched.changed.end(), "xen/common/version.o") == 1);
}

TEST_CASE("the JSON summary is stable and escaped", "[driver][json]") {
  RunReport r;
  r.name = "x\"y";
  r.functions_changed = {"b", "a", "a"};
  r.timings = {{"link", 0.5}};
  std::string j = lp::report_text(report_json(r));
  CHECK_THAT(j, Catch::Contains("\"name\": \"x\\\"y\""));
  CHECK_THAT(j, Catch::Contains("\"changed\": [\"a\", \"b\"]"));
  CHECK_THAT(j, Catch::Contains("\"timings\": {\"link\": 0.5}"));
}

// The reports' JSON layout (src/elf/json.h): what every --json report looks
// like, escaping through nlohmann-json, and bytes that are not UTF-8.
#include "elf/json.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using lp::Json;

TEST_CASE("report layout: one member per line, lists of objects one per line", "[json]") {
  Json doc = {{"name", "p"},
              {"exit_code", 0},
              {"changed", {"b", "a"}},
              {"empty", Json::array()},
              {"sizes", {{"alt_instr", 14}, {"source", "table"}}},
              {"refusals", {{{"reason", "r1"}, {"symbol", "f"}}, {{"reason", "r2"}, {"symbol", "g"}}}},
              {"nested", {{"ignored", {{{"name", "x"}}}}}},
              {"seconds", 0.5},
              {"none", nullptr},
              {"yes", true}};
  CHECK(lp::report_text(doc) == "{\n"
                                "  \"name\": \"p\",\n"
                                "  \"exit_code\": 0,\n"
                                "  \"changed\": [\"b\", \"a\"],\n"
                                "  \"empty\": [],\n"
                                "  \"sizes\": {\"alt_instr\": 14, \"source\": \"table\"},\n"
                                "  \"refusals\": [\n"
                                "    {\"reason\": \"r1\", \"symbol\": \"f\"},\n"
                                "    {\"reason\": \"r2\", \"symbol\": \"g\"}\n"
                                "  ],\n"
                                "  \"nested\": {\"ignored\": [{\"name\": \"x\"}]},\n"
                                "  \"seconds\": 0.5,\n"
                                "  \"none\": null,\n"
                                "  \"yes\": true\n"
                                "}\n");
  // What is written parses back to the same document.
  CHECK(Json::parse(lp::report_text(doc)) == doc);
}

TEST_CASE("report strings: JSON escapes, UTF-8 kept, bad bytes replaced", "[json]") {
  CHECK(lp::json_string("a\"b\\c\n\t\x01") == "\"a\\\"b\\\\c\\n\\t\\u0001\"");
  CHECK(lp::json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  // A path is whatever bytes it is; the report stays valid JSON.
  std::string text = lp::report_text({{"path", "dir\xff/x.o"}});
  CHECK(text == "{\n  \"path\": \"dir\xef\xbf\xbd/x.o\"\n}\n");
  CHECK(Json::parse(text)["path"] == "dir\xef\xbf\xbd/x.o");
}

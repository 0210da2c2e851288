// Round trip: gcc-built objects read into the model and written back must be
// interchangeable with the originals. Two proofs:
//
//  - A program linked from rewritten objects prints exactly what the program
//    linked from the original objects prints (and what the source says).
//  - `readelf -W -S -s -r` of original and rewritten agree on everything but
//    indices and file offsets. Normalised away: section numbers ([Nr]) and
//    every column that holds a section number (sh_link, sh_info of RELA and
//    SHF_INFO_LINK sections, a symbol's Ndx) are replaced by the name of the
//    section they designate; symbol numbers (Num, and the r_info column of
//    relocations) are dropped; file offsets (Off, "at offset") are dropped;
//    the sizes of .strtab and .shstrtab are dropped because the writer
//    deduplicates strings. Everything else (names, types, flags, addresses,
//    sizes, alignment, entry sizes, symbol values/sizes/types/bindings/
//    visibility, relocation offsets/types/targets/addends) must be equal.
#include "elf_fixture.h"

#include "elf/reader.h"
#include "elf/writer.h"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>

using namespace lp::test;

namespace {

std::vector<std::string> words(const std::string &line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

std::vector<std::string> lines(const std::string &text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

// Section header lines of readelf -W -S, keyed by index, as word lists
// starting at the name ("[ 1]" and "[12]" are both handled).
std::map<int, std::vector<std::string>> section_rows(const std::string &path) {
  std::map<int, std::vector<std::string>> rows;
  for (const std::string &l : lines(must_run({"readelf", "-W", "-S", path}))) {
    size_t open = l.find('['), close = l.find(']');
    if (open == std::string::npos || close == std::string::npos || l.find("Nr]") != std::string::npos)
      continue;
    std::string idx = l.substr(open + 1, close - open - 1);
    if (idx.find_first_not_of(" 0123456789") != std::string::npos)
      continue;
    rows[std::stoi(idx)] = words(l.substr(close + 1));
  }
  return rows;
}

std::string name_of(const std::map<int, std::vector<std::string>> &rows, const std::string &idx) {
  if (idx.find_first_not_of("0123456789") != std::string::npos)
    return idx; // UND, ABS, COM
  auto it = rows.find(std::stoi(idx));
  if (it == rows.end() || it->second.empty() || it->second[1] == "NULL")
    return idx == "0" ? "0" : "?" + idx;
  return it->second[0];
}

std::vector<std::string> normalised_sections(const std::string &path) {
  auto rows = section_rows(path);
  std::vector<std::string> out;
  for (const auto &[idx, w] : rows) {
    if (idx == 0)
      continue;
    // name type addr off size es [flags] lk inf al
    const bool has_flags = w.size() == 10;
    const std::string flags = has_flags ? w[6] : "";
    const std::string &lk = w[w.size() - 3], &inf = w[w.size() - 2], &al = w.back();
    const bool inf_is_section = w[1] == "RELA" || flags.find('I') != std::string::npos;
    const bool strings = w[0] == ".strtab" || w[0] == ".shstrtab";
    out.push_back(w[0] + " " + w[1] + " " + w[2] + " size=" + (strings ? "-" : w[4]) + " es=" + w[5] +
                  " flags=" + flags + " link=" + name_of(rows, lk) +
                  " info=" + (inf_is_section ? name_of(rows, inf) : inf) + " align=" + al);
  }
  return out;
}

std::vector<std::string> normalised_symbols(const std::string &path) {
  auto rows = section_rows(path);
  std::vector<std::string> out;
  for (const std::string &l : lines(must_run({"readelf", "-W", "-s", path}))) {
    auto w = words(l);
    if (w.size() < 7 || w[0].back() != ':' || w[0] == "Num:")
      continue;
    // num: value size type bind vis ndx [name]
    std::string name = w.size() > 7 ? w[7] : "";
    if (w[3] == "SECTION")
      name = "section:" + name_of(rows, w[6]);
    out.push_back(w[1] + " " + w[2] + " " + w[3] + " " + w[4] + " " + w[5] + " " +
                  name_of(rows, w[6]) + " " + name);
  }
  return out;
}

std::vector<std::string> normalised_relocations(const std::string &path) {
  std::vector<std::string> out;
  for (const std::string &l : lines(must_run({"readelf", "-W", "-r", path}))) {
    auto w = words(l);
    if (l.rfind("Relocation section", 0) == 0) {
      out.push_back("section " + w[2] + " entries=" + w[w.size() - 2]);
      continue;
    }
    if (w.size() < 3 || w[0].find_first_not_of("0123456789abcdef") != std::string::npos)
      continue;
    std::string rest; // drop r_info (it holds the symbol index)
    for (size_t i = 2; i < w.size(); ++i)
      rest += " " + w[i];
    out.push_back(w[0] + rest);
  }
  return out;
}

std::string rewrite(const std::string &obj) {
  std::string out = obj.substr(0, obj.size() - 2) + ".rw.o";
  lp::elf::write_object(lp::elf::read_object(obj), out);
  return out;
}

void require_same_readelf(const std::string &a, const std::string &b) {
  INFO("original " << a << " rewritten " << b);
  auto sa = normalised_sections(a);
  CHECK(sa.size() > 5);
  CHECK(sa == normalised_sections(b));
  auto ya = normalised_symbols(a);
  CHECK(ya.size() > 3);
  CHECK(ya == normalised_symbols(b));
  CHECK(normalised_relocations(a) == normalised_relocations(b));
}

const char kMain[] = R"(#include <stdio.h>
extern int counter;
extern const char *greeting(int which);
extern int (*pick(int which))(int);
static int bump(int by) { counter += by; return counter; }
static const char banner[] = "round trip";
int main(void) {
  int (*fn)(int) = pick(1);
  printf("%s: %s %s %d %d\n", banner, greeting(0), greeting(1), fn(20), bump(3));
  return 0;
}
)";

const char kLib[] = R"(int counter = 7;
static int calls;
static const char *const words[] = {"hello", "world"};
static int twice(int x) { return 2 * x + calls++; }
static int thrice(int x) { return 3 * x; }
const char *greeting(int which) { return words[which]; }
int (*pick(int which))(int) { return which ? twice : thrice; }
)";

const char kExpected[] = "round trip: hello world 40 10\n";

} // namespace

TEST_CASE("rewritten host objects link into a program with identical output", "[elf][roundtrip]") {
  TempDir dir;
  for (const auto &flags : std::vector<std::vector<std::string>>{
           {"-O2", "-ffunction-sections", "-fdata-sections"},
           {"-O0", "-g"},
           {"-O2", "-g3", "-gdwarf-4"}}) {
    INFO("flags: " << flags[0] << " " << flags[1]);
    std::string m = compile_host_c(dir, "main", kMain, flags);
    std::string l = compile_host_c(dir, "lib", kLib, flags);
    std::string mrw = rewrite(m), lrw = rewrite(l);
    must_run({"gcc", m, l, "-o", dir.file("orig")});
    must_run({"gcc", mrw, lrw, "-o", dir.file("rewritten")});
    std::string want = must_run({dir.file("orig")});
    CHECK(want == kExpected);
    CHECK(must_run({dir.file("rewritten")}) == want);
    require_same_readelf(m, mrw);
    require_same_readelf(l, lrw);
  }
}

TEST_CASE("rewritten Xen-flag objects agree with the originals under readelf", "[elf][roundtrip]") {
  TempDir dir;
  std::string obj = compile_xen_c(dir, "xen", R"(
struct ops { int (*op)(int); const char *name; };
static int calls;
static int add_one(int x) { return x + 1 + calls++; }
int exported_value = 3;
static const struct ops table[] = { { add_one, "add" } };
int run_op(int i, int x) { return table[i].op(x) + exported_value; }
const char *op_name(int i) { return table[i].name; }
)");
  require_same_readelf(obj, rewrite(obj));
  // And a second generation is byte-identical to the first.
  std::string again = rewrite(obj.substr(0, obj.size() - 2) + ".rw.o");
  CHECK(file_bytes(again) == file_bytes(obj.substr(0, obj.size() - 2) + ".rw.o"));
}

TEST_CASE("section groups survive a round trip", "[elf][roundtrip]") {
  TempDir dir;
  std::string obj = compile_host_c(dir, "g", "#include <stdio.h>\nint main(void){return puts(\"x\");}\n",
                                   {"-O2", "-g3", "-gdwarf-4"});
  lp::elf::Object o = lp::elf::read_object(obj);
  size_t groups = 0;
  for (const auto &s : o.sections) {
    if (s->type != SHT_GROUP)
      continue;
    ++groups;
    REQUIRE(s->group_signature);
    CHECK(s->group_flags == GRP_COMDAT);
    REQUIRE(!s->group_members.empty());
    for (const auto *m : s->group_members)
      CHECK(m->group == s.get());
  }
  CHECK(groups > 1);
  std::string rw = rewrite(obj);
  CHECK(must_run({"readelf", "-W", "-g", obj}) .size() > 0);
  // readelf -g prints indices; with the same section order they must match exactly.
  CHECK(must_run({"readelf", "-W", "-g", rw}) == must_run({"readelf", "-W", "-g", obj}));
}

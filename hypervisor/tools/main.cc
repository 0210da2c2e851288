// minixen-livepatch: xen-livepatch for the in-tree hypervisor.
//
//   minixen-livepatch [--socket PATH] [--timeout S] [--force] <verb> [args]
//
// Verbs and their meanings are xen-livepatch's (upload, list, apply, revert,
// replace, unload, load), plus info, call and workload. The socket is the
// QEMU character device wired to the guest's COM2; it defaults to
// $MINIXEN_SOCKET. Bad usage prints one line and exits 1.
#include "livepatch_commands.h"
#include "lp_version.h"
#include "xen_errno.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>

int main(int argc, char **argv) {
  CLI::App app{"Drive the live-patch subsystem of the in-tree hypervisor (xen-livepatch's "
               "verbs over a QEMU character device)",
               "minixen-livepatch"};
  const char *env_socket = std::getenv("MINIXEN_SOCKET");
  std::string socket = env_socket ? env_socket : "";
  bool force = false, nodeps = false;
  std::string name, file, hypercall;
  long long arg = 0;
  app.add_option("--socket", socket, "control socket (QEMU -serial unix:PATH for COM2); "
                                     "default $MINIXEN_SOCKET");
  app.add_flag("--force", force, "set LIVEPATCH_FLAG_FORCE on upload");
  double timeout_s = 60;
  app.add_option("--timeout", timeout_s, "seconds to wait for each response (default 60)")
      ->check(CLI::PositiveNumber);
  app.require_subcommand(1);
  app.set_version_flag("--version", lp::version_text("minixen-livepatch"));

  std::function<int(minixen::LivepatchCommands &)> run;
  auto verb = [&](const char *n, const char *help, std::function<int(minixen::LivepatchCommands &)> f) {
    CLI::App *sub = app.add_subcommand(n, help);
    sub->callback([&run, f] { run = f; });
    return sub;
  };
  using minixen::LivepatchCommands;
  verb("info", "print the hypervisor's version, CPUs and build-id",
       [](LivepatchCommands &c) { return c.info(); });
  verb("list", "list payloads: name, state (CHECKED/APPLIED, last error), metadata",
       [](LivepatchCommands &c) { return c.list(); });
  auto *up = verb("upload", "upload FILE as payload NAME (checked, not applied)",
                  [&](LivepatchCommands &c) { return c.upload(name, file); });
  up->add_option("name", name, "payload name")->required();
  up->add_option("file", file, "payload file")->required();
  auto *ap = verb("apply", "apply payload NAME",
                  [&](LivepatchCommands &c) { return c.apply(name, nodeps); });
  ap->add_option("name", name, "payload name")->required();
  ap->add_flag("--nodeps", nodeps, "skip the .livepatch.depends check");
  verb("revert", "revert payload NAME (must be the top of the stack)",
       [&](LivepatchCommands &c) { return c.revert(name); })
      ->add_option("name", name, "payload name")->required();
  verb("replace", "revert every applied payload and apply NAME instead",
       [&](LivepatchCommands &c) { return c.replace(name); })
      ->add_option("name", name, "payload name")->required();
  verb("unload", "unload payload NAME (must be CHECKED)",
       [&](LivepatchCommands &c) { return c.unload(name); })
      ->add_option("name", name, "payload name")->required();
  auto *ld = verb("load", "upload FILE (name = basename minus extension) and apply it; "
                          "unload again if apply fails",
                  [&](LivepatchCommands &c) { return c.load(file, nodeps); });
  ld->add_option("file", file, "payload file")->required();
  ld->add_flag("--nodeps", nodeps, "skip the .livepatch.depends check");
  auto *ca = verb("call", "call a hypercall: extra_version, major_version, minor_version, "
                          "compute X, table_lookup IDX",
                  [&](LivepatchCommands &c) { return c.call(hypercall, arg); });
  ca->add_option("hypercall", hypercall, "hypercall name")->required();
  ca->add_option("arg", arg, "integer argument (default 0)");
  verb("workload", "print what the CPU-1 workload has seen: results and every change",
       [](LivepatchCommands &c) { return c.workload(); });

  // An unknown verb gets its own message (CLI11 would only say a verb is missing).
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--socket" || a == "--timeout") {
      i++;
      continue;
    }
    if (a.empty() || a[0] == '-')
      continue;
    bool known = false;
    for (const CLI::App *sub : app.get_subcommands([](CLI::App *) { return true; }))
      known = known || sub->get_name() == a;
    if (!known) {
      std::fprintf(stderr, "minixen-livepatch: unknown command '%s' (see --help)\n", a.c_str());
      return minixen::EXIT_ERROR;
    }
    break;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::string msg = e.what();
    std::fprintf(stderr, "minixen-livepatch: %s\n", msg.c_str());
    return minixen::EXIT_ERROR;
  }
  if (socket.empty()) {
    std::fprintf(stderr, "minixen-livepatch: no control socket (use --socket or MINIXEN_SOCKET)\n");
    return minixen::EXIT_ERROR;
  }
  try {
    minixen::ControlChannel channel(socket, static_cast<int>(timeout_s * 1000));
    minixen::LivepatchCommands commands(channel, force);
    return run(commands);
  } catch (const minixen::ChannelError &e) {
    std::fprintf(stderr, "minixen-livepatch: %s\n", e.what());
    return minixen::EXIT_ERROR;
  }
}

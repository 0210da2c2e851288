// livepatch-sign: sign a live-patch payload, verify its signature, or show it.
//
//   livepatch-sign sign --format note|appended --key KEY [--cert CERT]
//                       [--key-id ski|issuer-serial] [--replace]
//                       [--passphrase-file FILE] [-o OUT] PAYLOAD
//   livepatch-sign verify (--cert CERT | --pubkey PEM) PAYLOAD
//   livepatch-sign show PAYLOAD
//
// Exit codes: 0 signed / verified / shown; 1 error (bad option, unreadable
// file, unusable key); 2 the payload's signature is missing, malformed or does
// not verify. Errors are one line, "<file>: <problem>", on stderr. The
// passphrase of an encrypted key (or a token PIN) is read from
// --passphrase-file, $LIVEPATCH_SIGN_PIN or $KBUILD_SIGN_PIN, never from an
// option value, so it does not show up in process listings or shell history.
#include "elf/atomic_file.h"
#include "lp_version.h"
#include "sign/sign.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <map>

namespace {

using lp::sign::Format;

constexpr int kExitError = 1;
constexpr int kExitVerification = 2;

struct SignArgs {
  std::string format = "note";
  std::string key_id = "issuer-serial";
  std::string out;
  std::string payload;
  lp::sign::SignOptions options;
};

struct VerifyArgs {
  std::string payload;
  lp::sign::VerifyOptions options;
};

std::vector<uint8_t> read_bytes(const std::string &path) {
  std::string s = lp::read_file(path);
  return {s.begin(), s.end()};
}

int run_sign(SignArgs &a) {
  a.options.format = a.format == "note" ? Format::note : Format::appended;
  a.options.key_id_ski = a.key_id == "ski";
  std::string out = a.out.empty() ? a.payload : a.out;
  lp::sign::sign_file(a.payload, out, a.options);
  fmt::print("{}: signed ({} format)\n", out, a.format);
  return 0;
}

int run_verify(const VerifyArgs &a) {
  auto bytes = read_bytes(a.payload);
  lp::sign::VerifyResult r = lp::sign::verify_payload(bytes, a.payload, a.options);
  std::string by = r.signer.empty() ? "" : " by " + r.signer;
  fmt::print("{}: {} signature{} ({} bytes) verified with {}\n", a.payload,
             lp::sign::format_name(r.format), by, r.signature_size, r.key);
  return 0;
}

int run_show(const std::string &payload) {
  auto bytes = read_bytes(payload);
  auto sigs = lp::sign::show_payload(bytes, payload);
  if (sigs.empty()) {
    fmt::print("{}: not signed\n", payload);
    return kExitVerification;
  }
  for (const auto &s : sigs) {
    fmt::print("{}: {} signature, {} bytes, covering {} bytes; {}", payload,
               lp::sign::format_name(s.format), s.signature_size, s.signed_size, s.algorithm);
    fmt::print("{}\n", s.signer.empty() ? "" : "; signer " + s.signer);
  }
  return 0;
}

void add_sign_command(CLI::App &app, SignArgs &a) {
  auto *sub = app.add_subcommand("sign", "Sign a payload (in place unless -o is given)");
  sub->add_option("--format", a.format, "Signature format: note (.note.Xen.signature, default) "
                                        "or appended (Linux module signature, CMS)")
      ->check(CLI::IsMember({"note", "appended"}));
  sub->add_option("--key", a.options.key, "Private key: PEM or DER file (mode 0600), or a "
                                          "pkcs11: URI")
      ->required();
  sub->add_option("--cert", a.options.cert, "Signer certificate, PEM or DER (appended format: "
                                            "required unless the key file holds it; note "
                                            "format: checked against the key)");
  sub->add_option("--key-id", a.key_id, "Appended format: name the signer by issuer-serial "
                                        "(default) or ski (subjectKeyIdentifier)")
      ->check(CLI::IsMember({"ski", "issuer-serial"}));
  sub->add_option("--passphrase-file", a.options.passphrase_file,
                  "File whose first line is the key passphrase or token PIN (otherwise "
                  "$LIVEPATCH_SIGN_PIN or $KBUILD_SIGN_PIN)");
  sub->add_flag("--replace", a.options.replace, "Remove existing signatures and sign again");
  sub->add_option("-o,--output", a.out, "Write the signed payload here instead of in place");
  sub->add_option("payload", a.payload, "Payload to sign")->required();
}

void add_verify_command(CLI::App &app, VerifyArgs &a) {
  auto *sub = app.add_subcommand("verify", "Verify a payload's signature; exit 0 if it "
                                           "verifies, 2 if it does not, 1 on error");
  auto *cert = sub->add_option("--cert", a.options.cert, "Signer certificate (PEM or DER): "
                                                         "verifies either format");
  auto *pub = sub->add_option("--pubkey", a.options.pubkey, "Public key PEM (verify_key.pem): "
                                                            "verifies the note format");
  cert->excludes(pub);
  sub->add_option("payload", a.payload, "Signed payload")->required();
}

int dispatch(CLI::App &app, SignArgs &s, VerifyArgs &v, const std::string &show_payload) {
  if (app.got_subcommand("sign"))
    return run_sign(s);
  if (app.got_subcommand("verify"))
    return run_verify(v);
  return run_show(show_payload);
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"Sign and verify Xen live-patch payloads (.note.Xen.signature or an appended "
               "module signature).\nExit codes: 0 ok, 1 error, 2 signature missing or not "
               "verified.",
               "livepatch-sign"};
  app.set_version_flag("--version", lp::version_text("livepatch-sign"));
  app.require_subcommand(1);
  SignArgs sign_args;
  VerifyArgs verify_args;
  std::string show_payload;
  add_sign_command(app, sign_args);
  add_verify_command(app, verify_args);
  app.add_subcommand("show", "Show the signatures a payload carries, without verifying them; "
                             "exit 2 if it has none")
      ->add_option("payload", show_payload, "Payload")
      ->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitError;
  }
  bool verifying = app.got_subcommand("verify") || app.got_subcommand("show");
  try {
    return dispatch(app, sign_args, verify_args, show_payload);
  } catch (const lp::sign::VerificationError &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return verifying ? kExitVerification : kExitError;
  } catch (const lp::FileError &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitError;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "livepatch-sign: %s\n", e.what());
    return kExitError;
  }
}

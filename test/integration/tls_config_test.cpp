// TLS settings checked at start-up against real files: a private key that does not match its
// certificate and a file that is not a certificate are refused with the setting's file:line,
// by `osprey -c` and by a real start alike.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>

#include "test/support/osprey_process.h"
#include "test/support/temp_dir.h"
#include "test/support/test_pki.h"

namespace osprey::testsupport {
namespace {

void expectRefused(const TempDir& dir, const std::string& text, int line,
                   const std::string& message) {
    const std::string path = dir.write("osprey.cfg", text);
    for (bool checkOnly : {true, false}) {
        std::vector<std::string> args = {"-D", "-E", "-f", path};
        if (checkOnly) args.push_back("-c");
        RunResult r = runOsprey(args);
        EXPECT_EQ(r.exitCode, 1) << r.output;
        const std::string where = path + ":" + std::to_string(line) + ": tls: ";
        const size_t at = r.output.find(where);
        ASSERT_NE(at, std::string::npos) << r.output;
        const std::string lineText = r.output.substr(at, r.output.find('\n', at) - at);
        EXPECT_NE(lineText.find(message), std::string::npos) << r.output;
        EXPECT_EQ(r.output.find("ready:"), std::string::npos);
    }
}

TEST(TlsConfig, KeyThatDoesNotMatchItsCertificateNamesTheKeyLine) {
    TempDir dir;
    TestPki pki(dir.path());
    CertFiles a = pki.issue("a", CertSpec("a.example"));
    CertFiles b = pki.issue("b", CertSpec("b.example"));
    expectRefused(dir,
                  "listen = ( \"tls:127.0.0.1:" + std::to_string(freePort(SOCK_STREAM)) +
                      "\" );\ntls = {\n  certificate = \"" + a.cert + "\";\n  private_key = \"" +
                      b.key + "\";\n};\n",
                  4, "does not match certificate");
}

TEST(TlsConfig, FileThatIsNotACertificateNamesTheCertificateLine) {
    TempDir dir;
    const std::string junk = dir.write("junk.pem", "not a certificate\n");
    expectRefused(dir,
                  "listen = ( \"tls:127.0.0.1:" + std::to_string(freePort(SOCK_STREAM)) +
                      "\" );\ntls = {\n  certificate = \"junk.pem\";\n};\n",
                  3, "is not a PEM certificate");
}

TEST(TlsConfig, SniProfileKeyMismatchNamesItsLine) {
    TempDir dir;
    TestPki pki(dir.path());
    CertFiles a = pki.issue("a", CertSpec("a.example"));
    CertFiles b = pki.issue("b", CertSpec("b.example"));
    expectRefused(dir,
                  "listen = ( \"tls:127.0.0.1:" + std::to_string(freePort(SOCK_STREAM)) +
                      "\" );\ntls = {\n  certificate = \"" + a.cert + "\";\n  private_key = \"" +
                      a.key + "\";\n  server = ( {\n    server_name = \"b.example\";\n" +
                      "    certificate = \"" + b.cert + "\";\n    private_key = \"" + a.key +
                      "\";\n  } );\n};\n",
                  8, "does not match certificate");
}

}  // namespace
}  // namespace osprey::testsupport

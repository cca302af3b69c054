// The To tag of local replies must be the same in every worker for the same request (a
// retransmission may reach another worker, RFC 3261 §8.2.6.2), so its salt is drawn before
// any fork. Nothing in this binary computes a tag before the forks below: a salt drawn on
// first use would differ between the two children.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "core/sip/msg.h"
#include "core/sip/reply.h"
#include "test/unit/sip_test_pkg.h"

using namespace osprey::sip;

namespace {

const char kRequest[] =
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKtag1\r\n"
    "From: <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: to-tag-test@example.com\r\n"
    "CSeq: 7 OPTIONS\r\n"
    "\r\n";

std::string tagOf(const char* text) {
    SipMsg msg;
    if (!parseMsg(msg, text)) return "unparsed";
    char out[16];
    return std::string(localToTag(msg, out));
}

// The tag a freshly forked child computes (its first use of localToTag), or "" on failure.
std::string tagInChild(const char* text) {
    int fds[2];
    if (pipe(fds) != 0) return "";
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        std::string t = tagOf(text);
        ssize_t n = write(fds[1], t.data(), t.size());
        _exit(n == static_cast<ssize_t>(t.size()) ? 0 : 1);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return "";
    }
    std::string got;
    char buf[64];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, n);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? got : "";
}

TEST(SipToTag, EveryForkedProcessDerivesTheSameTag) {
    std::string first = tagInChild(kRequest);
    std::string second = tagInChild(kRequest);
    ASSERT_EQ(first.size(), 16u) << first;
    EXPECT_EQ(first, second);
    EXPECT_EQ(first, tagOf(kRequest));
}

TEST(SipToTag, DifferentRequestsGetDifferentTags) {
    std::string other = kRequest;
    other.replace(other.find("z9hG4bKtag1"), 11, "z9hG4bKtag2");
    EXPECT_NE(tagOf(kRequest), tagOf(other.c_str()));
}

}  // namespace

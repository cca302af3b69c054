// acc's pieces below the module: records survive the trip through the ring's encoding
// (empty fields, the largest field count), a cut or oversized record is refused, and
// log_extra / db_extra definitions parse as Kamailio writes them or fail with a reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "modules/acc/acc_extra.h"
#include "modules/acc/acc_record.h"

namespace osprey::acc {
namespace {

TEST(AccRecord, RoundTrip) {
    Record r;
    const std::vector<std::string> in = {"acc",   "1765012345", "INVITE", "ft",    "",
                                         "cid@h", "200",        "OK",     "alice", ""};
    for (const std::string& f : in) r.fields[r.count++] = f;
    char buf[1024];
    const size_t n = encodeRecord(r, buf, sizeof buf);
    ASSERT_GT(n, 0u);
    Record out;
    ASSERT_TRUE(decodeRecord({buf, n}, out));
    ASSERT_EQ(out.count, in.size());
    for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out.fields[i], in[i]) << i;
    EXPECT_FALSE(decodeRecord({buf, n - 1}, out)) << "a cut record";
    EXPECT_FALSE(decodeRecord({buf, 0}, out));
}

TEST(AccRecord, TooLargeForTheBufferIsRefused) {
    Record r;
    const std::string big(600, 'x');
    r.fields[r.count++] = big;
    r.fields[r.count++] = big;
    char buf[1024];
    EXPECT_EQ(encodeRecord(r, buf, sizeof buf), 0u);
}

TEST(AccExtra, ParsesKamailiosDefinition) {
    std::vector<Extra> ex;
    std::string error;
    ASSERT_TRUE(
        parseExtras("src_user=$fU;src_domain=$fd;src_ip=$si;"
                    "dst_ouser=$tU;dst_user=$rU;dst_domain=$rd",
                    ex, &error))
        << error;
    ASSERT_EQ(ex.size(), 6u);
    EXPECT_EQ(ex[0].name, "src_user");
    EXPECT_EQ(ex[0].pv, "$fU");
    EXPECT_EQ(ex[5].name, "dst_domain");
    ASSERT_TRUE(parseExtras(" a = $ru ; ; b=$hdr(X-Y) ;", ex, &error)) << error;
    ASSERT_EQ(ex.size(), 2u);
    EXPECT_EQ(ex[1].pv, "$hdr(X-Y)");
    EXPECT_TRUE(parseExtras("", ex, &error));
    EXPECT_TRUE(ex.empty());
}

TEST(AccExtra, RefusesWhatCannotBeAColumnOrAVariable) {
    std::vector<Extra> ex;
    std::string error;
    EXPECT_FALSE(parseExtras("src_user", ex, &error));
    EXPECT_NE(error.find("name=$pv"), std::string::npos) << error;
    EXPECT_FALSE(parseExtras("drop table=$fU", ex, &error)) << "a name becomes a column";
    EXPECT_FALSE(parseExtras("x=fU", ex, &error));
    EXPECT_FALSE(parseExtras("x=$nosuchvar", ex, &error));
}

}  // namespace
}  // namespace osprey::acc

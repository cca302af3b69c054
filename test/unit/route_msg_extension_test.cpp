// Module data on a message (route::MsgExtension): attached per extension, found again by it,
// handed to its release when the message is reset, and gone for the next message.
#include <gtest/gtest.h>

#include "core/route/msg_context.h"
#include "core/route/msg_extension.h"
#include "mem/pkg.h"

namespace osprey::route {
namespace {

const bool kPkg = mem::pkgReady() || mem::pkgInit(8u << 20);

int g_released = 0;
void* g_releasedData = nullptr;

void release(MsgContext&, void* data) {
    ++g_released;
    g_releasedData = data;
}

const MsgExtension kOne = {.onReply = nullptr, .release = &release};
const MsgExtension kTwo = {.onReply = nullptr, .release = nullptr};

TEST(MsgExtension, DataPerExtensionReleasedAtReset) {
    ASSERT_TRUE(kPkg);
    MsgContext mc;
    mc.start(net::RecvInfo{});
    int one = 1, two = 2;
    EXPECT_EQ(mc.extData<int>(kOne), nullptr);
    ASSERT_TRUE(mc.setExtData(kOne, &one));
    EXPECT_FALSE(mc.setExtData(kOne, &two)) << "one slot per extension";
    ASSERT_TRUE(mc.setExtData(kTwo, &two));
    EXPECT_EQ(mc.extData<int>(kOne), &one);
    EXPECT_EQ(mc.extData<int>(kTwo), &two);
    g_released = 0;
    mc.reset();
    EXPECT_EQ(g_released, 1) << "only extensions with a release are called";
    EXPECT_EQ(g_releasedData, &one);
    EXPECT_EQ(mc.extData<int>(kOne), nullptr) << "the next message starts without data";
    mc.reset();
    EXPECT_EQ(g_released, 1);
}

TEST(MsgExtension, InstalledListKeepsLoadOrder) {
    const MsgExtension* both[] = {&kTwo, &kOne};
    ASSERT_TRUE(installMsgExtensions(both));
    ASSERT_EQ(msgExtensions().size(), 2u);
    EXPECT_EQ(msgExtensions()[0], &kTwo);
    EXPECT_EQ(msgExtensions()[1], &kOne);
    const MsgExtension* many[kMaxMsgExtensions + 1] = {};
    EXPECT_FALSE(installMsgExtensions(many));
    ASSERT_TRUE(installMsgExtensions({}));
    EXPECT_TRUE(msgExtensions().empty());
}

}  // namespace
}  // namespace osprey::route

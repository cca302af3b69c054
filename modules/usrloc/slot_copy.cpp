// SlotCopy: a slot's bindings out of shm under its lock.
#include "modules/usrloc/slot_copy.h"

namespace osprey::usrloc {

SlotCopy::SlotCopy() {
    // About a slot of 100 AoRs with their longest usual texts; more grows once, then stays.
    bytes_.reserve(64 * 1024);
    bindings_.reserve(256);
}

void SlotCopy::clear() {
    bytes_.clear();
    bindings_.clear();
}

void SlotCopy::collect(void* user, std::string_view aor, const ContactData& c) {
    auto* self = static_cast<SlotCopy*>(user);
    Binding b;
    const std::array<std::string_view, kTexts> texts = {
        aor, c.uri, c.callId, c.path, c.received, c.userAgent, c.instance, c.socket};
    for (size_t i = 0; i < kTexts; ++i) {
        b.offset[i] = static_cast<uint32_t>(self->bytes_.size());
        b.length[i] = static_cast<uint32_t>(texts[i].size());
        self->bytes_.append(texts[i]);
    }
    b.numbers = c;
    b.numbers.uri = b.numbers.callId = b.numbers.path = {};
    b.numbers.received = b.numbers.userAgent = b.numbers.instance = b.numbers.socket = {};
    self->bindings_.push_back(b);
}

}  // namespace osprey::usrloc

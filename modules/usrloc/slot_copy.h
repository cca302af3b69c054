// One usrloc slot's bindings copied out while its lock is held, so that whatever is built from
// them (ul.dump's answer: a struct of 22 members per contact) is built after the lock is
// released. Under the lock a binding costs a few memcpy into one byte arena and one POD push;
// the arena and the list keep their capacity from slot to slot, so after the first slots they
// do not grow under the lock either.
//
//   SlotCopy copy;
//   copy.clear();
//   tableVisitSlot(t, slot, now, &SlotCopy::collect, &copy, &heldNs);
//   copy.forEach([&](std::string_view aor, const ContactData& c) { ... });
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "modules/usrloc/api.h"

namespace osprey::usrloc {

class SlotCopy {
public:
    SlotCopy();
    // Forgets the bindings, keeping the capacity.
    void clear();
    // tableVisitSlot's callback (user = this SlotCopy).
    static void collect(void* user, std::string_view aor, const ContactData& c);

    // The bindings in visiting order, their texts viewing this copy.
    template <class Fn>
    void forEach(Fn fn) const {
        for (const Binding& b : bindings_) {
            ContactData c = b.numbers;
            c.uri = text(b, kUri);
            c.callId = text(b, kCallId);
            c.path = text(b, kPath);
            c.received = text(b, kReceived);
            c.userAgent = text(b, kUserAgent);
            c.instance = text(b, kInstance);
            c.socket = text(b, kSocket);
            fn(text(b, kAor), static_cast<const ContactData&>(c));
        }
    }

private:
    enum Text : uint8_t {
        kAor,
        kUri,
        kCallId,
        kPath,
        kReceived,
        kUserAgent,
        kInstance,
        kSocket,
        kTexts
    };
    struct Binding {
        std::array<uint32_t, kTexts> offset;
        std::array<uint32_t, kTexts> length;
        ContactData numbers;  // its views left empty
    };
    std::string_view text(const Binding& b, Text t) const {
        return std::string_view(bytes_).substr(b.offset[t], b.length[t]);
    }

    std::string bytes_;
    std::vector<Binding> bindings_;
};

}  // namespace osprey::usrloc

// The extra destinations of a request (Kamailio's "destination set"): registrar lookup puts
// every contact but the best one here, tm forks one branch per entry in addition to the
// Request-URI. Texts live in the message's arena, so the set is only valid for the message it
// was built for and is cleared with it.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace osprey::route {

struct Branch {
    std::string_view uri;     // the branch's Request-URI
    std::string_view dstUri;  // where to send it instead of the URI's host (empty: the URI)
    std::string_view path;    // Path header values (RFC 3327) as Route, comma separated
    int q = -1;               // q in thousandths (0..1000), -1 = none given
    uint32_t bflags = 0;      // branch flags (KSR.setbiflag; a contact's saved flags on lookup)
};

// Kamailio's default max_branches (12); a fixed array keeps appending free of
// allocation and bounds what one request can fan out to.
inline constexpr size_t kMaxBranches = 12;

class BranchSet {
public:
    std::span<const Branch> all() const { return {items_.data(), count_}; }
    bool full() const { return count_ == kMaxBranches; }
    // The entry at i (0-based), nullptr past the end.
    Branch* at(size_t i) { return i < count_ ? &items_[i] : nullptr; }
    // Takes b as is (its texts must outlive the set); false when full.
    bool push(const Branch& b);
    void clear() { count_ = 0; }

private:
    std::array<Branch, kMaxBranches> items_{};
    size_t count_ = 0;
};

}  // namespace osprey::route

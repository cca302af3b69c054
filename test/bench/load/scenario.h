// The UAC scenarios and the requests they send. Each scenario is one transaction per
// request, except invite: INVITE, then on its 2xx an ACK and a BYE (a whole call).
//   options   OPTIONS sip:bench@<target>
//   message   MESSAGE sip:bench@<target> with a 16-byte text body
//   register  REGISTER of AOR user<k> (k cycles through 1..K) with Contact user<k>@<uas>
//   lookup    MESSAGE sip:user<k>@<target>: the router looks the AOR up and relays to the UAS
//   invite    INVITE sip:bench@<target>, ACK and BYE to the Contact of the 2xx
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "test/bench/load/sip_text.h"

namespace osprey::load {

enum class Scenario { Options, Message, Register, Lookup, Invite };

std::optional<Scenario> parseScenario(std::string_view name);
const char* scenarioName(Scenario s);

// Everything a request needs that does not change per request.
struct RequestContext {
    Scenario scenario = Scenario::Options;
    std::string local;       // our host:port in URI form (Via, Contact)
    std::string localHost;   // our host (From)
    std::string target;      // the router's host:port in URI form
    std::string targetHost;  // the router's host (AOR domain)
    std::string uas;         // host:port of the UAS, the Contact of registrations
    uint32_t runId = 0;      // tells this run's responses from a previous run's
    unsigned aors = 1000;    // K
};

// A Via branch naming its transaction: the magic cookie of RFC 3261 section 8.1.1.7, then
// run id, slot, generation and phase ('i' initial request, 'a' ACK of a 2xx, 'b' BYE).
struct BranchId {
    uint32_t slot = 0;
    uint32_t generation = 0;
    char phase = 'i';
};
// Writes the branch (NUL-terminated) to `out` of at least 64 bytes.
void formatBranch(char* out, uint32_t runId, const BranchId& id);
// The BranchId of the first branch parameter in a Via value, when it is one of this run's.
std::optional<BranchId> parseBranch(std::string_view viaValue, uint32_t runId);

// The first request of transaction `seq`; 0 when it does not fit in `cap`.
size_t writeInitialRequest(const RequestContext& ctx, uint64_t seq, const char* branch, char* out,
                           size_t cap);

// In-dialog requests of the invite scenario, built from the INVITE's final response:
// RFC 3261 section 13.2.2.4 (ACK of a 2xx: new transaction to the remote target, through the
// route set) and section 17.1.1.3 (ACK of a non-2xx: same branch and Request-URI as the INVITE).
size_t writeAck2xx(const RequestContext& ctx, const SplitMessage& response, const char* branch,
                   char* out, size_t cap);
size_t writeBye(const RequestContext& ctx, const SplitMessage& response, const char* branch,
                char* out, size_t cap);
size_t writeAckNon2xx(const RequestContext& ctx, const SplitMessage& response, const char* branch,
                      char* out, size_t cap);

}  // namespace osprey::load

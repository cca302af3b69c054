// The usrloc process's side of write-through replies (db_mode 1 over UDP): a SIP worker that
// saved a binding does not wait for the commit; it queues the 200 OK (and the 500 to send
// instead) behind its change in the change ring and goes on with its next message. After each
// commit the writer sends the replies of the batch it just wrote, from the listen socket the
// request came in on (the sockets are inherited from the master). So the answer still leaves
// only after the transaction holding the change, and one wake-up of the writer and one
// sendmmsg serve a whole batch instead of a sleep and a wake-up per REGISTER.
#pragma once
#include <cstddef>
#include <string_view>

#include "modules/usrloc/commit_wait.h"

namespace osprey::usrloc {

// Sends the Reply records found in `records` (ChangeRing::drain format): `ok` when
// commits says their target was committed, `failed` otherwise (logged, at most once a
// second). Returns how many were sent.
size_t sendReplies(std::string_view records, const CommitWait& commits, const char* dbPath);

}  // namespace osprey::usrloc

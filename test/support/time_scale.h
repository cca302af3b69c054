// How much longer the support library's waits for an expected event (osprey ready, a log
// line, a process exiting, a condition polled for) may take than on an idle machine: the
// waits end as soon as the event happens, so only a failing test waits longer. 1 in release
// builds, 3 under AddressSanitizer (osprey runs several times slower there);
// OSPREY_TEST_TIME_SCALE overrides it (a positive number, e.g. 2.5 on a loaded machine).
// Waits for a message (SipPeer::receiveMsg, ...) are not scaled: tests also use them to check
// that nothing arrives within a window shorter than a router timer.
#pragma once

namespace osprey::testsupport {

double timeScale();
// ms times timeScale(), at least ms.
int scaledMs(int ms);

}  // namespace osprey::testsupport

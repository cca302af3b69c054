// The API testmod_a offers other modules (the pattern real modules use in their api.h).
#pragma once

namespace osprey::testmod {

struct Api {
    int (*twice)(int);
};

}  // namespace osprey::testmod

// Comma-separated token lists: Require, Proxy-Require, Supported, Unsupported (RFC 3261
// §20.32, §20.29, §20.37, §20.40), Allow (§20.5, methods also as a mask), Allow-Events, and
// other lists of tokens with optional parameters (Accept-Encoding, Accept-Language, ...).
#pragma once
#include <cstdint>
#include <string_view>

#include "core/sip/method.h"

namespace osprey::sip {

struct SipMsg;
struct HeaderField;

struct TokenList {
    std::string_view* items = nullptr;  // the tokens, parameters stripped
    uint32_t count = 0;
    MethodMask methods = 0;  // Allow: the known methods listed
};

const TokenList* parseTokenList(SipMsg& msg, HeaderField& h);  // one header line (cached)

bool tokenListHas(const TokenList& l, std::string_view token);  // case-insensitive

}  // namespace osprey::sip

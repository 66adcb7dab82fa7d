#pragma once
// How the provider parses Vault's answers: in place, so that decoded strings stay in the answer's wiped
// buffer, and iteratively, so that an answer nested deeper than a thread's stack allows (an answer may have
// 32 MiB of '[') is a parse error instead of a crash of the host process.
#include <rapidjson/document.h>

namespace sdksign::vault {

/// Parses the NUL-terminated `text`, overwriting it.
inline void parse_answer_in_place(rapidjson::Document& document, char* text) {
    document.ParseInsitu<rapidjson::kParseIterativeFlag>(text);
}

} // namespace sdksign::vault

// libFuzzer target: the vault provider's reading of Vault's HTTP answers, from fuzzer-chosen status and
// body: a KV version 1 or 2 read (plugins/vault/kv_reader.cpp, interpret_kv_answer), an AppRole or
// Kubernetes login and a token renewal (plugins/vault/token_source.cpp, interpret_login_answer and
// parse_auth_block).
//
// The input is one letter choosing the answer (k: KV v2, v: KV v1, a: AppRole login, j: Kubernetes login,
// r: renewal; any other byte picks one by its value), three digits for the HTTP status (anything else: a
// status from those bytes), then the body. Each byte 0xFF of the body becomes a marker text, which the
// seeds put in the secret fields (data.data.secret, data.secret, auth.client_token) and the fuzzer can put
// anywhere with one byte. The properties:
// - never a crash or undefined behaviour;
// - a failure is a VaultError with one of the provider's statuses and a message that never contains the
//   marker, unless Vault's own error messages ("errors") or a deletion time, the two parts of an answer
//   that messages quote, contain it: a secret's value or a token never reaches a message;
// - a success comes from a 200 and holds exactly what an independent parse of the body finds: the key and
//   secret fields (KV), the lease, the token, its TTL and whether it is renewable (login, renewal).
// A violation aborts, which libFuzzer reports as a crash with the input.
#include "errors.hpp"
#include "fuzz_support.hpp"
#include "kv_reader.hpp"
#include "settings.hpp"
#include "token_source.hpp"
#include "vault_client.hpp"

#include <sdksign/provider.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace {

using sdksign::vault::Reply;
using sdksign::vault::VaultError;

constexpr std::string_view marker = "plantedSECRETk4Wv";
constexpr char marker_byte = '\xFF';

using sdksign::fuzz::violated;

enum class Answer { kv2, kv1, approle_login, kubernetes_login, renewal };

Answer answer_for(char letter) {
    switch (letter) {
    case 'k':
        return Answer::kv2;
    case 'v':
        return Answer::kv1;
    case 'a':
        return Answer::approle_login;
    case 'j':
        return Answer::kubernetes_login;
    case 'r':
        return Answer::renewal;
    default:
        return static_cast<Answer>(static_cast<unsigned char>(letter) % 5);
    }
}

long status_from(std::string_view digits) {
    if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::stol(std::string(digits));
    }
    long sum = 0;
    for (const char c : digits) {
        sum += static_cast<unsigned char>(c);
    }
    return 100 + sum % 500;
}

bool has(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

/// The body parsed apart from the provider (not in place, iteratively).
struct ParsedBody {
    rapidjson::Document document;

    explicit ParsedBody(std::string_view body) {
        document.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
    }

    /// The member at `path` (object members from the root); null when there is none, or the body is not a
    /// JSON object.
    [[nodiscard]] const rapidjson::Value* at(std::initializer_list<const char*> path) const {
        if (document.HasParseError()) {
            return nullptr;
        }
        const rapidjson::Value* value = &document;
        for (const char* name : path) {
            if (!value->IsObject()) {
                return nullptr;
            }
            const auto found = value->FindMember(name);
            if (found == value->MemberEnd()) {
                return nullptr;
            }
            value = &found->value;
        }
        return value;
    }

    [[nodiscard]] std::string_view text_at(std::initializer_list<const char*> path) const {
        const auto* value = at(path);
        return value != nullptr && value->IsString()
            ? std::string_view(value->GetString(), value->GetStringLength())
            : std::string_view();
    }
};

/// A failure: a known status, something said, and the marker only where the message may quote the body.
void check_failure(const VaultError& error, std::string_view body, const ParsedBody& parsed) {
    const int status = error.status();
    if (status != SDKSIGN_E_CONFIG && status != SDKSIGN_E_NOT_FOUND && status != SDKSIGN_E_DENIED &&
        status != SDKSIGN_E_UNAVAILABLE && status != SDKSIGN_E_INVALID) {
        violated("a failure with a status the provider does not use");
    }
    const std::string_view message = error.what();
    if (message.empty()) {
        violated("a failure without a message");
    }
    if (has(message, marker) && !has(sdksign::vault::error_text(body), marker) &&
        !has(parsed.text_at({"data", "metadata", "deletion_time"}), marker)) {
        violated("a failure message quotes a secret value");
    }
}

void check_kv(int version, long status, std::string_view body) {
    sdksign::vault::Settings settings;
    settings.kv_version = version;
    const ParsedBody parsed(body);
    Reply reply{status, sdksign::vault::WipedBuffer(body)};
    const sdksign::vault::KvAnswerContext context{settings, "https://vault.example:8200",
                                                  "the token from /run/vault/token"};
    sdksign::vault::SecretPair pair;
    try {
        pair = sdksign::vault::interpret_kv_answer(context, settings.path, reply);
    } catch (const VaultError& error) {
        check_failure(error, body, parsed);
        return;
    }
    if (status != 200) {
        violated("a secret taken from an answer other than 200");
    }
    const auto* wrap = parsed.at({"wrap_info"});
    if (wrap != nullptr && !wrap->IsNull()) {
        violated("a secret taken from a response-wrapped answer");
    }
    const rapidjson::Value* object = version == 2 ? parsed.at({"data", "data"}) : parsed.at({"data"});
    const auto field = [&](const std::string& name) {
        if (object == nullptr || !object->IsObject()) {
            violated("a secret taken from an answer without key/value data");
        }
        const auto found = object->FindMember(name.c_str());
        if (found == object->MemberEnd() || !found->value.IsString()) {
            violated("a secret field taken that the answer does not hold as a string");
        }
        return std::string_view(found->value.GetString(), found->value.GetStringLength());
    };
    const std::string_view key = field(settings.key_field);
    const std::string_view secret = field(settings.secret_field);
    if (key.empty() || secret.empty() || pair.key.view() != key || pair.secret.view() != secret) {
        violated("the key or secret taken is not what the answer holds");
    }
    const auto* lease = parsed.at({"lease_duration"});
    const bool leased = lease != nullptr && lease->IsInt64() && lease->GetInt64() > 0;
    if (pair.lease.has_value() != leased || (leased && pair.lease->count() != lease->GetInt64())) {
        violated("the lease taken is not the answer's lease_duration");
    }
}

void check_login(Answer answer, long status, std::string_view body) {
    const ParsedBody parsed(body);
    Reply reply{status, sdksign::vault::WipedBuffer(body)};
    sdksign::vault::GrantedToken granted;
    try {
        if (answer == Answer::renewal) {
            if (status != 200) {
                return; // the provider reads a renewal's body only on 200; other answers lead to a login
            }
            granted = sdksign::vault::parse_auth_block(reply.body.view());
        } else {
            const std::string_view method = answer == Answer::approle_login ? "AppRole" : "Kubernetes";
            granted = sdksign::vault::interpret_login_answer(method, "approle", reply);
        }
    } catch (const VaultError& error) {
        check_failure(error, body, parsed);
        return;
    }
    if (status != 200) {
        violated("a token taken from an answer other than 200");
    }
    const auto* token = parsed.at({"auth", "client_token"});
    const auto* lease = parsed.at({"auth", "lease_duration"});
    const auto* renewable = parsed.at({"auth", "renewable"});
    if (token == nullptr || !token->IsString() || lease == nullptr || !lease->IsInt64()) {
        violated("a token taken from an answer without an auth block");
    }
    if (granted.token.view() != std::string_view(token->GetString(), token->GetStringLength())) {
        violated("the token taken is not the answer's client_token");
    }
    if (granted.lease.count() != std::max<std::int64_t>(0, lease->GetInt64())) {
        violated("the TTL taken is not the answer's lease_duration");
    }
    if (granted.renewable != (renewable != nullptr && renewable->IsBool() && renewable->GetBool())) {
        violated("renewable taken differently from the answer");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (input.size() < 4) {
        return 0;
    }
    const Answer answer = answer_for(input[0]);
    const long status = status_from(input.substr(1, 3));
    std::string body;
    body.reserve(input.size());
    for (const char c : input.substr(4)) {
        if (c == marker_byte) {
            body += marker;
        } else {
            body += c;
        }
    }
    switch (answer) {
    case Answer::kv2:
        check_kv(2, status, body);
        break;
    case Answer::kv1:
        check_kv(1, status, body);
        break;
    case Answer::approle_login:
    case Answer::kubernetes_login:
    case Answer::renewal:
        check_login(answer, status, body);
        break;
    }
    return 0;
}

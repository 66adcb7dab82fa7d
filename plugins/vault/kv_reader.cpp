#include "kv_reader.hpp"

#include "errors.hpp"
#include "json_answer.hpp"

#include <rapidjson/document.h>

namespace sdksign::vault {

namespace {

bool contains(std::string_view text, std::string_view words) {
    return text.find(words) != std::string_view::npos;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
    if (!object.IsObject()) {
        return nullptr;
    }
    const auto found = object.FindMember(name);
    return found == object.MemberEnd() ? nullptr : &found->value;
}

bool is_invalid_token(const Reply& reply) {
    return reply.status == 403 && contains(reply.body.view(), "invalid token");
}

std::string api_path(const Settings& settings, const std::string& path) {
    return settings.kv_version == 2 ? settings.mount + "/data/" + path : settings.mount + "/" + path;
}

SecretPair interpret(const Settings& settings, const std::string& path, Reply& reply) {
    const std::string where = api_path(settings, path);
    rapidjson::Document document;
    // In place: the parsed strings point into the reply's wiped buffer instead of being copied.
    parse_answer_in_place(document, reply.body.c_str());
    if (document.HasParseError() || !document.IsObject()) {
        throw VaultError(SDKSIGN_E_UNAVAILABLE, "Vault's answer for " + where + " is not a JSON object");
    }
    if (const auto* wrap = member(document, "wrap_info"); wrap != nullptr && !wrap->IsNull()) {
        throw VaultError(SDKSIGN_E_INVALID,
                         "Vault answered " + where +
                             " with a response-wrapped secret, "
                             "which was not asked for");
    }
    const rapidjson::Value* data = member(document, "data");
    if (settings.kv_version == 2 && data != nullptr) {
        data = member(*data, "data");
    }
    if (data == nullptr || !data->IsObject()) {
        throw VaultError(SDKSIGN_E_NOT_FOUND,
                         "secret " + where + " holds no key/value data" +
                             (settings.kv_version == 1 ? " (is it a KV v2 mount?)" : ""));
    }
    SecretPair pair;
    const auto field = [&](const std::string& name, WipedBuffer& target) {
        const rapidjson::Value* value = member(*data, name.c_str());
        if (value == nullptr) {
            throw VaultError(SDKSIGN_E_NOT_FOUND, "secret " + where + " has no field '" + name + "'");
        }
        if (!value->IsString()) {
            throw VaultError(SDKSIGN_E_INVALID,
                             "field '" + name + "' of secret " + where + " is not a string");
        }
        const std::string_view text(value->GetString(), value->GetStringLength());
        if (plugin::is_blank(text)) {
            throw VaultError(SDKSIGN_E_INVALID,
                             "field '" + name + "' of secret " + where + " " +
                                 std::string(plugin::blank_reason(text)));
        }
        target.append(value->GetString(), value->GetStringLength());
    };
    field(settings.key_field, pair.key);
    field(settings.secret_field, pair.secret);
    if (const auto* lease = member(document, "lease_duration");
        lease != nullptr && lease->IsInt64() && lease->GetInt64() > 0) {
        pair.lease = std::chrono::seconds(lease->GetInt64());
    }
    return pair;
}

[[noreturn]] void fail(const KvAnswerContext& context, const std::string& path, const Reply& reply) {
    const Settings& settings = context.settings;
    const std::string where = api_path(settings, path);
    const std::string detail = error_text(reply.body.view());
    const std::string answered =
        "HTTP " + std::to_string(reply.status) + (detail.empty() ? "" : ": " + detail);
    switch (reply.status) {
    case 404: {
        // Vault's router found no engine for the path (with a token its policy lets through).
        if (contains(detail, "no handler for route")) {
            throw VaultError(SDKSIGN_E_CONFIG,
                             "no such mount (is the secrets engine mounted at " + settings.mount +
                                 "?): Vault has no route for " + where);
        }
        WipedBuffer copy(reply.body.view());
        rapidjson::Document document;
        parse_answer_in_place(document, copy.c_str());
        if (!document.HasParseError() && document.IsObject() && member(document, "errors") == nullptr) {
            if (const auto* warnings = member(document, "warnings");
                warnings != nullptr && warnings->IsArray()) {
                for (const auto& warning : warnings->GetArray()) {
                    if (warning.IsString() &&
                        contains(warning.GetString(), "Invalid path for a versioned K/V")) {
                        throw VaultError(SDKSIGN_E_CONFIG,
                                         "mount " + settings.mount +
                                             " is a KV version 2 engine but was read "
                                             "as version 1 (" +
                                             where + "): set kv-version = 2");
                    }
                }
            }
            const rapidjson::Value* metadata = nullptr;
            if (const auto* data = member(document, "data"); data != nullptr) {
                metadata = member(*data, "metadata");
            }
            if (metadata != nullptr && metadata->IsObject()) {
                const auto* version = member(*metadata, "version");
                const std::string which = version != nullptr && version->IsInt64()
                    ? "version " + std::to_string(version->GetInt64()) + " of secret " + where
                    : "secret " + where;
                const auto* destroyed = member(*metadata, "destroyed");
                if (destroyed != nullptr && destroyed->IsBool() && destroyed->GetBool()) {
                    throw VaultError(SDKSIGN_E_NOT_FOUND, which + " is destroyed; write a new version");
                }
                const auto* deleted = member(*metadata, "deletion_time");
                const std::string when =
                    deleted != nullptr && deleted->IsString() ? deleted->GetString() : "";
                throw VaultError(SDKSIGN_E_NOT_FOUND,
                                 which + " is deleted" + (when.empty() ? "" : " (since " + when + ")") +
                                     "; undelete it or write a new version");
            }
        }
        throw VaultError(SDKSIGN_E_NOT_FOUND,
                         "no secret at " + where +
                             (settings.kv_version == 2 ? " (if " + settings.mount +
                                      " is a KV version 1 engine, set kv-version = 1)"
                                                       : ""));
    }
    case 403:
        if (is_invalid_token(reply)) {
            throw VaultError(SDKSIGN_E_DENIED,
                             "Vault refused " + std::string(context.token_origin) +
                                 " as invalid (expired, revoked or mistyped)");
        }
        throw VaultError(SDKSIGN_E_DENIED,
                         "permission denied reading " + where +
                             ": the token's policy must "
                             "allow \"read\" on the path \"" +
                             where + "\"" +
                             (settings.kv_version == 2 ? " (KV v2 policies name <mount>/data/<path>)" : ""));
    case 503:
        if (contains(reply.body.view(), "sealed")) {
            throw VaultError(SDKSIGN_E_UNAVAILABLE,
                             "Vault at " + std::string(context.address) + " is sealed");
        }
        break;
    case 429:
        throw VaultError(SDKSIGN_E_UNAVAILABLE,
                         "Vault at " + std::string(context.address) + " is rate limiting (" + answered + ")");
    default:
        break;
    }
    throw VaultError(SDKSIGN_E_UNAVAILABLE, "Vault answered " + answered + " reading " + where);
}

} // namespace

SecretPair interpret_kv_answer(const KvAnswerContext& context, const std::string& path, Reply& reply) {
    if (reply.status != 200) {
        fail(context, path, reply);
    }
    return interpret(context.settings, path, reply);
}

KvReader::KvReader(const Settings& settings, VaultClient& client, TokenSource& tokens)
    : settings_(settings), client_(client), tokens_(tokens) { }

SecretPair KvReader::read(const std::string& path, Clock::time_point deadline) {
    const std::string route = api_path(settings_, path);
    Reply reply = client_.call("GET", route, tokens_.current(deadline), {}, deadline);
    // The agent may have just rotated the token file, or a login token may have been revoked: one more try
    // with a fresh token before reporting it.
    if (is_invalid_token(reply) && tokens_.replace_invalid(deadline)) {
        reply = client_.call("GET", route, tokens_.current(deadline), {}, deadline);
    }
    if (reply.status == 403 && tokens_.current(deadline).empty()) {
        throw VaultError(SDKSIGN_E_DENIED,
                         "Vault at " + client_.address() +
                             " refused a request without a token: set the option 'token' or "
                             "'token-file', or VAULT_TOKEN (only Vault Agent adds its own)");
    }
    const std::string origin = tokens_.origin();
    return interpret_kv_answer({settings_, client_.address(), origin}, path, reply);
}

} // namespace sdksign::vault

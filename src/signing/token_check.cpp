#include "signing/token_check.hpp"

#include "signing/base64url.hpp"

#include <botan/mac.h>
#include <botan/mem_ops.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <optional>

namespace sdksign::signing {

namespace {

// The SDKs' bounds on a token's lifetime (exp - iat), in seconds.
constexpr std::int64_t shortest_lifetime = 1800;
constexpr std::int64_t longest_lifetime = 172800;

struct Segments {
    std::string_view signing_input;
    std::string header;
    std::string payload;
    std::string signature;
};

Segments split_token(std::string_view token) {
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        throw MalformedToken("not a JWT: a token is three base64url segments separated by '.'");
    }
    const auto decode = [](std::string_view text, std::string_view what) {
        auto bytes = decode_base64url(text);
        if (!bytes) {
            throw MalformedToken("the " + std::string(what) +
                                 " segment is not base64url (A-Z a-z 0-9 - _, no padding)");
        }
        return std::move(*bytes);
    };
    Segments segments;
    segments.signing_input = token.substr(0, second);
    segments.header = decode(token.substr(0, first), "header");
    segments.payload = decode(token.substr(first + 1, second - first - 1), "payload");
    segments.signature = decode(token.substr(second + 1), "signature");
    return segments;
}

rapidjson::Document parse_object(const std::string& text, std::string_view what) {
    rapidjson::Document document;
    document.Parse(text.data(), text.size());
    if (document.HasParseError() || !document.IsObject()) {
        throw MalformedToken("the " + std::string(what) + " segment is not a JSON object");
    }
    return document;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
    const auto found = object.FindMember(name);
    return found == object.MemberEnd() ? nullptr : &found->value;
}

std::string json_type_name(const rapidjson::Value& value) {
    if (value.IsString()) {
        return "a string";
    }
    if (value.IsNumber()) {
        return "a non-integer number";
    }
    if (value.IsBool()) {
        return "a boolean";
    }
    if (value.IsNull()) {
        return "null";
    }
    return value.IsArray() ? "an array" : "an object";
}

TokenKind kind_of(const rapidjson::Value& claims) {
    const auto has = [&](const char* name) { return member(claims, name) != nullptr; };
    if (has("appKey") || has("sdkKey") || has("mn") || has("tokenExp")) {
        return TokenKind::meeting;
    }
    if (has("app_key") || has("tpc") || has("role_type")) {
        return TokenKind::video;
    }
    // Zoom's retired JWT apps signed {"iss": API key, "exp": ...}; the SDKs reject such a token.
    if (has("iss")) {
        return TokenKind::jwt_app;
    }
    return has("role") ? TokenKind::meeting : TokenKind::unknown;
}

class Checker {
public:
    explicit Checker(TokenCheck& result) : result_(result) { }

    void pass(std::string rule, std::string detail) {
        add(std::move(rule), Outcome::pass, std::move(detail));
    }
    void fail(std::string rule, std::string detail) {
        add(std::move(rule), Outcome::fail, std::move(detail));
    }
    void skip(std::string rule, std::string detail) {
        add(std::move(rule), Outcome::skipped, std::move(detail));
    }

private:
    void add(std::string rule, Outcome outcome, std::string detail) {
        result_.rules.push_back({std::move(rule), outcome, std::move(detail)});
    }
    TokenCheck& result_;
};

bool signed_with(const credentials::CredentialPtr& credential, std::string_view signing_input,
                 const std::string& signature) {
    if (!credential) {
        return false;
    }
    const auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    mac->set_key(credential->secret);
    mac->update(reinterpret_cast<const std::uint8_t*>(signing_input.data()), signing_input.size());
    std::array<std::uint8_t, 32> expected{};
    mac->final(expected.data());
    // Constant time: how much of a forged signature matched is nobody's business.
    return signature.size() == expected.size() &&
        Botan::constant_time_compare(expected.data(), reinterpret_cast<const std::uint8_t*>(signature.data()),
                                     expected.size());
}

/// An integer claim, or a failed rule naming the wrong type.
std::optional<std::int64_t> integer_claim(Checker& checker, const rapidjson::Value& claims,
                                          const char* name) {
    const auto* value = member(claims, name);
    if (value == nullptr) {
        checker.fail(name, std::string(name) + " is missing");
        return std::nullopt;
    }
    if (!value->IsInt64()) {
        checker.fail(name,
                     std::string(name) + " is " + json_type_name(*value) +
                         "; the SDKs need a JSON integer (a string iat is a common cause of error 3712)");
        return std::nullopt;
    }
    return value->GetInt64();
}

void check_header(Checker& checker, const rapidjson::Value& header) {
    const auto* alg = member(header, "alg");
    if (alg != nullptr && alg->IsString() && std::string_view(alg->GetString()) == "HS256") {
        checker.pass("header", "alg HS256");
    } else {
        checker.fail("header", "alg is not \"HS256\"; Zoom SDK signatures are HMAC-SHA256");
    }
}

void check_signature(Checker& checker, TokenKind kind, const Segments& segments,
                     const CheckCredentials& credentials) {
    const bool meeting = kind == TokenKind::meeting;
    const auto& own = meeting ? credentials.meeting : credentials.video;
    const auto& other = meeting ? credentials.video : credentials.meeting;
    const std::string own_name = meeting ? "Meeting SDK" : "Video SDK";
    const std::string other_name = meeting ? "Video SDK" : "Meeting SDK";
    if (!own) {
        checker.fail("credential",
                     "no " + own_name + " credential is configured, so this " + own_name +
                         " token cannot be checked; configure the provider's " +
                         (meeting ? "meeting" : "video") + " credential");
        checker.skip("signature", "not checked: no " + own_name + " credential");
        return;
    }
    checker.pass("credential", "the configured " + own_name + " credential, key " + own->key);
    if (signed_with(own, segments.signing_input, segments.signature)) {
        checker.pass("signature", "HMAC-SHA256 with the configured " + own_name + " secret");
    } else if (signed_with(other, segments.signing_input, segments.signature)) {
        checker.fail("signature",
                     "made with the " + other_name + " secret: a " + other_name +
                         " credential was used to sign a " + own_name + " token");
    } else {
        checker.fail("signature",
                     "made with another secret than the configured " + own_name +
                         " one (another app's, a JWT or OAuth app's, an old secret), or the token "
                         "was changed after signing");
    }
}

void check_key_claim(Checker& checker, const rapidjson::Value& claims, const char* name, TokenKind kind,
                     const CheckCredentials& credentials) {
    const bool meeting = kind == TokenKind::meeting;
    const auto& own = meeting ? credentials.meeting : credentials.video;
    const auto& other = meeting ? credentials.video : credentials.meeting;
    const auto* value = member(claims, name);
    if (value == nullptr) {
        checker.fail(name,
                     std::string(name) + " is missing" +
                         (meeting ? "; Web SDK 4.x and the native SDKs require both appKey and sdkKey" : ""));
        return;
    }
    if (!value->IsString()) {
        checker.fail(
            name, std::string(name) + " is " + json_type_name(*value) + "; it must be the SDK key, a string");
        return;
    }
    const std::string_view key(value->GetString(), value->GetStringLength());
    if (!own) {
        checker.skip(name, "not compared: no configured credential");
    } else if (key == own->key) {
        checker.pass(name, "the configured key");
    } else if (other && key == other->key) {
        checker.fail(name,
                     std::string(name) + " is the " + (meeting ? "Video SDK" : "Meeting SDK") + " key: a " +
                         (meeting ? "Video SDK key used for a Meeting" : "Meeting SDK key used for a Video") +
                         " token");
    } else {
        checker.fail(name,
                     std::string(name) + " is not the configured key (" + own->key +
                         "): the token was made for another app");
    }
}

void check_times(Checker& checker, const rapidjson::Value& claims, std::int64_t now) {
    const auto iat = integer_claim(checker, claims, "iat");
    if (iat) {
        if (*iat > now) {
            checker.fail("iat",
                         "iat is " + std::to_string(*iat - now) +
                             " s in the future: the clock of the signing server (or of this machine) is "
                             "ahead; sync it with NTP, or sign with --iat-backdate");
        } else {
            checker.pass("iat", "issued " + std::to_string(now - *iat) + " s ago");
        }
    }
    const auto exp = integer_claim(checker, claims, "exp");
    if (exp) {
        if (*exp <= now) {
            checker.fail("exp", "expired " + std::to_string(now - *exp) + " s ago; sign a new token");
        } else {
            checker.pass("exp", "expires in " + std::to_string(*exp - now) + " s");
        }
    }
    if (iat && exp) {
        const std::int64_t lifetime = *exp - *iat;
        const std::string text = "exp - iat is " + std::to_string(lifetime) + " s";
        if (lifetime < shortest_lifetime || lifetime > longest_lifetime) {
            checker.fail("lifetime", text + ", outside 1800..172800");
        } else {
            checker.pass("lifetime", text);
        }
    }
}

void check_zero_or_one(Checker& checker, const rapidjson::Value& claims, const char* name) {
    const auto* value = member(claims, name);
    if (value != nullptr && value->IsInt64() && (value->GetInt64() == 0 || value->GetInt64() == 1)) {
        checker.pass(name, value->GetInt64() == 1 ? "1 (host)" : "0 (participant)");
    } else {
        checker.fail(name,
                     value == nullptr ? std::string(name) + " is missing"
                                      : std::string(name) + " is not the integer 0 or 1");
    }
}

void check_meeting_claims(Checker& checker, const rapidjson::Value& claims) {
    const auto* exp = member(claims, "exp");
    const auto* token_exp = member(claims, "tokenExp");
    if (token_exp == nullptr) {
        checker.fail("tokenExp", "tokenExp is missing; the SDKs need it equal to exp");
    } else if (!token_exp->IsInt64()) {
        checker.fail("tokenExp", "tokenExp is " + json_type_name(*token_exp) + "; it must be an integer");
    } else if (exp == nullptr || !exp->IsInt64() || exp->GetInt64() != token_exp->GetInt64()) {
        checker.fail("tokenExp", "tokenExp differs from exp; they must be equal");
    } else {
        checker.pass("tokenExp", "equal to exp");
    }
    const auto* mn = member(claims, "mn");
    const auto* role = member(claims, "role");
    if (mn == nullptr && role == nullptr) {
        checker.pass("mn", "absent (a native SDK token)");
        checker.pass("role", "absent (a native SDK token)");
        return;
    }
    const auto digits = [](std::string_view text) {
        return !text.empty() &&
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (mn == nullptr) {
        checker.fail("mn", "mn is missing while role is present; a web token has both");
    } else if ((mn->IsString() && digits({mn->GetString(), mn->GetStringLength()})) ||
               (mn->IsInt64() && mn->GetInt64() >= 0)) {
        checker.pass("mn", "a meeting number");
    } else {
        checker.fail("mn", "mn is not a meeting number (digits only, as a string or an integer)");
    }
    check_zero_or_one(checker, claims, "role");
}

void check_video_claims(Checker& checker, const rapidjson::Value& claims) {
    check_zero_or_one(checker, claims, "role_type");
    const auto* tpc = member(claims, "tpc");
    if (tpc != nullptr && tpc->IsString() && tpc->GetStringLength() > 0) {
        checker.pass("tpc", "a session name");
    } else {
        checker.fail("tpc", "tpc (the session name) is missing, empty or not a string");
    }
}

} // namespace

bool TokenCheck::valid() const noexcept {
    return std::all_of(rules.begin(), rules.end(),
                       [](const RuleResult& r) { return r.outcome == Outcome::pass; });
}

TokenCheck check_token(std::string_view token, const CheckCredentials& credentials, std::int64_t now) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!token.empty() && blank(token.front())) {
        token.remove_prefix(1);
    }
    while (!token.empty() && blank(token.back())) {
        token.remove_suffix(1);
    }
    const Segments segments = split_token(token);
    const auto header = parse_object(segments.header, "header");
    const auto claims = parse_object(segments.payload, "payload");

    TokenCheck result;
    Checker checker(result);
    result.kind = kind_of(claims);
    check_header(checker, header);
    switch (result.kind) {
    case TokenKind::jwt_app:
        checker.fail("kind",
                     "an old JWT-app token (iss and exp, no appKey/sdkKey): Zoom retired JWT apps; sign "
                     "with the Meeting SDK app's Client ID and Client Secret");
        return result;
    case TokenKind::unknown:
        checker.fail("kind",
                     "neither Meeting SDK claims (appKey, sdkKey, mn, tokenExp) nor Video SDK claims "
                     "(app_key, tpc, role_type)");
        return result;
    case TokenKind::meeting:
        checker.pass("kind", "Meeting SDK claims");
        break;
    case TokenKind::video:
        checker.pass("kind", "Video SDK claims");
        break;
    }
    check_signature(checker, result.kind, segments, credentials);
    if (result.kind == TokenKind::meeting) {
        check_key_claim(checker, claims, "appKey", result.kind, credentials);
        check_key_claim(checker, claims, "sdkKey", result.kind, credentials);
    } else {
        check_key_claim(checker, claims, "app_key", result.kind, credentials);
    }
    check_times(checker, claims, now);
    if (result.kind == TokenKind::meeting) {
        check_meeting_claims(checker, claims);
    } else {
        check_video_claims(checker, claims);
    }
    return result;
}

std::string_view kind_name(TokenKind kind) noexcept {
    switch (kind) {
    case TokenKind::meeting:
        return "meeting";
    case TokenKind::video:
        return "video";
    case TokenKind::jwt_app:
        return "jwt-app";
    case TokenKind::unknown:
        break;
    }
    return "unknown";
}

std::string_view outcome_name(Outcome outcome) noexcept {
    switch (outcome) {
    case Outcome::pass:
        return "pass";
    case Outcome::fail:
        return "fail";
    case Outcome::skipped:
        break;
    }
    return "skipped";
}

} // namespace sdksign::signing

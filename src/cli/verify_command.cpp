#include "cli/verify_command.hpp"

#include "json/json_text.hpp"

#include <string>

namespace sdksign::cli {

namespace {

void print_text(const signing::TokenCheck& check, std::ostream& out) {
    for (const auto& rule : check.rules) {
        out << signing::outcome_name(rule.outcome) << " " << rule.rule << ": " << rule.detail << "\n";
    }
    out << (check.valid() ? "valid: the SDKs accept this token now"
                          : "invalid: the SDKs reject this token (see the lines above)")
        << "\n";
}

void print_json(const signing::TokenCheck& check, std::ostream& out) {
    std::string text = "{\"valid\":";
    text += check.valid() ? "true" : "false";
    text += ",\"kind\":";
    json::append_json_string(text, signing::kind_name(check.kind));
    text += ",\"rules\":[";
    bool first = true;
    for (const auto& rule : check.rules) {
        text += first ? "{\"rule\":" : ",{\"rule\":";
        first = false;
        json::append_json_string(text, rule.rule);
        text += ",\"result\":";
        json::append_json_string(text, signing::outcome_name(rule.outcome));
        text += ",\"detail\":";
        json::append_json_string(text, rule.detail);
        text += "}";
    }
    text += "]}\n";
    out << text;
}

} // namespace

int run_verify(std::string_view token, const signing::CheckCredentials& credentials, std::int64_t now,
               VerifyFormat format, std::ostream& out, std::ostream& err) {
    signing::TokenCheck check;
    try {
        check = signing::check_token(token, credentials, now);
    } catch (const signing::MalformedToken& e) {
        err << "sdksign verify: " << e.what() << "\n";
        return verify_usage_error;
    }
    if (format == VerifyFormat::json) {
        print_json(check, out);
    } else {
        print_text(check, out);
    }
    return check.valid() ? verify_valid : verify_invalid;
}

} // namespace sdksign::cli

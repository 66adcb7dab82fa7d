#include "token_source.hpp"

#include "errors.hpp"
#include "host_log.hpp"
#include "json/json_text.hpp"
#include "json_answer.hpp"

#include <rapidjson/document.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

namespace sdksign::vault {

using plugin::FileContents;
using plugin::PermissionPolicy;
using plugin::read_secret_file;
using plugin::ReadableFileWarnings;

namespace {

bool body_says(const Reply& reply, std::string_view words) {
    return reply.body.view().find(words) != std::string_view::npos;
}

bool file_missing(const std::string& path) {
    struct stat info { };
    return ::stat(path.c_str(), &info) != 0 && errno == ENOENT;
}

} // namespace

WipedBuffer read_login_file(const std::string& path, std::string_view description, PermissionPolicy policy,
                            ReadableFileWarnings& warnings, struct stat* info) {
    FileContents contents;
    try {
        contents = read_secret_file({path, description, policy, false});
    } catch (const VaultError& e) {
        // Vault Agent replaces its files by rename, so a missing one is a moment between two versions.
        if (e.status() == SDKSIGN_E_NOT_FOUND) {
            throw VaultError(SDKSIGN_E_UNAVAILABLE, e.what());
        }
        throw;
    }
    warnings.note(path, contents);
    WipedBuffer result(trimmed(contents.bytes.view()));
    if (result.empty()) {
        throw VaultError(SDKSIGN_E_INVALID, std::string(description) + " " + path + " is empty");
    }
    if (info != nullptr) {
        *info = contents.info;
    }
    return result;
}

GrantedToken parse_auth_block(std::string_view body) {
    WipedBuffer copy(body);
    rapidjson::Document document;
    parse_answer_in_place(document, copy.c_str());
    const auto invalid = [] {
        return VaultError(SDKSIGN_E_UNAVAILABLE, "Vault's login or renewal answer has no auth block");
    };
    if (document.HasParseError() || !document.IsObject()) {
        throw invalid();
    }
    // Through a const view, so both sides of the comparison are the same iterator type (C++20 rewritten
    // comparisons make RapidJSON's mixed ones ambiguous).
    const rapidjson::Value& root = std::as_const(document);
    const auto auth = root.FindMember("auth");
    if (auth == root.MemberEnd() || !auth->value.IsObject()) {
        throw invalid();
    }
    const auto& block = auth->value;
    const auto token = block.FindMember("client_token");
    const auto lease = block.FindMember("lease_duration");
    const auto renewable = block.FindMember("renewable");
    if (token == block.MemberEnd() || !token->value.IsString() || lease == block.MemberEnd() ||
        !lease->value.IsInt64()) {
        throw invalid();
    }
    GrantedToken granted;
    granted.token = WipedBuffer(std::string_view(token->value.GetString(), token->value.GetStringLength()));
    granted.lease = std::chrono::seconds(std::max<std::int64_t>(0, lease->value.GetInt64()));
    granted.renewable =
        renewable != block.MemberEnd() && renewable->value.IsBool() && renewable->value.GetBool();
    return granted;
}

GrantedToken interpret_login_answer(std::string_view method, const std::string& mount, const Reply& reply) {
    if (reply.status == 200) {
        return parse_auth_block(reply.body.view());
    }
    const std::string what(method);
    const std::string detail = error_text(reply.body.view());
    const std::string message = what + " login at auth/" + mount + " failed (HTTP " +
        std::to_string(reply.status) + (detail.empty() ? std::string() : ": " + detail) + ")";
    const std::string no_mount = "no such mount (is the auth method mounted at " + mount + "?)";
    // Vault routes an unauthenticated request to a path no auth method claims like any request without a
    // token: 403 "permission denied", or 404 "no handler for route" from some versions. AppRole itself
    // refuses wrong ids with 400, so its 403 can only mean the mount; a Kubernetes login also answers 403
    // when it refuses the service account token.
    if (reply.status == 404 || (reply.status == 403 && method == "AppRole")) {
        throw VaultError(SDKSIGN_E_CONFIG, message + ": " + no_mount);
    }
    if (reply.status == 403) {
        throw VaultError(SDKSIGN_E_DENIED,
                         message + ": the service account token was refused, or there is " + no_mount);
    }
    if (reply.status == 400) {
        throw VaultError(SDKSIGN_E_DENIED, message);
    }
    throw VaultError(SDKSIGN_E_UNAVAILABLE,
                     body_says(reply, "sealed") ? what + " login failed: Vault is sealed" : message);
}

TokenSource::TokenSource(const Settings& settings, VaultClient& client)
    : settings_(settings), client_(client) {
    if (settings_.auth == AuthMethod::token && settings_.token_file.empty()) {
        token_.append(settings_.token);
    }
}

std::string TokenSource::origin() const {
    switch (settings_.auth) {
    case AuthMethod::token:
        return settings_.token_file.empty() ? std::string("the configured token")
                                            : "the token from " + settings_.token_file;
    case AuthMethod::approle:
        return "the token from the AppRole login at auth/" + settings_.approle_mount;
    case AuthMethod::kubernetes:
        return "the token from the Kubernetes login at auth/" + settings_.kubernetes_mount;
    }
    return "the token";
}

std::string_view TokenSource::current(Clock::time_point deadline) {
    if (settings_.auth == AuthMethod::token) {
        if (!settings_.token_file.empty()) {
            // A missing file is fine while an earlier token is known: the agent replaces it by rename.
            try {
                reload_file(false);
            } catch (const VaultError&) {
                if (!token_.empty()) {
                    return token_.view();
                }
                if (!file_missing(settings_.token_file)) {
                    throw;
                }
                wait_for_file(deadline);
            }
        }
        return token_.view();
    }
    const auto now = Clock::now();
    if (token_.empty() || (expires_at_ && now >= *expires_at_)) {
        login(deadline);
    } else if (renew_at_ && now >= *renew_at_) {
        if (renewable_) {
            renew(deadline);
        } else {
            login(deadline);
        }
    }
    return token_.view();
}

bool TokenSource::replace_invalid(Clock::time_point deadline) {
    if (settings_.auth == AuthMethod::token) {
        return !settings_.token_file.empty() && reload_file(true);
    }
    login(deadline);
    return true;
}

std::optional<std::chrono::seconds> TokenSource::due_in() const {
    if (!renew_at_) {
        return std::nullopt;
    }
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(*renew_at_ - Clock::now());
    return std::max(left, std::chrono::seconds(1));
}

void TokenSource::wait_for_file(Clock::time_point deadline) {
    const auto started = Clock::now();
    const auto until = started + (deadline - started) / 2;
    if (!said_waiting_) {
        said_waiting_ = true;
        plugin::log_warning("waiting for the token file " + settings_.token_file +
                            " to appear (Vault Agent writes it after its first login)");
    }
    constexpr std::chrono::milliseconds poll{50};
    while (true) {
        const auto now = Clock::now();
        if (now >= until) {
            throw VaultError(
                SDKSIGN_E_UNAVAILABLE,
                "the token file " + settings_.token_file + " does not exist (waited " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count()) +
                    " ms for it)");
        }
        std::this_thread::sleep_for(std::min<Clock::duration>(poll, until - now));
        if (!file_missing(settings_.token_file)) {
            reload_file(false);
            return;
        }
    }
}

bool TokenSource::reload_file(bool force) {
    struct stat info { };
    if (::stat(settings_.token_file.c_str(), &info) != 0) {
        const int error = errno;
        throw VaultError(SDKSIGN_E_UNAVAILABLE,
                         "cannot read the token file " + settings_.token_file + ": " + std::strerror(error));
    }
    const FileStamp stamp{info.st_ino,
                          static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec,
                          info.st_size};
    if (!force && file_stamp_ && *file_stamp_ == stamp) {
        return false;
    }
    struct stat read_info { };
    WipedBuffer fresh = read_login_file(settings_.token_file, "the token file", PermissionPolicy::warn,
                                        warnings_, &read_info);
    // The version actually read, which a rename may have replaced since the stat above.
    file_stamp_ =
        FileStamp{read_info.st_ino,
                  static_cast<long long>(read_info.st_mtim.tv_sec) * 1000000000LL + read_info.st_mtim.tv_nsec,
                  read_info.st_size};
    const bool changed = fresh.view() != token_.view();
    token_ = std::move(fresh);
    return changed;
}

void TokenSource::login(Clock::time_point deadline) {
    WipedBuffer body;
    std::string mount;
    if (settings_.auth == AuthMethod::approle) {
        mount = settings_.approle_mount;
        const WipedBuffer role_id = settings_.role_id_file.empty()
            ? WipedBuffer(settings_.role_id)
            : read_login_file(settings_.role_id_file, "the AppRole role id file", PermissionPolicy::warn,
                              warnings_);
        body.append("{\"role_id\":");
        json::append_json_string(body, role_id.view());
        if (!settings_.secret_id.empty() || !settings_.secret_id_file.empty()) {
            const WipedBuffer secret_id = settings_.secret_id_file.empty()
                ? WipedBuffer(settings_.secret_id)
                : read_login_file(settings_.secret_id_file, "the AppRole secret id file",
                                  PermissionPolicy::warn, warnings_);
            body.append(",\"secret_id\":");
            json::append_json_string(body, secret_id.view());
        }
        body.append("}");
    } else {
        mount = settings_.kubernetes_mount;
        const WipedBuffer jwt =
            read_login_file(settings_.kubernetes_token_file, "the service account token file",
                            PermissionPolicy::ignore, warnings_);
        body.append("{\"role\":");
        json::append_json_string(body, settings_.kubernetes_role);
        body.append(",\"jwt\":");
        json::append_json_string(body, jwt.view());
        body.append("}");
    }
    const Reply reply = client_.call("POST", "auth/" + mount + "/login", {}, body.view(), deadline);
    adopt(interpret_login_answer(settings_.auth == AuthMethod::approle ? "AppRole" : "Kubernetes", mount,
                                 reply),
          true);
}

void TokenSource::renew(Clock::time_point deadline) {
    const std::string body = "{\"increment\":" + std::to_string(ttl_.count()) + "}";
    Reply reply = client_.call("POST", "auth/token/renew-self", token_.view(), body, deadline);
    if (reply.status == 200) {
        adopt(parse_auth_block(reply.body.view()), false);
        return;
    }
    // Refused (not renewable, expired, revoked): a fresh login replaces the token.
    if (reply.status == 400 || reply.status == 403) {
        login(deadline);
        return;
    }
    // Vault is unavailable; the token is still valid until it expires, so try again on the next fetch.
    renew_at_ = Clock::now();
}

void TokenSource::adopt(GrantedToken granted, bool from_login) {
    const auto now = Clock::now();
    if (from_login) {
        token_ = std::move(granted.token);
        ttl_ = granted.lease;
        renewable_ = granted.renewable;
    } else if (granted.lease < ttl_) {
        // Capped by the max TTL: renewing again cannot extend it, so the next step is a fresh login.
        renewable_ = false;
    }
    if (granted.lease.count() == 0) {
        renew_at_.reset();
        expires_at_.reset();
        return;
    }
    expires_at_ = now + granted.lease;
    renew_at_ = now + granted.lease * 2 / 3;
}

} // namespace sdksign::vault

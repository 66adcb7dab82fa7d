#include "address.hpp"

namespace sdksign::vault {

namespace {

constexpr std::string_view unix_scheme = "unix://";

} // namespace

bool is_vault_address(std::string_view address) {
    if (address.starts_with(unix_scheme)) {
        return address.size() > unix_scheme.size() + 1 && address[unix_scheme.size()] == '/';
    }
    return (address.starts_with("http://") && address.size() > 7) ||
        (address.starts_with("https://") && address.size() > 8);
}

std::string unix_socket_path(std::string_view address) {
    return address.starts_with(unix_scheme) ? std::string(address.substr(unix_scheme.size())) : std::string();
}

std::string request_base(std::string_view address) {
    return address.starts_with(unix_scheme) ? std::string("http://localhost") : std::string(address);
}

std::string redacted_address(std::string_view address) {
    const auto scheme_end = address.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::string(address);
    }
    const auto authority_start = scheme_end + 3;
    const auto authority_end = address.find_first_of("/?#", authority_start);
    const std::string_view authority = address.substr(authority_start, authority_end - authority_start);
    // The last '@' ends the user information: a password may hold '@' itself, but a host never does.
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) {
        return std::string(address);
    }
    const auto colon = authority.substr(0, at).find(':');
    if (colon == std::string_view::npos) {
        return std::string(address);
    }
    std::string redacted(address.substr(0, authority_start));
    redacted += authority.substr(0, colon);
    redacted += ":***";
    redacted += address.substr(authority_start + at);
    return redacted;
}

} // namespace sdksign::vault

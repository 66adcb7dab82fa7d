#pragma once
// Turning CGI meta-variables (a FastCGI request's params or a CGI process's environment; the same names
// either way) into an http::Request.
#include "http/request.hpp"

#include <optional>
#include <string_view>

namespace sdksign::gateway {

/// Fills everything but the body from a NULL-terminated "NAME=value" array. The request's views point into
/// `variables`, which must outlive it.
http::Request request_from_variables(const char* const* variables);

/// The same into `request`, reusing its header list's storage (one Request per worker thread).
void fill_request_from_variables(const char* const* variables, http::Request& request);

/// CONTENT_LENGTH as a number; nullopt when absent, empty (nginx on GET) or not a number.
std::optional<std::size_t> parse_content_length(std::string_view text);

} // namespace sdksign::gateway

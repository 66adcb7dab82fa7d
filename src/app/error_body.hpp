#pragma once
// The one error shape every response uses: {"errors":[{"property":P,"reason":R},...]}, the reference sample's
// validation error body, extended to every other failure.
#include "http/response.hpp"

#include <string>
#include <vector>

namespace sdksign::app {

struct ValidationError {
    std::string property;
    std::string reason;

    bool operator==(const ValidationError&) const = default;
};

/// A JSON error response with the given status; CORS headers are added by the router.
http::Response error_response(int status, const std::vector<ValidationError>& errors);

/// Shorthand for a single error.
http::Response error_response(int status, std::string property, std::string reason);

/// Headers every JSON response carries.
void set_json_headers(http::Response& response);

} // namespace sdksign::app

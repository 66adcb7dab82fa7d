#include "app/error_body.hpp"

#include "json/json_text.hpp"

namespace sdksign::app {

void set_json_headers(http::Response& response) {
    // These three, CORS and perhaps Allow or Vary: one allocation instead of the vector's regrowth.
    response.headers.reserve(6);
    response.set_header("Content-Type", "application/json; charset=utf-8");
    // Tokens are credentials and errors depend on the moment; neither may be cached by anyone.
    response.set_header("Cache-Control", "no-store");
    response.set_header("X-Content-Type-Options", "nosniff");
}

http::Response error_response(int status, const std::vector<ValidationError>& errors) {
    http::Response response;
    response.status = status;
    set_json_headers(response);
    std::string& body = response.body;
    body = R"({"errors":[)";
    bool first = true;
    for (const auto& error : errors) {
        if (!first) {
            body.push_back(',');
        }
        first = false;
        body += R"({"property":)";
        json::append_json_string(body, error.property);
        body += R"(,"reason":)";
        json::append_json_string(body, error.reason);
        body.push_back('}');
    }
    body += "]}";
    return response;
}

http::Response error_response(int status, std::string property, std::string reason) {
    return error_response(status, std::vector<ValidationError>{{std::move(property), std::move(reason)}});
}

} // namespace sdksign::app

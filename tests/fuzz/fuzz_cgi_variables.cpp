// libFuzzer target: the gateway's reading of CGI/FastCGI variables (names, duplicates, missing or huge
// values, CONTENT_LENGTH of any shape) into an http::Request. Each NUL-separated piece of the input is one
// "NAME=value" entry, the way FastCGI params and a CGI environment arrive.
#include "fuzz_support.hpp"
#include "gateway/cgi_variables.hpp"

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> entries;
    std::size_t start = 0;
    while (start <= input.size()) {
        const auto end = input.find('\0', start);
        entries.push_back(input.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    std::vector<const char*> pointers;
    pointers.reserve(entries.size() + 1);
    for (const auto& entry : entries) {
        pointers.push_back(entry.c_str());
    }
    pointers.push_back(nullptr);

    const auto request = sdksign::gateway::request_from_variables(pointers.data());
    // The invariants the router relies on.
    if (request.path.empty() || request.method.data() == nullptr) {
        sdksign::fuzz::violated("an empty path or a null method");
    }
    if (request.body_incomplete && request.content_length.has_value()) {
        sdksign::fuzz::violated("a parsed length marked malformed");
    }
    for (const auto& [name, value] : request.headers) {
        if (name.find('=') != std::string_view::npos) {
            sdksign::fuzz::violated("'=' in a header name");
        }
    }
    return 0;
}

#include "gateway/start_mode.hpp"

#include <fcgiapp.h>

#include <cstdlib>

namespace sdksign::gateway {

StartMode start_mode(bool stdin_is_fastcgi_socket, bool gateway_interface_set) {
    if (stdin_is_fastcgi_socket) {
        return StartMode::fastcgi_socket;
    }
    return gateway_interface_set ? StartMode::cgi : StartMode::command_line;
}

StartMode detect_start_mode() {
    // libfcgi's own test of fd 0 (a socket without a peer), so that this decision and its FCGX_Accept_r
    // can never disagree.
    return start_mode(FCGX_IsCGI() == 0, std::getenv("GATEWAY_INTERFACE") != nullptr);
}

} // namespace sdksign::gateway

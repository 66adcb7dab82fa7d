#pragma once
// How this process was started, decided once, before anything else is read. It decides what may configure
// the process: a process started as CGI takes nothing from its command line, because a web server fills that
// from the request (RFC 3875 section 4.4: a query string without an unencoded '=' becomes the arguments).
namespace sdksign::gateway {

enum class StartMode {
    /// fd 0 is a FastCGI listening socket handed over by a process manager (mod_fcgid, lighttpd bin-path,
    /// spawn-fcgi), whose own configuration wrote the command line.
    fastcgi_socket,
    /// A web server ran this process for one request: GATEWAY_INTERFACE is set and fd 0 is not a listening
    /// socket. The command line is the request's, never options.
    cgi,
    /// Neither: an operator, a service manager or a script; the command line holds options.
    command_line,
};

/// The decision itself, apart from the process, for tests. A listening socket on fd 0 wins over
/// GATEWAY_INTERFACE: a process manager may pass its own environment on.
StartMode start_mode(bool stdin_is_fastcgi_socket, bool gateway_interface_set);

/// The decision for this process: fd 0 as libfcgi sees it (FCGX_IsCGI) and GATEWAY_INTERFACE.
StartMode detect_start_mode();

} // namespace sdksign::gateway

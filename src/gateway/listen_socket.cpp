#include "gateway/listen_socket.hpp"

#include "errors.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace sdksign::gateway {

namespace {

constexpr int backlog = 1024;

std::string errno_text(int error) {
    return std::strerror(error);
}

UniqueFd open_unix(const std::string& path, unsigned mode) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path)) {
        throw ConfigError("listen: unix socket path is longer than " +
                          std::to_string(sizeof(address.sun_path) - 1) + " bytes: " + path);
    }
    path.copy(&address.sun_path[0], path.size());
    address.sun_path[path.size()] = '\0';
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        throw SystemError("listen " + path + ": socket: " + errno_text(errno));
    }
    struct stat info { };
    if (::lstat(path.c_str(), &info) == 0) {
        if (!S_ISSOCK(info.st_mode)) {
            throw ConfigError("listen " + path + ": the path exists and is not a socket");
        }
        UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (probe &&
            ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
            throw SystemError("listen " + path + ": another process is serving this socket");
        }
        ::unlink(path.c_str()); // stale: its owner is gone
    }
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        throw SystemError("listen " + path + ": bind: " + errno_text(errno));
    }
    if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
        throw SystemError("listen " + path + ": chmod: " + errno_text(errno));
    }
    if (::listen(fd.get(), backlog) != 0) {
        throw SystemError("listen " + path + ": listen: " + errno_text(errno));
    }
    return fd;
}

UniqueFd open_tcp(const std::string& address) {
    std::string host;
    std::string port;
    if (!address.empty() && address.front() == '[') {
        const auto close = address.find("]:");
        if (close == std::string::npos) {
            throw ConfigError("listen: '" + address + "' is not [IPV6]:PORT");
        }
        host = address.substr(1, close - 1);
        port = address.substr(close + 2);
    } else {
        const auto colon = address.rfind(':');
        if (colon == std::string::npos || colon == 0) {
            throw ConfigError("listen: '" + address + "' is not HOST:PORT or a unix socket path");
        }
        host = address.substr(0, colon);
        port = address.substr(colon + 1);
    }
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos) {
        throw ConfigError("listen: '" + address + "' has no numeric port");
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int status = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (status != 0) {
        throw ConfigError("listen: cannot resolve '" + host + "': " + ::gai_strerror(status));
    }
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
    std::string failure;
    for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
        UniqueFd fd(::socket(entry->ai_family, entry->ai_socktype | SOCK_CLOEXEC, entry->ai_protocol));
        if (!fd) {
            failure = "socket: " + errno_text(errno);
            continue;
        }
        const int on = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (::bind(fd.get(), entry->ai_addr, entry->ai_addrlen) != 0) {
            failure = "bind: " + errno_text(errno);
            continue;
        }
        if (::listen(fd.get(), backlog) != 0) {
            failure = "listen: " + errno_text(errno);
            continue;
        }
        return fd;
    }
    throw SystemError("listen " + address + ": " + failure);
}

} // namespace

UniqueFd open_listen_socket(const std::string& address, unsigned mode) {
    if (address.find('/') != std::string::npos) {
        return open_unix(address, mode);
    }
    return open_tcp(address);
}

} // namespace sdksign::gateway

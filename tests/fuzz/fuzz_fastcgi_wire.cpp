// libFuzzer target: the whole FastCGI wire. The input is the raw bytes a peer writes to a connection of the
// real gateway (gateway/fastcgi_server.cpp: the readiness loop, the head check, the workers) reading them
// with the real libfcgi and routing them through app::route: records of any type, length and padding, any
// number of requests, kept connections. The first byte chooses how the rest is cut into writes (so heads
// arrive whole, split or trickled); then the peer closes its side and reads whatever comes back.
// The properties:
// - the process never crashes, aborts or hits undefined behaviour (libfcgi's own asserts included);
// - every connection ends: the server answers and/or closes it within a few seconds of the peer's close
//   (a hang is a violation, never a libFuzzer timeout). libFuzzer's -timeout is a periodic SIGALRM, which
//   interrupts the harness's and the server's system calls: both retry on EINTR, as an embedding process's
//   signal handlers must not drop a request or end a wait early;
// - what comes back is a sequence of well-formed FastCGI records (version 1; STDOUT, STDERR, END_REQUEST)
//   and never holds the secret;
// - after every input the server still answers a normal request with 200.
// A violation aborts, which libFuzzer reports as a crash with the input.
#include "app/router.hpp"
#include "app/settings.hpp"
#include "fixed_services.hpp"
#include "fuzz_support.hpp"
#include "gateway/fastcgi_server.hpp"
#include "gateway/listen_socket.hpp"
#include "signing/token_signer.hpp"

#include <fcgiapp.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr std::string_view secret = "fuzz-wire-secret-never-in-a-response-8Qm";
/// How long a connection may stay open after the peer's close: the gateway's deadlines are 1 s; the rest is
/// slack for a loaded machine running the sanitized build.
constexpr int end_of_connection_ms = 6000;

using sdksign::fuzz::violated;

/// One server for the whole run, on a unix socket of its own, serving until the process exits.
class WireServer {
public:
    WireServer() {
        std::string folder = "/tmp/sdksign-fuzz-wire-XXXXXX";
        if (::mkdtemp(folder.data()) == nullptr) {
            violated("cannot make a folder for the socket");
        }
        path_ = folder + "/fcgi.sock";
        listen_ = sdksign::gateway::open_listen_socket(path_, 0600);
        if (FCGX_Init() != 0) {
            violated("FCGX_Init failed");
        }
        settings_.listen_fd = listen_.get();
        settings_.threads = 2;
        settings_.connections.head_timeout = std::chrono::seconds(1);
        settings_.connections.idle_timeout = std::chrono::seconds(1);
        settings_.connections.drain_timeout = std::chrono::milliseconds(500);
        app_settings_.max_body_bytes = 4096;
        thread_ = std::thread([this] {
            sdksign::gateway::serve_fastcgi(settings_, [this] {
                auto signer = std::make_shared<sdksign::signing::TokenSigner>();
                return [this, signer](const sdksign::http::Request& request) {
                    sdksign::app::Services services{app_settings_, clock_, credentials_, *signer};
                    return sdksign::app::route(request, services);
                };
            });
        });
        thread_.detach();
    }

    /// A connected socket, or a violation: the server must always accept.
    [[nodiscard]] int connect() const {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(&address.sun_path[0], path_.c_str(), sizeof(address.sun_path) - 1);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            violated("the server no longer accepts connections");
        }
        return fd;
    }

private:
    std::string path_;
    sdksign::gateway::UniqueFd listen_;
    sdksign::gateway::FastcgiSettings settings_;
    sdksign::app::Settings app_settings_;
    sdksign::fuzz::FixedClock clock_;
    sdksign::fuzz::FixedCredentials credentials_{secret};
    std::thread thread_;
};

/// Writes `bytes` in `pieces` writes (a short pause between them lets the loop see each one), closes the
/// writing side, and returns everything the server sent until it closed. `what` names the exchange in a
/// violation, with what was sent and received, so that a report from a machine where the input file is lost
/// still says where the connection stalled.
std::string exchange(const WireServer& server, std::string_view bytes, unsigned pieces, const char* what) {
    const int fd = server.connect();
    const std::size_t piece = std::max<std::size_t>(1, (bytes.size() + pieces - 1) / std::max(1U, pieces));
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        const auto count = std::min(piece, bytes.size() - at);
        ssize_t sent = 0;
        do {
            sent = ::send(fd, bytes.data() + at, count, MSG_NOSIGNAL);
        } while (sent < 0 && errno == EINTR);
        if (sent < 0) {
            break; // the server refused and closed: what it sent is still read below
        }
        if (pieces > 1) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    ::shutdown(fd, SHUT_WR);
    std::string received;
    const auto closed_at = std::chrono::steady_clock::now();
    const auto deadline = closed_at + std::chrono::milliseconds(end_of_connection_ms);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd watched{fd, POLLIN, 0};
        const int ready = left.count() <= 0 ? 0 : ::poll(&watched, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue; // libFuzzer's timer signal (-timeout), not the server
        }
        if (ready <= 0) {
            const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - closed_at);
            const std::string report =
                std::string("the server neither answered nor closed the connection after ") +
                "the peer's close (" + what + ": " + std::to_string(bytes.size()) + " bytes in " +
                std::to_string(pieces) + " writes; " + std::to_string(received.size()) + " bytes received; " +
                std::to_string(waited.count()) + " ms after the close)";
            violated(report.c_str());
        }
        std::array<char, 4096> buffer{};
        const auto n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; // closed (or reset): the connection has ended
        }
        received.append(buffer.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    return received;
}

/// The records of `received`, checked; the STDOUT content, concatenated.
std::string checked_records(const std::string& received) {
    std::string stdout_content;
    std::size_t at = 0;
    while (at + 8 <= received.size()) {
        const auto* header = reinterpret_cast<const unsigned char*>(received.data() + at);
        const std::size_t length = (static_cast<std::size_t>(header[4]) << 8) | header[5];
        if (header[0] != 1 || header[1] < 3 || header[1] > 7 || header[1] == 4 || header[1] == 5) {
            violated("the server sent something other than a STDOUT, STDERR or END_REQUEST record");
        }
        if (header[1] == 6) {
            stdout_content.append(received, at + 8, length);
        }
        at += 8 + length + header[6];
    }
    if (at != received.size()) {
        violated("the server sent a record cut short");
    }
    if (received.find(secret) != std::string::npos) {
        violated("the secret went out on the wire");
    }
    return stdout_content;
}

std::string record(unsigned char type, std::string_view content) {
    std::string out{1,
                    static_cast<char>(type),
                    0,
                    1,
                    static_cast<char>(content.size() >> 8),
                    static_cast<char>(content.size() & 0xff),
                    0,
                    0};
    out.append(content);
    return out;
}

std::string normal_request() {
    std::string params;
    for (const std::string_view pair : {"REQUEST_METHOD=GET", "SCRIPT_NAME=", "PATH_INFO=/health"}) {
        const auto equals = pair.find('=');
        params.push_back(static_cast<char>(equals));
        params.push_back(static_cast<char>(pair.size() - equals - 1));
        params.append(pair.substr(0, equals));
        params.append(pair.substr(equals + 1));
    }
    return record(1, std::string{0, 1, 0, 0, 0, 0, 0, 0}) + record(4, params) + record(4, "") + record(5, "");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const WireServer server;
    static const std::string probe = normal_request();
    if (size > 0) {
        const unsigned pieces = 1 + (data[0] % 8) * (data[0] % 8);
        checked_records(exchange(server, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
                                 pieces, "the input"));
    }
    const std::string answer =
        checked_records(exchange(server, probe, 1, "the normal request after the input"));
    if (!answer.starts_with("Status: 200")) {
        violated("after the input, a normal request was not answered with 200");
    }
    return 0;
}

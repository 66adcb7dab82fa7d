// Signing core throughput on one thread: sdksign's TokenSigner against a naive implementation (string
// concatenation, a fresh MAC object per token) in the same run, plus the whole router path for one POST.
// Prints one line per case, "name<TAB>per_second<TAB>ns_per_op", for bench/run to read.
//
//   sign_bench [--seconds S] [--repeats N] [--only NAME] [--iterations N]
//
// NAME is one of sign_web, sign_native, naive_web, naive_native, request. --iterations runs exactly N
// operations of each case instead of timing them, for instruction counts under valgrind --tool=callgrind
// (deterministic where wall-clock rates on a shared machine are not): (Ir(N) - Ir(0)) / N per operation.
#include "app/clock.hpp"
#include "app/router.hpp"
#include "app/settings.hpp"
#include "credentials/credential.hpp"
#include "credentials/credential_source.hpp"
#include "signing/token_signer.hpp"

#include <botan/mac.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace sdksign;
using Clock = std::chrono::steady_clock;

// A benchmark-only credential; never a real secret.
constexpr std::string_view bench_key = "benchSDKkey0123456789";
constexpr std::string_view bench_secret = "benchSDKsecret0123456789abcdefgh";
constexpr std::int64_t iat = 1700000000;

// Keeps the optimiser from discarding a result.
volatile std::size_t sink = 0;

/// The naive way: every intermediate a fresh std::string, a fresh MAC object keyed per token.
namespace naive {

std::string base64url(std::string_view bytes) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto a = static_cast<unsigned char>(bytes[i]);
        const auto b = static_cast<unsigned char>(bytes[i + 1]);
        const auto c = static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[a >> 2];
        out += alphabet[((a & 3) << 4) | (b >> 4)];
        out += alphabet[((b & 15) << 2) | (c >> 6)];
        out += alphabet[c & 63];
    }
    if (i + 1 == bytes.size()) {
        const auto a = static_cast<unsigned char>(bytes[i]);
        out += alphabet[a >> 2];
        out += alphabet[(a & 3) << 4];
    } else if (i + 2 == bytes.size()) {
        const auto a = static_cast<unsigned char>(bytes[i]);
        const auto b = static_cast<unsigned char>(bytes[i + 1]);
        out += alphabet[a >> 2];
        out += alphabet[((a & 3) << 4) | (b >> 4)];
        out += alphabet[(b & 15) << 2];
    }
    return out;
}

std::string sign(const std::string& key, const std::string& secret, const std::string* meeting_number,
                 int role, std::int64_t issued, std::int64_t lifetime) {
    const std::string header = R"({"alg":"HS256","typ":"JWT"})";
    std::string payload = R"({"appKey":")" + key + R"(","sdkKey":")" + key + "\"";
    if (meeting_number != nullptr) {
        payload += R"(,"mn":")" + *meeting_number + R"(","role":)" + std::to_string(role);
    }
    payload += ",\"iat\":" + std::to_string(issued) + ",\"exp\":" + std::to_string(issued + lifetime) +
        ",\"tokenExp\":" + std::to_string(issued + lifetime) + "}";
    const std::string signing_input = base64url(header) + "." + base64url(payload);
    auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    mac->set_key(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size());
    mac->update(signing_input);
    const auto tag = mac->final();
    return signing_input + "." + base64url({reinterpret_cast<const char*>(tag.data()), tag.size()});
}

} // namespace naive

/// A credential source with one fixed credential, as a loaded store would hand out.
class FixedCredentials final : public credentials::CredentialSource {
public:
    explicit FixedCredentials(credentials::CredentialPtr credential) : credential_(std::move(credential)) { }
    [[nodiscard]] credentials::CredentialPtr current(std::string_view /*name*/) const override {
        return credential_;
    }

private:
    credentials::CredentialPtr credential_;
};

class FixedClock final : public app::Clock {
public:
    [[nodiscard]] std::int64_t now_seconds() const override { return iat; }
};

/// Runs `operation` in batches until `seconds` have passed, `repeats` times; the median rate wins, so one
/// descheduled repeat on a noisy machine does not decide the result.
double operations_per_second(const std::function<void()>& operation, double seconds, int repeats) {
    constexpr int batch = 256;
    std::vector<double> rates;
    for (int r = 0; r < repeats; ++r) {
        std::size_t done = 0;
        const auto start = Clock::now();
        const auto until = start + std::chrono::duration<double>(seconds);
        auto now = start;
        while (now < until) {
            for (int i = 0; i < batch; ++i) {
                operation();
            }
            done += batch;
            now = Clock::now();
        }
        rates.push_back(static_cast<double>(done) / std::chrono::duration<double>(now - start).count());
    }
    std::sort(rates.begin(), rates.end());
    return rates[rates.size() / 2];
}

void print_rate(std::string_view name, double rate) {
    std::printf("%.*s\t%.0f\t%.1f\n", static_cast<int>(name.size()), name.data(), rate, 1e9 / rate);
    // Each line is read by bench/run as it comes; a failed flush shows there as a missing line.
    static_cast<void>(std::fflush(stdout));
}

} // namespace

int main(int argc, char** argv) {
    double seconds = 1.0;
    int repeats = 5;
    std::string only;
    long iterations = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view option = argv[i];
        if (option == "--seconds") {
            seconds = std::atof(argv[i + 1]);
        } else if (option == "--iterations") {
            iterations = std::atol(argv[i + 1]);
        } else if (option == "--only") {
            only = argv[i + 1];
        } else if (option == "--repeats") {
            repeats = std::max(1, std::atoi(argv[i + 1]));
        } else {
            std::cerr << "usage: sign_bench [--seconds S] [--repeats N] [--only NAME] [--iterations N]\n";
            return 2;
        }
    }

    const auto credential = credentials::make_credential(
        std::string(bench_key), Botan::secure_vector<std::uint8_t>(bench_secret.begin(), bench_secret.end()));
    signing::TokenSigner signer;

    signing::MeetingClaims web;
    web.meeting_number = signing::MeetingNumber{"123456789", true};
    web.role = 0;
    web.iat = iat;
    web.exp = iat + 7200;
    signing::MeetingClaims native;
    native.iat = iat;
    native.exp = iat + 7200;

    const std::string key(bench_key);
    const std::string secret(bench_secret);
    const std::string meeting_number = "123456789";
    // Both implementations must produce the same token, or the comparison means nothing.
    if (signer.sign_meeting(credential, web) != naive::sign(key, secret, &meeting_number, 0, iat, 7200) ||
        signer.sign_meeting(credential, native) != naive::sign(key, secret, nullptr, 0, iat, 7200)) {
        std::cerr << "sign_bench: the naive and the real token differ\n";
        return 1;
    }

    const auto measure = [&](std::string_view name, const std::function<void()>& operation) {
        if (!only.empty() && only != name) {
            return;
        }
        if (iterations >= 0) {
            for (long i = 0; i < iterations; ++i) {
                operation();
            }
            return;
        }
        print_rate(name, operations_per_second(operation, seconds, repeats));
    };

    measure("sign_web", [&] { sink = sink + signer.sign_meeting(credential, web).size(); });
    measure("sign_native", [&] { sink = sink + signer.sign_meeting(credential, native).size(); });
    measure("naive_web",
            [&] { sink = sink + naive::sign(key, secret, &meeting_number, 0, iat, 7200).size(); });
    measure("naive_native", [&] { sink = sink + naive::sign(key, secret, nullptr, 0, iat, 7200).size(); });

    // The application's whole share of one request: routing, content type, JSON parsing and validation,
    // signing, the response and its CGI serialisation; everything but the FastCGI transport.
    const app::Settings settings;
    const FixedClock clock;
    const FixedCredentials source(credential);
    app::Services services{settings, clock, source, signer};
    const std::string body = R"({"meetingNumber":"123456789","role":0,"expirationSeconds":7200})";
    http::Request request;
    request.method = "POST";
    request.path = "/";
    request.content_type = "application/json";
    request.content_length = body.size();
    request.body = body;
    std::string output;
    measure("request", [&] {
        const http::Response response = app::route(request, services);
        output.clear();
        http::append_cgi(output, response);
        sink = sink + output.size();
    });
    return 0;
}

// The real vault provider (plugins/vault), loaded from the built vault.so, against the Vault-compatible
// test server (tests/integration/vault_server.py): KV v1 and v2, every error Vault can answer, retries,
// redirects, deadlines, token files, AppRole and Kubernetes logins with renewal, the VAULT_* environment,
// and TLS (CA, server name, client certificates).
#define BOOST_TEST_MODULE sdksign vault provider tests
#include "captured_stderr.hpp"
#include "credentials/provider_plugin.hpp"
#include "errors.hpp"
#include "gateway/unique_fd.hpp"
#include "plugin_paths.hpp"
#include "scoped_variable.hpp"
#include "vault_test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using sdksign::ConfigError;
using sdksign::CredentialError;
using sdksign::credentials::Provider;
using sdksign::credentials::ProviderLibrary;
using sdksign::credentials::ProviderOption;
using sdksign::test::CapturedStderr;
using sdksign::test::ScopedVariable;
using sdksign::test::VaultTestServer;
using Options = std::vector<ProviderOption>;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::milliseconds deadline{3000};
constexpr const char* test_key = "vault-test-key";
constexpr const char* test_secret = "vault-test-secret-9Xq2";

std::shared_ptr<const ProviderLibrary> library() {
    static const auto loaded =
        ProviderLibrary::open(sdksign::test::required_path("SDKSIGN_TEST_VAULT_PLUGIN"));
    return loaded;
}

/// No VAULT_* variable of the machine running the tests may change what they see.
void clear_vault_environment() {
    for (const char* name : {"VAULT_ADDR",
                             "VAULT_AGENT_ADDR",
                             "VAULT_TOKEN",
                             "VAULT_NAMESPACE",
                             "VAULT_CACERT",
                             "VAULT_CAPATH",
                             "VAULT_CLIENT_CERT",
                             "VAULT_CLIENT_KEY",
                             "VAULT_TLS_SERVER_NAME",
                             "VAULT_SKIP_VERIFY",
                             "VAULT_CLIENT_TIMEOUT",
                             "VAULT_MAX_RETRIES",
                             "VAULT_HTTP_PROXY",
                             "VAULT_PROXY_ADDR",
                             "http_proxy",
                             "HTTP_PROXY",
                             "https_proxy",
                             "HTTPS_PROXY",
                             "ALL_PROXY",
                             "all_proxy",
                             "NO_PROXY",
                             "no_proxy"}) {
        ::unsetenv(name);
    }
}

/// Also serves Vault's API on a unix socket, agent_socket(), as Vault Agent does.
VaultTestServer& plain_server() {
    static VaultTestServer server({"--unix-socket", "{dir}/agent.sock"});
    return server;
}

std::filesystem::path agent_socket() {
    return plain_server().dir() / "agent.sock";
}

std::string secret_of(const sdksign::credentials::CredentialPtr& credential) {
    return {credential->secret.begin(), credential->secret.end()};
}

struct Failure {
    int status = SDKSIGN_OK;
    std::string message;
};

Failure failure_of(Provider& provider, const char* credential = "meeting",
                   std::chrono::milliseconds bound = deadline) {
    try {
        provider.fetch(credential, bound);
    } catch (const CredentialError& e) {
        return {e.status(), e.what()};
    }
    return {};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// Owner-only, as a token file should be (the provider warns about one group or others can read).
void write_file(const std::filesystem::path& path, const std::string& contents) {
    {
        std::ofstream out(path, std::ios::trunc);
        out << contents;
    }
    std::filesystem::permissions(path,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

/// Writes through a temporary name and renames over the path, as Vault Agent does.
void replace_file(const std::filesystem::path& path, const std::string& contents) {
    const auto temporary = path.string() + ".tmp.1";
    write_file(temporary, contents);
    std::filesystem::rename(temporary, path);
}

std::string seed(const VaultTestServer& server, const std::string& path, const std::string& pairs,
                 const std::string& mount = "secret", const std::string& namespace_name = "") {
    return server.control("kv",
                          R"({"mount":")" + mount + R"(","path":")" + path + R"(","namespace":")" +
                              namespace_name + R"(","data":)" + pairs + "}");
}

std::string default_pair() {
    return std::string(R"({"key":")") + test_key + R"(","secret":")" + test_secret + R"("})";
}

/// A fresh state for each test of the plain-HTTP server, and options pointing at it.
struct PlainFixture {
    PlainFixture() : server(plain_server()) {
        clear_vault_environment();
        server.reset();
    }
    [[nodiscard]] Options options(const std::string& path, const Options& extra = {}) const {
        Options all = {
            {"address", server.address()}, {"token", "root"}, {"path", path}, {"retry-wait-ms", "50"}};
        for (const auto& option : extra) {
            bool replaced = false;
            for (auto& existing : all) {
                if (existing.name == option.name) {
                    existing.value = option.value;
                    replaced = true;
                }
            }
            if (!replaced) {
                all.push_back(option);
            }
        }
        return all;
    }
    [[nodiscard]] int count_requests(const std::string& path_part) const {
        int count = 0;
        for (const auto& seen : server.requests()) {
            count += contains(seen.path, path_part) ? 1 : 0;
        }
        return count;
    }
    VaultTestServer& server;
};

/// A stand-in HTTP proxy on 127.0.0.1: it answers every request with a KV v2 secret whose key is
/// "proxied-key" and counts them, so a test sees whether the provider went through a proxy.
class FakeProxy {
public:
    FakeProxy() : listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        auto* generic = reinterpret_cast<sockaddr*>(&address);
        if (listener_.get() < 0 || ::bind(listener_.get(), generic, length) != 0 ||
            ::listen(listener_.get(), 8) != 0 || ::getsockname(listener_.get(), generic, &length) != 0) {
            throw std::runtime_error("the test proxy cannot listen");
        }
        url_ = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
        thread_ = std::thread([this] { serve(); });
    }
    FakeProxy(const FakeProxy&) = delete;
    FakeProxy& operator=(const FakeProxy&) = delete;
    FakeProxy(FakeProxy&&) = delete;
    FakeProxy& operator=(FakeProxy&&) = delete;
    ~FakeProxy() {
        // Wakes the accept() below with an error.
        ::shutdown(listener_.get(), SHUT_RDWR);
        thread_.join();
    }
    [[nodiscard]] const std::string& url() const { return url_; }
    [[nodiscard]] int requests() const { return requests_.load(); }

private:
    void serve() {
        while (true) {
            const sdksign::gateway::UniqueFd connection(::accept(listener_.get(), nullptr, nullptr));
            if (connection.get() < 0) {
                return;
            }
            std::string head;
            std::array<char, 4096> buffer{};
            while (head.find("\r\n\r\n") == std::string::npos) {
                const auto got = ::recv(connection.get(), buffer.data(), buffer.size(), 0);
                if (got <= 0) {
                    break;
                }
                head.append(buffer.data(), static_cast<std::size_t>(got));
            }
            ++requests_;
            const std::string body =
                R"({"data":{"data":{"key":"proxied-key","secret":"proxied-secret"},"metadata":{"version":1}}})";
            const std::string answer =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
            static_cast<void>(::send(connection.get(), answer.data(), answer.size(), MSG_NOSIGNAL));
        }
    }

    sdksign::gateway::UniqueFd listener_;
    std::string url_;
    std::atomic<int> requests_{0};
    std::thread thread_;
};

std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

} // namespace

BOOST_AUTO_TEST_SUITE(vault_provider_cpp)

BOOST_FIXTURE_TEST_SUITE(kv_reads, PlainFixture)

BOOST_AUTO_TEST_CASE(reads_a_kv2_secret_with_the_default_fields_and_vaults_headers) {
    seed(server, "sdksign/meeting", default_pair());
    Provider provider(library(), {{"address", server.address()}, {"token", "root"}});
    BOOST_TEST(library()->name() == "vault");
    const auto result = provider.fetch("meeting", deadline);
    BOOST_TEST(result.credential->key == test_key);
    BOOST_TEST(secret_of(result.credential) == test_secret);
    BOOST_TEST(result.refresh_after_s == 300U);
    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 1U);
    BOOST_TEST(seen[0].path == "/v1/secret/data/sdksign/meeting");
    BOOST_TEST(seen[0].x_vault_request == "true");
    BOOST_TEST(seen[0].token == "root");
    BOOST_TEST(seen[0].namespace_name.empty());
}

BOOST_AUTO_TEST_CASE(reads_the_latest_version_after_a_rotation) {
    seed(server, "rotate/meeting", default_pair());
    Provider provider(library(), options("rotate/meeting", {{"refresh-interval", "2m"}}));
    BOOST_TEST(provider.fetch("meeting", deadline).refresh_after_s == 120U);
    seed(server, "rotate/meeting", R"({"key":"rotated-key","secret":"rotated-secret"})");
    const auto result = provider.fetch("meeting", deadline);
    BOOST_TEST(result.credential->key == "rotated-key");
    BOOST_TEST(secret_of(result.credential) == "rotated-secret");
}

BOOST_AUTO_TEST_CASE(reads_a_kv1_secret_with_custom_mount_fields_and_lease) {
    server.control("mount", R"({"path":"legacy","version":1})");
    seed(server, "apps/zoom", R"({"client_id":"v1-key","client_secret":"v1-secret","ttl":"45"})", "legacy");
    Provider provider(library(),
                      options("apps/zoom",
                              {{"kv-version", "1"},
                               {"mount", "/legacy/"},
                               {"key-field", "client_id"},
                               {"secret-field", "client_secret"}}));
    const auto result = provider.fetch("meeting", deadline);
    BOOST_TEST(result.credential->key == "v1-key");
    BOOST_TEST(secret_of(result.credential) == "v1-secret");
    BOOST_TEST(result.refresh_after_s == 45U, "the secret's lease is shorter than the refresh interval");
    BOOST_TEST(server.requests().at(0).path == "/v1/legacy/apps/zoom");
}

BOOST_AUTO_TEST_CASE(kv1_default_lease_does_not_outlast_the_refresh_interval) {
    server.control("mount", R"({"path":"legacy2","version":1})");
    seed(server, "p", default_pair(), "legacy2");
    Provider provider(library(), options("p", {{"kv-version", "1"}, {"mount", "legacy2"}}));
    BOOST_TEST(provider.fetch("meeting", deadline).refresh_after_s == 300U);
}

BOOST_AUTO_TEST_CASE(sends_the_namespace_from_the_option_or_vault_namespace) {
    seed(server, "ns/meeting", default_pair(), "secret", "team-a");
    {
        Provider provider(library(), options("ns/meeting", {{"namespace", "team-a/"}}));
        BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    }
    {
        const ScopedVariable variable("VAULT_NAMESPACE", "team-a");
        Provider provider(library(), options("ns/meeting"));
        BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    }
    Provider outside(library(), options("ns/meeting"));
    BOOST_TEST(failure_of(outside).status == SDKSIGN_E_NOT_FOUND, "the secret lives in the namespace only");
    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 3U);
    BOOST_TEST(seen[0].namespace_name == "team-a");
    BOOST_TEST(seen[1].namespace_name == "team-a");
    BOOST_TEST(seen[2].namespace_name.empty());
}

BOOST_AUTO_TEST_CASE(maps_meeting_and_video_to_their_paths) {
    seed(server, "app/meeting", default_pair());
    seed(server, "app/video", R"({"key":"video-key","secret":"video-secret"})");
    Provider without_video(library(), options("app/meeting"));
    const auto missing = failure_of(without_video, "video");
    BOOST_TEST(missing.status == SDKSIGN_E_NOT_FOUND);
    BOOST_TEST(contains(missing.message, "video-path"));
    BOOST_TEST(failure_of(without_video, "webinar").status == SDKSIGN_E_NOT_FOUND);
    Provider with_video(library(), options("app/meeting", {{"video-path", "app/video"}}));
    BOOST_TEST(with_video.fetch("video", deadline).credential->key == "video-key");
    BOOST_TEST(with_video.fetch("meeting", deadline).credential->key == test_key);
}

BOOST_AUTO_TEST_CASE(percent_encodes_reserved_bytes_in_mounts_and_paths) {
    // Unencoded, `#` and `?` would end the path and read "zoom" or "q", another secret.
    seed(server, "zoom", R"({"key":"wrong-key","secret":"wrong-secret"})");
    seed(server, "zoom#1/meeting", default_pair());
    seed(server, "q?a/my app", R"({"key":"video-key","secret":"video-secret"})");
    server.control("mount", R"({"path":"kv 100%","version":2})");
    seed(server, "x", R"({"key":"mount-key","secret":"mount-secret"})", "kv 100%");
    Provider provider(library(), options("/zoom#1/meeting/", {{"video-path", "q?a/my app"}}));
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    BOOST_TEST(provider.fetch("video", deadline).credential->key == "video-key");
    Provider odd_mount(library(), options("x", {{"mount", "kv 100%"}}));
    BOOST_TEST(odd_mount.fetch("meeting", deadline).credential->key == "mount-key");
    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 3U);
    BOOST_TEST(seen[0].path == "/v1/secret/data/zoom%231/meeting");
    BOOST_TEST(seen[1].path == "/v1/secret/data/q%3Fa/my%20app");
    BOOST_TEST(seen[2].path == "/v1/kv%20100%25/data/x");
}

BOOST_AUTO_TEST_CASE(reads_through_vault_agents_unix_socket) {
    seed(server, "agent/meeting", default_pair());
    const std::string address = "unix://" + agent_socket().string();
    Provider provider(library(), options("agent/meeting", {{"address", address}}));
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 1U);
    BOOST_TEST(seen[0].path == "/v1/secret/data/agent/meeting");

    // VAULT_AGENT_ADDR, as the agent's users set it; a socket never goes through a proxy.
    const FakeProxy proxy;
    const ScopedVariable agent("VAULT_AGENT_ADDR", address.c_str());
    const ScopedVariable vault_proxy("VAULT_PROXY_ADDR", proxy.url().c_str());
    Provider from_environment(library(), {{"path", "agent/meeting"}, {"token", "root"}});
    BOOST_TEST(from_environment.fetch("meeting", deadline).credential->key == test_key);
    BOOST_TEST(proxy.requests() == 0);

    const std::string missing = "unix://" + (server.dir() / "no-agent.sock").string();
    Provider absent(library(), options("agent/meeting", {{"address", missing}, {"max-retries", "0"}}));
    const auto failure = failure_of(absent);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(contains(failure.message, "cannot reach Vault at " + missing), failure.message);
    for (const char* malformed : {"unix://", "unix://agent.sock"}) {
        BOOST_TEST_CONTEXT(malformed) {
            BOOST_CHECK_THROW(Provider(library(), {{"address", malformed}}), ConfigError);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(proxies, PlainFixture)

BOOST_AUTO_TEST_CASE(a_loopback_vault_never_goes_through_the_standard_proxies) {
    seed(server, "direct/meeting", default_pair());
    const FakeProxy proxy;
    const ScopedVariable http("http_proxy", proxy.url().c_str());
    const ScopedVariable https("https_proxy", proxy.url().c_str());
    const ScopedVariable all("ALL_PROXY", proxy.url().c_str());
    const auto port = server.address().substr(server.address().rfind(':'));
    for (const std::string& address : {server.address(), "http://localhost" + port}) {
        BOOST_TEST_CONTEXT("address " << address) {
            Provider provider(library(), options("direct/meeting", {{"address", address}}));
            BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
        }
    }
    BOOST_TEST(proxy.requests() == 0);
}

BOOST_AUTO_TEST_CASE(other_hosts_use_http_proxy_unless_no_proxy_names_them) {
    const FakeProxy proxy;
    const ScopedVariable http("http_proxy", proxy.url().c_str());
    const Options remote = options("p", {{"address", "http://vault.invalid:8200"}, {"max-retries", "0"}});
    {
        Provider provider(library(), remote);
        BOOST_TEST(provider.fetch("meeting", deadline).credential->key == "proxied-key");
    }
    BOOST_TEST(proxy.requests() == 1);
    {
        const ScopedVariable none("NO_PROXY", "example.com,vault.invalid");
        Provider provider(library(), remote);
        BOOST_TEST(failure_of(provider).status == SDKSIGN_E_UNAVAILABLE,
                   "vault.invalid is looked up directly");
    }
    BOOST_TEST(proxy.requests() == 1);
}

BOOST_AUTO_TEST_CASE(never_uses_the_upper_case_http_proxy_of_a_cgi_request) {
    const FakeProxy proxy;
    const ScopedVariable httpoxy("HTTP_PROXY", proxy.url().c_str());
    Provider provider(library(),
                      options("p", {{"address", "http://vault.invalid:8200"}, {"max-retries", "0"}}));
    BOOST_TEST(failure_of(provider).status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(proxy.requests() == 0);
}

BOOST_AUTO_TEST_CASE(vault_proxy_addr_then_vault_http_proxy_carry_every_request) {
    const FakeProxy chosen;
    const FakeProxy passed_over;
    const ScopedVariable http("http_proxy", passed_over.url().c_str());
    const ScopedVariable none("NO_PROXY", "*");
    {
        const ScopedVariable vault_proxy("VAULT_HTTP_PROXY", chosen.url().c_str());
        Provider provider(library(), options("p"));
        BOOST_TEST(provider.fetch("meeting", deadline).credential->key == "proxied-key",
                   "even a loopback Vault, as the Go client's http.ProxyURL");
    }
    {
        const ScopedVariable vault_proxy("VAULT_HTTP_PROXY", passed_over.url().c_str());
        const ScopedVariable proxy_addr("VAULT_PROXY_ADDR", chosen.url().c_str());
        Provider provider(library(), options("p"));
        BOOST_TEST(provider.fetch("meeting", deadline).credential->key == "proxied-key");
    }
    BOOST_TEST(chosen.requests() == 2);
    BOOST_TEST(passed_over.requests() == 0);
    const ScopedVariable malformed("VAULT_PROXY_ADDR", "proxy:3128");
    BOOST_CHECK_THROW(Provider(library(), options("p")), ConfigError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(kv_errors, PlainFixture)

BOOST_AUTO_TEST_CASE(reports_a_missing_secret_as_not_found) {
    Provider provider(library(), options("nowhere/meeting"));
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_NOT_FOUND);
    BOOST_TEST(contains(failure.message, "no secret at secret/data/nowhere/meeting"));
    BOOST_TEST(contains(failure.message, "kv-version = 1"), "the hint for a v1 mount read as v2");
}

BOOST_AUTO_TEST_CASE(reports_deleted_and_destroyed_versions_as_such) {
    seed(server, "deleted/meeting", default_pair());
    server.control("kv/delete", R"({"path":"deleted/meeting"})");
    Provider deleted(library(), options("deleted/meeting"));
    const auto soft = failure_of(deleted);
    BOOST_TEST(soft.status == SDKSIGN_E_NOT_FOUND);
    BOOST_TEST(contains(soft.message, "version 1 of secret secret/data/deleted/meeting is deleted"),
               soft.message);

    seed(server, "destroyed/meeting", default_pair());
    server.control("kv/destroy", R"({"path":"destroyed/meeting"})");
    Provider destroyed(library(), options("destroyed/meeting"));
    const auto hard = failure_of(destroyed);
    BOOST_TEST(hard.status == SDKSIGN_E_NOT_FOUND);
    BOOST_TEST(contains(hard.message, "is destroyed"), hard.message);

    server.control("kv/undelete", R"({"path":"deleted/meeting"})");
    BOOST_TEST(deleted.fetch("meeting", deadline).credential->key == test_key);
}

BOOST_AUTO_TEST_CASE(reports_a_v1_read_of_a_v2_mount_as_a_configuration_error) {
    seed(server, "v2only/meeting", default_pair());
    Provider provider(library(), options("v2only/meeting", {{"kv-version", "1"}}));
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_CONFIG);
    BOOST_TEST(contains(failure.message, "set kv-version = 2"), failure.message);
}

BOOST_AUTO_TEST_CASE(reports_missing_empty_and_non_string_fields) {
    seed(server, "fields/missing", R"({"key":"k"})");
    seed(server, "fields/empty", R"({"key":"k","secret":""})");
    seed(server, "fields/number", R"({"key":"k","secret":12})");
    Provider missing(library(), options("fields/missing"));
    const auto absent = failure_of(missing);
    BOOST_TEST(absent.status == SDKSIGN_E_NOT_FOUND);
    BOOST_TEST(contains(absent.message, "has no field 'secret'"));
    Provider empty(library(), options("fields/empty"));
    BOOST_TEST(failure_of(empty).status == SDKSIGN_E_INVALID);
    Provider number(library(), options("fields/number"));
    BOOST_TEST(failure_of(number).status == SDKSIGN_E_INVALID);
}

BOOST_AUTO_TEST_CASE(names_the_acl_path_when_permission_is_denied) {
    seed(server, "acl/meeting", default_pair());
    const auto token =
        VaultTestServer::field(server.control("token", R"({"paths":["secret/data/other/*"]})"), "token");
    Provider provider(library(), options("acl/meeting", {{"token", token}}));
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_DENIED);
    BOOST_TEST(contains(failure.message, "permission denied"));
    BOOST_TEST(contains(failure.message, "\"secret/data/acl/meeting\""), failure.message);
    BOOST_TEST(!contains(failure.message, token));
    BOOST_TEST(count_requests("/acl/") == 1, "a denial is final, never retried");
}

BOOST_AUTO_TEST_CASE(reports_an_invalid_token_without_quoting_it) {
    seed(server, "badtoken/meeting", default_pair());
    const std::string token = "hvs.not-a-real-token-value";
    Provider provider(library(), options("badtoken/meeting", {{"token", token}}));
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_DENIED);
    BOOST_TEST(contains(failure.message, "invalid"));
    BOOST_TEST(!contains(failure.message, token));
    BOOST_TEST(!contains(failure.message, test_secret));
}

BOOST_AUTO_TEST_CASE(says_so_when_no_token_is_configured) {
    seed(server, "notoken/meeting", default_pair());
    Provider provider(library(), options("notoken/meeting", {{"token", ""}}));
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_DENIED);
    BOOST_TEST(contains(failure.message, "without a token"), failure.message);
    BOOST_TEST(server.requests().at(0).token.empty());
}

BOOST_AUTO_TEST_CASE(reports_a_sealed_vault_as_unavailable) {
    seed(server, "sealed/meeting", default_pair());
    server.control("seal");
    Provider provider(library(), options("sealed/meeting"));
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(contains(failure.message, "sealed"), failure.message);
    BOOST_TEST(count_requests("/sealed/") == 3, "503 is retried: 3 tries with the default 2 retries");
    server.control("unseal");
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
}

BOOST_AUTO_TEST_CASE(reports_an_unreachable_vault_within_the_deadline) {
    server.control("go-away");
    Provider provider(library(), options("gone/meeting"));
    const auto start = std::chrono::steady_clock::now();
    const auto failure = failure_of(provider, "meeting", 2000ms);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(contains(failure.message, "cannot reach Vault at " + server.address()), failure.message);
    BOOST_TEST(elapsed_since(start) < 4000ms, "it stops within the deadline");
    server.control("come-back");
    seed(server, "gone/meeting", default_pair());
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
}

BOOST_AUTO_TEST_CASE(reads_answers_up_to_32_mib_and_refuses_larger_ones_without_asking_again) {
    // 200 KB of '<' make an answer of 1.2 MB: Vault's JSON writes each as \u003c.
    seed(server, "large/meeting",
         std::string(R"({"key":")") + test_key + R"(","secret":")" + test_secret + R"(","notes":")" +
             std::string(200000, '<') + R"("})");
    Provider provider(library(), options("large/meeting"));
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    server.clear_requests();
    server.control("faults", R"({"kind":"large","bytes":34000000,"count":3})");
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_INVALID);
    BOOST_TEST(contains(failure.message, "answered more than 32 MiB for secret/data/large/meeting"),
               failure.message);
    BOOST_TEST(count_requests("/large/") == 1, "an answer too large is not downloaded again");
}

BOOST_AUTO_TEST_CASE(never_prints_a_password_in_the_address) {
    seed(server, "userinfo/meeting", default_pair());
    const std::string with_password = "http://sdksign:pa55word@127.0.0.1:" + std::to_string(server.port());
    Provider provider(library(), options("userinfo/meeting", {{"address", with_password}}));
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    server.control("seal");
    const auto sealed = failure_of(provider);
    BOOST_TEST(contains(sealed.message, "Vault at http://sdksign:***@127.0.0.1:"), sealed.message);
    Provider unreachable(library(),
                         options("userinfo/meeting",
                                 {{"address", "http://sdksign:pa55word@127.0.0.1:1"}, {"max-retries", "0"}}));
    const auto refused = failure_of(unreachable);
    BOOST_TEST(contains(refused.message, "http://sdksign:***@127.0.0.1:1"), refused.message);
    std::string startup;
    try {
        Provider malformed(library(), {{"address", "ftp://sdksign:pa55word@vault"}});
    } catch (const ConfigError& e) {
        startup = e.what();
    }
    BOOST_TEST(contains(startup, "ftp://sdksign:***@vault"), startup);
    for (const auto& message : {sealed.message, refused.message, startup}) {
        BOOST_TEST(!contains(message, "pa55word"), message);
    }
}

BOOST_AUTO_TEST_CASE(names_a_mistyped_mount_as_such) {
    seed(server, "mounts/meeting", default_pair());
    Provider secrets(library(), options("mounts/meeting", {{"mount", "secrets"}}));
    const auto kv = failure_of(secrets);
    BOOST_TEST(kv.status == SDKSIGN_E_CONFIG);
    BOOST_TEST(contains(kv.message, "no such mount (is the secrets engine mounted at secrets?)"), kv.message);
    BOOST_TEST(!contains(kv.message, "kv-version"), kv.message);

    Provider approle(
        library(),
        options("mounts/meeting",
                {{"token", ""}, {"auth", "approle"}, {"approle-mount", "nomount"}, {"role-id", "r"}}));
    const auto login = failure_of(approle);
    BOOST_TEST(login.status == SDKSIGN_E_CONFIG);
    BOOST_TEST(contains(login.message, "no such mount (is the auth method mounted at nomount?)"),
               login.message);
    BOOST_TEST(count_requests("/v1/auth/nomount/login") == 1, "a configuration error is not retried");
}

BOOST_AUTO_TEST_CASE(refuses_an_unasked_for_wrapped_answer) {
    seed(server, "wrapped/meeting", default_pair());
    server.control("faults", R"({"kind":"wrap"})");
    Provider provider(library(), options("wrapped/meeting"));
    BOOST_TEST(failure_of(provider).status == SDKSIGN_E_INVALID);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(retries_and_redirects, PlainFixture)

BOOST_AUTO_TEST_CASE(retries_what_the_go_client_retries) {
    seed(server, "retry/meeting", default_pair());
    struct Case {
        const char* fault;
        int tries;
    };
    const std::vector<Case> cases = {
        {R"({"kind":"status","status":429,"retry_after":0,"count":2})", 3},
        {R"({"kind":"status","status":412,"count":1})", 2},
        {R"({"kind":"status","status":500,"count":2})", 3},
        {R"({"kind":"status","status":502,"count":1})", 2},
        {R"({"kind":"status","status":400,"count":1,"errors":["Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly."]})",
         2},
        {R"({"kind":"drop","count":2})", 3},
    };
    Provider provider(library(), options("retry/meeting"));
    for (const auto& test_case : cases) {
        BOOST_TEST_CONTEXT(test_case.fault) {
            server.clear_requests();
            server.control("faults", test_case.fault);
            BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
            BOOST_TEST(count_requests("/retry/") == test_case.tries);
        }
    }
}

BOOST_AUTO_TEST_CASE(does_not_retry_final_answers_or_beyond_max_retries) {
    seed(server, "final/meeting", default_pair());
    Provider provider(library(), options("final/meeting"));
    for (const int status : {501, 400, 405}) {
        BOOST_TEST_CONTEXT(status) {
            server.clear_requests();
            server.control("faults", R"({"kind":"status","status":)" + std::to_string(status) + "}");
            BOOST_TEST(failure_of(provider).status == SDKSIGN_E_UNAVAILABLE);
            BOOST_TEST(count_requests("/final/") == 1);
        }
    }
    Provider no_retries(library(), options("final/meeting", {{"max-retries", "0"}}));
    server.clear_requests();
    server.control("faults", R"({"kind":"status","status":500,"count":1})");
    const auto failure = failure_of(no_retries);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(contains(failure.message, "HTTP 500"), failure.message);
    BOOST_TEST(count_requests("/final/") == 1);
}

BOOST_AUTO_TEST_CASE(gives_up_at_once_when_retry_after_outlasts_the_deadline_and_waits_as_told) {
    seed(server, "ratelimit/meeting", default_pair());
    // Retry-After as delay-seconds and as an HTTP date.
    for (const char* header : {R"("retry_after":30)", R"("retry_after_date":30)"}) {
        BOOST_TEST_CONTEXT(header) {
            server.clear_requests();
            server.control("faults",
                           std::string(R"({"kind":"status","status":429,"count":5,)") + header + "}");
            Provider provider(library(), options("ratelimit/meeting"));
            const auto start = std::chrono::steady_clock::now();
            const auto failure = failure_of(provider);
            BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
            BOOST_TEST(contains(failure.message, "rate limiting"), failure.message);
            BOOST_TEST(elapsed_since(start) < 2000ms, "it stops without waiting 30 s");
            BOOST_TEST(count_requests("/ratelimit/") == 1);
            // The next fetches, as the refresher retries, do not ask Vault before the time it named.
            for (int again = 0; again < 3; ++again) {
                const auto waiting = failure_of(provider);
                BOOST_TEST(waiting.status == SDKSIGN_E_UNAVAILABLE);
                BOOST_TEST(contains(waiting.message, "asked (Retry-After) not to be asked again for"),
                           waiting.message);
            }
            BOOST_TEST(count_requests("/ratelimit/") == 1);
            server.control("faults/clear");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_slow_vault_never_holds_a_fetch_past_its_deadline) {
    seed(server, "slow/meeting", default_pair());
    server.control("faults", R"({"kind":"slow","delay_ms":4000,"count":3})");
    Provider provider(library(), options("slow/meeting"));
    const auto start = std::chrono::steady_clock::now();
    const auto failure = failure_of(provider, "meeting", 700ms);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(elapsed_since(start) < 1500ms, "it stops within the deadline");
}

BOOST_AUTO_TEST_CASE(follows_one_redirect_and_no_more) {
    seed(server, "redirect/meeting", default_pair());
    Provider provider(library(), options("redirect/meeting"));
    server.control("faults", R"({"kind":"redirect","location":")" + server.address() + R"(","count":1})");
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    BOOST_TEST(count_requests("/redirect/") == 2);
    server.control("faults", R"({"kind":"redirect","location":")" + server.address() + R"(","count":2})");
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(contains(failure.message, "redirected more than once"), failure.message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(token_sources, PlainFixture)

BOOST_AUTO_TEST_CASE(reads_vault_addr_and_vault_token_with_options_winning) {
    seed(server, "env/meeting", default_pair());
    const ScopedVariable address("VAULT_ADDR", server.address().c_str());
    const ScopedVariable token("VAULT_TOKEN", "root");
    Provider from_environment(library(), {{"path", "env/meeting"}});
    BOOST_TEST(from_environment.fetch("meeting", deadline).credential->key == test_key);
    {
        const ScopedVariable agent("VAULT_AGENT_ADDR", "http://127.0.0.1:1");
        Provider through_agent(library(), {{"path", "env/meeting"}, {"max-retries", "0"}});
        BOOST_TEST(contains(failure_of(through_agent).message, "http://127.0.0.1:1"),
                   "VAULT_AGENT_ADDR overrides VAULT_ADDR");
        Provider option_wins(library(), {{"path", "env/meeting"}, {"address", server.address()}});
        BOOST_TEST(option_wins.fetch("meeting", deadline).credential->key == test_key);
    }
    const ScopedVariable bad_token("VAULT_TOKEN", "hvs.wrong");
    Provider token_option_wins(library(), {{"path", "env/meeting"}, {"token", "root"}});
    BOOST_TEST(token_option_wins.fetch("meeting", deadline).credential->key == test_key);
}

BOOST_AUTO_TEST_CASE(a_token_file_option_wins_over_vault_token) {
    seed(server, "winner/meeting", default_pair());
    const ScopedVariable token("VAULT_TOKEN", "hvs.from-the-environment");
    const auto file = server.dir() / "winner-token";
    replace_file(file, "root");
    Provider provider(
        library(),
        {{"address", server.address()}, {"path", "winner/meeting"}, {"token-file", file.string()}});
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 1U);
    BOOST_TEST(seen[0].token == "root", "the token file's token, not VAULT_TOKEN's");
}

BOOST_AUTO_TEST_CASE(empty_vault_variables_count_as_unset) {
    seed(server, "empty/meeting", default_pair());
    const ScopedVariable address("VAULT_ADDR", server.address().c_str());
    for (const char* name :
         {"VAULT_AGENT_ADDR", "VAULT_NAMESPACE", "VAULT_CACERT", "VAULT_CAPATH", "VAULT_CLIENT_CERT",
          "VAULT_CLIENT_KEY", "VAULT_TLS_SERVER_NAME", "VAULT_SKIP_VERIFY", "VAULT_CLIENT_TIMEOUT",
          "VAULT_MAX_RETRIES", "VAULT_HTTP_PROXY", "VAULT_PROXY_ADDR"}) {
        for (const char* value : {"", " "}) {
            BOOST_TEST_CONTEXT(name << "='" << value << "'") {
                const ScopedVariable empty(name, value);
                Provider provider(library(), {{"path", "empty/meeting"}, {"token", "root"}});
                BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
            }
        }
    }
    // An empty VAULT_ADDR leaves the agent's address, an empty VAULT_AGENT_ADDR the server's.
    const ScopedVariable no_address("VAULT_ADDR", "");
    const ScopedVariable agent("VAULT_AGENT_ADDR", server.address().c_str());
    Provider through_agent(library(), {{"path", "empty/meeting"}, {"token", "root"}});
    BOOST_TEST(through_agent.fetch("meeting", deadline).credential->key == test_key);
}

BOOST_AUTO_TEST_CASE(refuses_malformed_settings_at_start_up) {
    const auto refused = [](const Options& options, const std::string& fragment) {
        try {
            Provider provider(library(), options);
            BOOST_ERROR("accepted: " << fragment);
        } catch (const ConfigError& e) {
            BOOST_TEST(contains(e.what(), fragment), e.what());
        }
    };
    refused({{"colour", "blue"}}, "unknown option 'colour'");
    refused({{"address", "ftp://vault"}}, "must start with https:// or http://");
    refused({{"kv-version", "3"}}, "1 or 2");
    refused({{"skip-verify", "maybe"}}, "option 'skip-verify'");
    refused({{"timeout", "soon"}}, "option 'timeout'");
    refused({{"refresh-interval", "0"}}, "option 'refresh-interval'");
    refused({{"auth", "ldap"}}, "option 'auth'");
    refused({{"auth", "approle"}}, "role-id");
    refused({{"auth", "kubernetes"}}, "kubernetes-role");
    refused({{"token", "a"}, {"token-file", "/x"}}, "not both");
    refused({{"client-cert", "/c.pem"}}, "both or neither");
    refused({{"path", "a//b"}}, "option 'path' (a//b) has an empty");
    refused({{"path", "team/../other"}}, "option 'path'");
    refused({{"video-path", "./video"}}, "option 'video-path'");
    refused({{"mount", "kv/.."}}, "option 'mount'");
    refused({{"auth", "approle"}, {"role-id", "r"}, {"approle-mount", "app//role"}},
            "option 'approle-mount'");
    refused({{"auth", "kubernetes"}, {"kubernetes-role", "r"}, {"kubernetes-mount", "../k8s"}},
            "option 'kubernetes-mount'");
    {
        const ScopedVariable variable("VAULT_SKIP_VERIFY", "yes please");
        refused({}, "VAULT_SKIP_VERIFY");
    }
    {
        const ScopedVariable variable("VAULT_CLIENT_TIMEOUT", "10 parsecs");
        refused({}, "VAULT_CLIENT_TIMEOUT");
    }
    {
        const ScopedVariable variable("VAULT_MAX_RETRIES", "-1");
        refused({}, "VAULT_MAX_RETRIES");
    }
    {
        const ScopedVariable variable("VAULT_ADDR", "vault.example.com:8200");
        refused({}, "VAULT_ADDR");
    }
    {
        const ScopedVariable variable("VAULT_CLIENT_KEY", "/k.pem");
        refused({}, "both or neither");
    }
    {
        // Well-formed values are accepted, in Go's spellings.
        const ScopedVariable skip("VAULT_SKIP_VERIFY", "True");
        const ScopedVariable timeout("VAULT_CLIENT_TIMEOUT", "1m30s");
        const ScopedVariable retries("VAULT_MAX_RETRIES", "4");
        BOOST_CHECK_NO_THROW(Provider(library(), {}));
        for (const char* go_duration : {"1.5s", "0", "250ms", "2d"}) {
            const ScopedVariable fractional("VAULT_CLIENT_TIMEOUT", go_duration);
            BOOST_CHECK_NO_THROW(Provider(library(), {}));
        }
        for (const char* count : {"15", "1000"}) {
            const ScopedVariable many("VAULT_MAX_RETRIES", count);
            BOOST_CHECK_NO_THROW(Provider(library(), {}));
        }
    }
}

BOOST_AUTO_TEST_CASE(rereads_a_token_file_when_it_changes_and_before_failing_on_an_invalid_token) {
    seed(server, "file/meeting", default_pair());
    const auto first =
        VaultTestServer::field(server.control("token", R"({"token":"hvs.file-token-0001"})"), "token");
    const auto file = server.dir() / "agent-token";
    replace_file(file, first + "\n");
    Provider provider(library(), options("file/meeting", {{"token", ""}, {"token-file", file.string()}}));
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);

    // The agent logs in again and renames a new token over the file.
    const auto second =
        VaultTestServer::field(server.control("token", R"({"token":"hvs.file-token-0002"})"), "token");
    server.control("token/revoke", R"({"token":")" + first + R"("})");
    replace_file(file, second);
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);

    // Rewritten in place with the same size and time stamp, the change is invisible to stat(); the 403
    // invalid token makes the provider read the file once more.
    const auto third =
        VaultTestServer::field(server.control("token", R"({"token":"hvs.file-token-0003"})"), "token");
    struct stat before { };
    BOOST_REQUIRE(::stat(file.c_str(), &before) == 0);
    server.control("token/revoke", R"({"token":")" + second + R"("})");
    {
        std::fstream in_place(file, std::ios::in | std::ios::out);
        in_place << third;
    }
    const std::array<timespec, 2> times = {before.st_atim, before.st_mtim};
    BOOST_REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times.data(), 0) == 0);
    server.clear_requests();
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 2U);
    BOOST_TEST(seen[0].token == second);
    BOOST_TEST(seen[0].status == 403);
    BOOST_TEST(seen[1].token == third);

    // Revoked with no replacement: denied, naming the file, never quoting the token.
    server.control("token/revoke", R"({"token":")" + third + R"("})");
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_DENIED);
    BOOST_TEST(contains(failure.message, file.string()), failure.message);
    BOOST_TEST(!contains(failure.message, third));
}

BOOST_AUTO_TEST_CASE(a_missing_token_file_is_unavailable_until_it_appears) {
    seed(server, "late/meeting", default_pair());
    const auto file = server.dir() / "late-token";
    std::filesystem::remove(file);
    Provider provider(library(), options("late/meeting", {{"token", ""}, {"token-file", file.string()}}));
    // It waits up to half the deadline for the file: a short one keeps the test short.
    const auto failure = failure_of(provider, "meeting", 200ms);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(contains(failure.message, "the token file " + file.string() + " does not exist (waited"),
               failure.message);
    replace_file(file, "root");
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
}

BOOST_AUTO_TEST_CASE(waits_within_the_deadline_for_a_token_file_not_yet_written) {
    seed(server, "starting/meeting", default_pair());
    const auto file = server.dir() / "starting-token";
    std::filesystem::remove(file);
    Provider provider(library(), options("starting/meeting", {{"token", ""}, {"token-file", file.string()}}));
    CapturedStderr captured;
    Failure outcome{-1, "not fetched"};
    std::thread fetching([&] { outcome = failure_of(provider, "meeting", 20000ms); });
    // Vault Agent writes its token once sdksign says it waits for it (a bounded wait for that line).
    for (int i = 0; i < 1000 && !contains(captured.so_far(), "waiting for the token file"); ++i) {
        std::this_thread::sleep_for(10ms);
    }
    replace_file(file, "root");
    fetching.join();
    const auto lines = captured.lines();
    BOOST_TEST(outcome.status == SDKSIGN_OK, outcome.message);
    BOOST_REQUIRE_EQUAL(lines.size(), 1U);
    BOOST_TEST(contains(lines[0], "warn vault: waiting for the token file " + file.string() + " to appear"),
               lines[0]);
}

BOOST_AUTO_TEST_CASE(token_role_id_and_secret_id_files_get_the_file_providers_permission_rules) {
    seed(server, "modes/meeting", default_pair());
    const auto role = server.control("approle", R"({"role_name":"modes","token_ttl":600})");
    const std::string role_id = VaultTestServer::field(role, "role_id");
    const std::string secret_id = VaultTestServer::field(role, "secret_id");
    struct Row {
        const char* option;
        mode_t mode;
        int status;
        bool warns;
    };
    const std::vector<Row> rows = {
        {"token-file", 0600, SDKSIGN_OK, false},
        {"token-file", 0640, SDKSIGN_OK, true},
        {"token-file", 0604, SDKSIGN_OK, true},
        {"token-file", 0620, SDKSIGN_E_DENIED, false},
        {"token-file", 0602, SDKSIGN_E_DENIED, false},
        {"role-id-file", 0600, SDKSIGN_OK, false},
        {"role-id-file", 0644, SDKSIGN_OK, true},
        {"role-id-file", 0660, SDKSIGN_E_DENIED, false},
        {"secret-id-file", 0400, SDKSIGN_OK, false},
        {"secret-id-file", 0640, SDKSIGN_OK, true},
        {"secret-id-file", 0622, SDKSIGN_E_DENIED, false},
    };
    int number = 0;
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.option << " mode " << std::oct << row.mode) {
            const std::string option = row.option;
            const auto file = server.dir() / ("mode-" + std::to_string(++number));
            const auto other = server.dir() / ("mode-other-" + std::to_string(number));
            Options extra = {{"token", ""}, {row.option, file.string()}};
            std::string contents = "root";
            if (option != "token-file") {
                contents = option == "role-id-file" ? role_id : secret_id;
                write_file(other, option == "role-id-file" ? secret_id : role_id);
                extra.push_back({"auth", "approle"});
                extra.push_back(
                    {option == "role-id-file" ? "secret-id-file" : "role-id-file", other.string()});
            }
            write_file(file, contents + "\n");
            BOOST_REQUIRE(::chmod(file.c_str(), row.mode) == 0);
            Provider provider(library(), options("modes/meeting", extra));
            CapturedStderr captured;
            const auto failure = failure_of(provider);
            const auto again = failure_of(provider);
            const auto warnings = captured.lines();
            BOOST_TEST(failure.status == row.status, failure.message);
            BOOST_TEST(again.status == row.status, again.message);
            if (row.status != SDKSIGN_OK) {
                BOOST_TEST(contains(failure.message, file.string() + " is writable by group or others"),
                           failure.message);
                BOOST_TEST(!contains(failure.message, contents), "the message never quotes the file");
            }
            // Once per file, not once per read.
            BOOST_TEST(warnings.size() == (row.warns ? 1U : 0U));
            for (const auto& line : warnings) {
                BOOST_TEST(contains(line, "warn vault: " + file.string() + " can be read by group or others"),
                           line);
                BOOST_TEST(!contains(line, contents));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(logs_in_with_approle_from_options_and_files) {
    seed(server, "approle/meeting", default_pair());
    const auto role = server.control("approle", R"({"role_name":"sdksign","token_ttl":600})");
    const auto role_id = VaultTestServer::field(role, "role_id");
    const auto secret_id = VaultTestServer::field(role, "secret_id");
    Provider inline_ids(
        library(),
        options("approle/meeting",
                {{"token", ""}, {"auth", "approle"}, {"role-id", role_id}, {"secret-id", secret_id}}));
    const auto result = inline_ids.fetch("meeting", deadline);
    BOOST_TEST(result.credential->key == test_key);
    BOOST_TEST(result.refresh_after_s == 300U, "the token lasts longer than the refresh interval");
    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 2U);
    BOOST_TEST(seen[0].path == "/v1/auth/approle/login");
    BOOST_TEST(seen[0].token.empty());
    BOOST_TEST(seen[1].token.starts_with("hvs."));

    const auto custom = server.control("approle", R"({"mount":"apps/approle","role_name":"files"})");
    const auto role_file = server.dir() / "role-id";
    const auto secret_file = server.dir() / "secret-id";
    write_file(role_file, VaultTestServer::field(custom, "role_id") + "\n");
    write_file(secret_file, VaultTestServer::field(custom, "secret_id") + "\n");
    Provider from_files(library(),
                        options("approle/meeting",
                                {{"token", ""},
                                 {"auth", "approle"},
                                 {"approle-mount", "apps/approle"},
                                 {"role-id-file", role_file.string()},
                                 {"secret-id-file", secret_file.string()}}));
    BOOST_TEST(from_files.fetch("meeting", deadline).credential->key == test_key);

    Provider wrong(
        library(),
        options(
            "approle/meeting",
            {{"token", ""}, {"auth", "approle"}, {"role-id", role_id}, {"secret-id", "not-the-secret-id"}}));
    const auto failure = failure_of(wrong);
    BOOST_TEST(failure.status == SDKSIGN_E_DENIED);
    BOOST_TEST(contains(failure.message, "invalid role or secret ID"), failure.message);
    BOOST_TEST(!contains(failure.message, "not-the-secret-id"));
}

BOOST_AUTO_TEST_CASE(renews_at_two_thirds_of_the_ttl_and_logs_in_again_when_capped) {
    seed(server, "renew/meeting", default_pair());
    // TTL 3 s, max TTL 5 s: renewed at 2 s (capped to the 3 s left), then replaced by a login at 4 s.
    const auto role = server.control("approle", R"({"role_name":"short","token_ttl":3,"token_max_ttl":5})");
    Provider provider(library(),
                      options("renew/meeting",
                              {{"token", ""},
                               {"auth", "approle"},
                               {"role-id", VaultTestServer::field(role, "role_id")},
                               {"secret-id", VaultTestServer::field(role, "secret_id")}}));
    const auto first = provider.fetch("meeting", deadline);
    BOOST_TEST(first.refresh_after_s <= 2U, "the host comes back before the renewal is due");
    std::this_thread::sleep_for(2100ms);
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    BOOST_TEST(count_requests("/auth/token/renew-self") == 1);
    BOOST_TEST(count_requests("/auth/approle/login") == 1);
    std::this_thread::sleep_for(2100ms);
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    BOOST_TEST(count_requests("/auth/token/renew-self") == 1, "a capped token is not renewed again");
    BOOST_TEST(count_requests("/auth/approle/login") == 2, "it is replaced by a fresh login");
}

BOOST_AUTO_TEST_CASE(logs_in_again_when_renewal_is_refused_or_the_token_revoked) {
    seed(server, "refused/meeting", default_pair());
    const auto role = server.control("approle", R"({"role_name":"fixed","token_ttl":3,"renewable":false})");
    Provider provider(library(),
                      options("refused/meeting",
                              {{"token", ""},
                               {"auth", "approle"},
                               {"role-id", VaultTestServer::field(role, "role_id")},
                               {"secret-id", VaultTestServer::field(role, "secret_id")}}));
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    std::this_thread::sleep_for(2100ms);
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    BOOST_TEST(count_requests("/auth/token/renew-self") == 0, "a token that is not renewable is replaced");
    BOOST_TEST(count_requests("/auth/approle/login") == 2);

    // Revoked behind the provider's back: the 403 invalid token brings a fresh login and one more try.
    const auto seen = server.requests();
    server.control("token/revoke", R"({"token":")" + seen.back().token + R"("})");
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    BOOST_TEST(count_requests("/auth/approle/login") == 3);
}

BOOST_AUTO_TEST_CASE(logs_in_with_a_kubernetes_service_account_token) {
    seed(server, "k8s/meeting", default_pair());
    const std::string jwt = "eyJhbGciOiJSUzI1NiJ9.service-account.test";
    server.control("kubernetes", R"({"mount":"k8s-prod","role":"sdksign","jwt":")" + jwt + R"("})");
    const auto jwt_file = server.dir() / "sa-token";
    write_file(jwt_file, jwt);
    Provider provider(library(),
                      options("k8s/meeting",
                              {{"token", ""},
                               {"auth", "kubernetes"},
                               {"kubernetes-mount", "k8s-prod"},
                               {"kubernetes-role", "sdksign"},
                               {"kubernetes-token-file", jwt_file.string()}}));
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    BOOST_TEST(count_requests("/v1/auth/k8s-prod/login") == 1);

    write_file(jwt_file, "eyJ.another-cluster.token");
    Provider wrong(library(),
                   options("k8s/meeting",
                           {{"token", ""},
                            {"auth", "kubernetes"},
                            {"kubernetes-mount", "k8s-prod"},
                            {"kubernetes-role", "sdksign"},
                            {"kubernetes-token-file", jwt_file.string()}}));
    const auto failure = failure_of(wrong);
    BOOST_TEST(failure.status == SDKSIGN_E_DENIED);
    BOOST_TEST(!contains(failure.message, "another-cluster"));
}

BOOST_AUTO_TEST_SUITE_END()

/// One HTTPS server per suite, with its CA, certificates and (optionally) mandatory client certificates.
struct TlsFixture {
    TlsFixture() { clear_vault_environment(); }
    static VaultTestServer& server() {
        static VaultTestServer tls({"--tls-dir", "{tls}"});
        return tls;
    }
    /// A second server with the first one's certificates, to redirect to.
    static VaultTestServer& second() {
        static VaultTestServer tls({"--tls-dir", server().tls_dir().string(), "--reuse-certificates"});
        return tls;
    }
    static VaultTestServer& mutual() {
        static VaultTestServer tls({"--tls-dir", "{tls}", "--require-client-cert"});
        return tls;
    }
    static Options options(const VaultTestServer& target, Options extra) {
        Options all = {{"address", target.address("https")},
                       {"token", "root"},
                       {"path", "tls/meeting"},
                       {"retry-wait-ms", "50"}};
        all.insert(all.end(), extra.begin(), extra.end());
        return all;
    }
    static std::string file(const VaultTestServer& target, const char* name) {
        return (target.tls_dir() / name).string();
    }
    /// Connections the server accepted, whether their handshake succeeded or not.
    static int connections(const VaultTestServer& target) {
        rapidjson::Document state;
        state.Parse(target.inspect("state").c_str());
        return state["tls_connections"].GetInt();
    }
};

BOOST_FIXTURE_TEST_SUITE(tls, TlsFixture)

BOOST_AUTO_TEST_CASE(verifies_the_server_with_the_configured_ca) {
    auto& https = server();
    seed(https, "tls/meeting", default_pair());
    Provider right(library(), options(https, {{"ca-cert", file(https, "ca.pem")}}));
    BOOST_TEST(right.fetch("meeting", deadline).credential->key == test_key);

    Provider wrong(library(), options(https, {{"ca-cert", file(https, "wrong-ca.pem")}}));
    https.clear_requests();
    const auto failure = failure_of(wrong);
    BOOST_TEST(failure.status == SDKSIGN_E_CONFIG);
    BOOST_TEST(contains(failure.message, "TLS failure"), failure.message);
    BOOST_TEST(https.requests().empty(), "nothing is sent to an unverified server");

    Provider system_roots(library(), options(https, {}));
    BOOST_TEST(contains(failure_of(system_roots).message, "TLS failure"));

    const ScopedVariable ca("VAULT_CACERT", file(https, "ca.pem").c_str());
    Provider from_environment(library(), options(https, {}));
    BOOST_TEST(from_environment.fetch("meeting", deadline).credential->key == test_key);
}

BOOST_AUTO_TEST_CASE(a_ca_folder_holds_pem_files_of_any_name) {
    auto& https = server();
    seed(https, "tls/meeting", default_pair());
    const auto folder = https.dir() / "ca-folder";
    const auto wrong = https.dir() / "wrong-ca-folder";
    const auto mixed = https.dir() / "mixed-ca-folder";
    for (const auto& made : {folder, wrong, mixed / "nested"}) {
        std::filesystem::create_directories(made);
    }
    // No OpenSSL hash links: a file named ca.pem alone, as Vault's Go client reads it.
    std::filesystem::copy_file(file(https, "ca.pem"), folder / "ca.pem",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(file(https, "wrong-ca.pem"), wrong / "ca.pem",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(file(https, "wrong-ca.pem"), mixed / "a-wrong.crt",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(file(https, "ca.pem"), mixed / "nested" / "right",
                               std::filesystem::copy_options::overwrite_existing);
    Provider from_option(library(), options(https, {{"ca-path", folder.string()}}));
    BOOST_TEST(from_option.fetch("meeting", deadline).credential->key == test_key);
    Provider every_file(library(), options(https, {{"ca-path", mixed.string()}}));
    BOOST_TEST(every_file.fetch("meeting", deadline).credential->key == test_key);
    {
        const ScopedVariable variable("VAULT_CAPATH", folder.c_str());
        Provider from_environment(library(), options(https, {}));
        BOOST_TEST(from_environment.fetch("meeting", deadline).credential->key == test_key);
    }
    Provider untrusted(library(), options(https, {{"ca-path", wrong.string()}}));
    BOOST_TEST(contains(failure_of(untrusted).message, "TLS failure"));

    write_file(mixed / "README", "not a certificate\n");
    struct Refused {
        std::string folder;
        std::string says;
    };
    const std::vector<Refused> refused = {
        {(https.dir() / "no-such-folder").string(), "does not exist"},
        {file(https, "ca.pem"), "is not a folder"},
        {mixed.string(), (mixed / "README").string() + " in the CA folder holds no PEM certificate"},
    };
    for (const auto& row : refused) {
        BOOST_TEST_CONTEXT(row.folder) {
            try {
                Provider provider(library(), options(https, {{"ca-path", row.folder}}));
                BOOST_ERROR("accepted");
            } catch (const ConfigError& e) {
                BOOST_TEST(contains(e.what(), row.says), e.what());
                BOOST_TEST(contains(e.what(), "ca-path"), e.what());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(verifies_the_configured_server_name_and_honours_skip_verify) {
    auto& https = server();
    seed(https, "tls/meeting", default_pair());
    Provider named(library(),
                   options(https, {{"ca-cert", file(https, "ca.pem")}, {"tls-server-name", "localhost"}}));
    BOOST_TEST(named.fetch("meeting", deadline).credential->key == test_key);
    Provider misnamed(
        library(),
        options(https, {{"ca-cert", file(https, "ca.pem")}, {"tls-server-name", "vault.example.com"}}));
    BOOST_TEST(contains(failure_of(misnamed).message, "TLS failure"));
    const ScopedVariable skip("VAULT_SKIP_VERIFY", "true");
    Provider unverified(library(), options(https, {{"ca-cert", file(https, "wrong-ca.pem")}}));
    BOOST_TEST(unverified.fetch("meeting", deadline).credential->key == test_key);
}

BOOST_AUTO_TEST_CASE(a_tls_server_name_changes_neither_the_host_header_nor_where_requests_go) {
    auto& https = server();
    auto& other = second();
    seed(https, "tls/meeting", default_pair());
    seed(other, "tls/meeting", default_pair());
    https.clear_requests();
    other.clear_requests();
    Provider provider(library(),
                      options(https, {{"ca-cert", file(https, "ca.pem")}, {"tls-server-name", "localhost"}}));
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    const auto seen = https.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 1U);
    BOOST_TEST(seen[0].host == "127.0.0.1:" + std::to_string(https.port()));

    // A standby's redirect to another node is followed there, still verifying the configured name.
    https.clear_requests();
    https.control("faults",
                  R"({"kind":"redirect","location":")" + other.address("https") + R"(","count":1})");
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == test_key);
    BOOST_TEST(https.requests().size() == 1U);
    const auto redirected = other.requests();
    BOOST_REQUIRE_EQUAL(redirected.size(), 1U);
    BOOST_TEST(redirected[0].host == "127.0.0.1:" + std::to_string(other.port()));
}

BOOST_AUTO_TEST_CASE(never_follows_a_redirect_from_https_to_http) {
    auto& https = server();
    seed(https, "tls/meeting", default_pair());
    https.control("faults",
                  R"({"kind":"redirect","location":")" + plain_server().address() + R"(","count":1})");
    Provider provider(library(), options(https, {{"ca-cert", file(https, "ca.pem")}}));
    const auto failure = failure_of(provider);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(contains(failure.message, "from https to a plain http address"), failure.message);
}

BOOST_AUTO_TEST_CASE(presents_the_client_certificate_for_mutual_tls) {
    auto& https = mutual();
    seed(https, "tls/meeting", default_pair());
    https.clear_requests();
    const ScopedVariable cert("VAULT_CLIENT_CERT", file(https, "client.pem").c_str());
    const ScopedVariable key("VAULT_CLIENT_KEY", file(https, "client.key").c_str());
    Provider with(library(), options(https, {{"ca-cert", file(https, "ca.pem")}}));
    BOOST_TEST(with.fetch("meeting", deadline).credential->key == test_key);
    const auto seen = https.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 1U);
    BOOST_TEST(seen[0].client_cert_cn == "sdksign-test-client");
}

BOOST_AUTO_TEST_CASE(says_when_vault_refuses_the_handshake_and_does_not_retry) {
    auto& https = mutual();
    seed(https, "tls/meeting", default_pair());
    struct Row {
        const char* case_name;
        Options extra;
        const char* says;
    };
    // The server certificate is not one for a client: the server refuses it as it would a stranger's.
    const std::vector<Row> rows = {
        {"no client certificate", {}, "it may need a client certificate"},
        {"a refused client certificate",
         {{"client-cert", file(https, "server.pem")}, {"client-key", file(https, "server.key")}},
         "it rejected the client certificate"},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.case_name) {
            Options extra = {{"ca-cert", file(https, "ca.pem")}, {"max-retries", "5"}};
            extra.insert(extra.end(), row.extra.begin(), row.extra.end());
            Provider provider(library(), options(https, extra));
            const auto before = connections(https);
            const auto failure = failure_of(provider);
            BOOST_TEST(failure.status == SDKSIGN_E_CONFIG);
            BOOST_TEST(contains(failure.message, "refused the TLS handshake"), failure.message);
            BOOST_TEST(contains(failure.message, row.says), failure.message);
            const int made = connections(https) - before;
            BOOST_TEST(made == 1, "one handshake, not retried: " << made << " connections");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()

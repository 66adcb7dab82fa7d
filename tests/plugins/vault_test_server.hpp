#pragma once
// Runs tests/integration/vault_server.py (a Vault-compatible server) as a child process for plugin tests,
// and talks to its control API (/_test/...) over plain HTTP with libcurl.
#include "plugin_paths.hpp"

#include <rapidjson/document.h>

#include <curl/curl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sdksign::test {

class VaultTestServer {
public:
    explicit VaultTestServer(const std::vector<std::string>& extra_args = {}) {
        std::string pattern = (std::filesystem::temp_directory_path() / "sdksign-vault-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        dir_ = pattern;
        const auto script = required_path("SDKSIGN_TEST_VAULT_SERVER");
        std::vector<std::string> args = {"python3", script.string(), "--port-file", (dir_ / "port").string()};
        for (const auto& arg : extra_args) {
            // "{tls}" is the certificates' folder, "{dir}/x" a file in the server's own folder.
            if (arg == "{tls}") {
                args.push_back(tls_dir().string());
            } else if (arg.starts_with("{dir}")) {
                args.push_back(dir_.string() + arg.substr(5));
            } else {
                args.push_back(arg);
            }
        }
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (auto& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) {
            throw std::runtime_error("fork failed");
        }
        if (pid_ == 0) {
            ::execvp("python3", argv.data());
            ::_exit(127);
        }
        // Certificates take a moment to make, longer on a loaded machine; a server not up in 60 s is broken.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!std::filesystem::exists(dir_ / "port")) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                abandon("vault_server.py exited at start-up");
            }
            if (std::chrono::steady_clock::now() > deadline) {
                abandon("vault_server.py did not start within 60 s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        port_ = read_port(dir_ / "port");
        control_port_ = read_port(dir_ / "port.control");
    }
    VaultTestServer(const VaultTestServer&) = delete;
    VaultTestServer& operator=(const VaultTestServer&) = delete;
    VaultTestServer(VaultTestServer&&) = delete;
    VaultTestServer& operator=(VaultTestServer&&) = delete;
    ~VaultTestServer() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string address(const char* scheme = "http") const {
        return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
    }
    [[nodiscard]] std::filesystem::path tls_dir() const { return dir_ / "tls"; }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

    /// POSTs a JSON body to /_test/<route> and returns the answer's body; throws unless it is 200.
    // NOLINTNEXTLINE(modernize-use-nodiscard): most routes answer {}, which callers rightly ignore.
    std::string control(const std::string& route, const std::string& json = "{}") const {
        return exchange("/_test/" + route, &json);
    }
    /// GETs /_test/<route>.
    [[nodiscard]] std::string inspect(const std::string& route) const {
        return exchange("/_test/" + route, nullptr);
    }

    /// One string member of a JSON answer, e.g. the token from control("token", ...).
    static std::string field(const std::string& json, const char* name) {
        rapidjson::Document document;
        document.Parse(json.c_str());
        if (document.HasParseError() || !document.IsObject() || !document.HasMember(name) ||
            !document[name].IsString()) {
            throw std::runtime_error(std::string("no string '") + name + "' in a control answer");
        }
        return document[name].GetString();
    }

    /// The requests the server saw since the last clear_requests(), as (method, path, token, namespace,
    /// X-Vault-Request, client certificate CN, Host) records.
    struct Seen {
        std::string method;
        std::string path;
        std::string token;
        std::string namespace_name;
        std::string x_vault_request;
        std::string client_cert_cn;
        std::string host;
        int status = 0;
    };
    [[nodiscard]] std::vector<Seen> requests() const {
        rapidjson::Document document;
        const std::string json = inspect("requests");
        document.Parse(json.c_str());
        std::vector<Seen> seen;
        for (const auto& item : document["requests"].GetArray()) {
            const auto text = [&](const char* name) {
                return item[name].IsString() ? std::string(item[name].GetString()) : std::string();
            };
            seen.push_back({text("method"), text("path"), text("token"), text("namespace"),
                            text("x_vault_request"), text("client_cert_cn"), text("host"),
                            item["status"].IsInt() ? item["status"].GetInt() : 0});
        }
        return seen;
    }
    void clear_requests() const { control("requests/clear"); }

    /// Puts the server back in its normal state: unsealed, no faults, listening, empty request log.
    void reset() const {
        control("unseal");
        control("faults/clear");
        control("come-back");
        clear_requests();
    }

private:
    /// A constructor that throws gets no destructor call: clean up here.
    [[noreturn]] void abandon(const std::string& why) {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
        throw std::runtime_error(why);
    }

    static int read_port(const std::filesystem::path& file) {
        std::ifstream in(file);
        int port = 0;
        in >> port;
        if (port <= 0) {
            throw std::runtime_error("bad port file " + file.string());
        }
        return port;
    }

    static std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
        static_cast<std::string*>(user)->append(data, size * count);
        return size * count;
    }

    std::string exchange(const std::string& path, const std::string* json) const {
        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
        const std::string url = "http://127.0.0.1:" + std::to_string(control_port_) + path;
        std::string body;
        curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
        if (json != nullptr) {
            curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, json->c_str());
        }
        if (curl_easy_perform(curl.get()) != CURLE_OK) {
            throw std::runtime_error("control request " + path + " failed");
        }
        long status = 0;
        curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) {
            throw std::runtime_error("control request " + path + " answered " + std::to_string(status) +
                                     ": " + body);
        }
        return body;
    }

    void stop() {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        pid_ = -1;
    }

    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
    int control_port_ = 0;
};

} // namespace sdksign::test

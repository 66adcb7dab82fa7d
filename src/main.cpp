// sdksign: serves Zoom SDK signatures as a FastCGI or CGI application. This file decides how the process was
// started and wires the parts together; each part lives in its own folder.
#include "app/clock.hpp"
#include "app/error_body.hpp"
#include "app/router.hpp"
#include "build_config.hpp"
#include "cli/commands.hpp"
#include "cli/verify_command.hpp"
#include "config/options.hpp"
#include "credentials/credential_loader.hpp"
#include "credentials/provider_plugin.hpp"
#include "credentials/refresher.hpp"
#include "credentials/store.hpp"
#include "errors.hpp"
#include "gateway/cgi_gateway.hpp"
#include "gateway/fastcgi_server.hpp"
#include "gateway/listen_socket.hpp"
#include "gateway/start_mode.hpp"
#include "log/log.hpp"
#include "process/hardening.hpp"
#include "process/locked_pool.hpp"
#include "signing/token_signer.hpp"

#include <array>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace {

using namespace sdksign;

// GCC says so with __SANITIZE_ADDRESS__, clang only through __has_feature.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool built_with_address_sanitizer = true;
#elif defined(__has_feature)
constexpr bool built_with_address_sanitizer = __has_feature(address_sanitizer);
#else
constexpr bool built_with_address_sanitizer = false;
#endif

constexpr int exit_config_error = 2;
constexpr int exit_unavailable = 3;
/// How long a stop waits for a refresh in progress before the process exits without it.
constexpr std::chrono::milliseconds refresher_stop_grace{1000};

/// Only our own variables: copying the whole environment would leave a copy of ZOOM_MEETING_SDK_SECRET (the
/// env provider's) in freed heap memory that is never wiped.
std::vector<std::string> environment_strings() {
    std::vector<std::string> result;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        if (std::string_view(*entry).starts_with(config::environment_prefix)) {
            result.emplace_back(*entry);
        }
    }
    return result;
}

/// A configuration that cannot start. Under CGI that must still be an HTTP response a browser can read, or
/// the visitor sees the server's own 500 page; the allow-list may be what is broken, so CORS is `*`.
int fail(bool as_cgi, const std::string& message) {
    log::error("main", message);
    if (as_cgi) {
        auto response = app::error_response(500, "$server", "The server is misconfigured; see its error log");
        response.set_header("Access-Control-Allow-Origin", "*");
        std::cout << http::serialize_cgi(response) << std::flush;
        return 0;
    }
    return exit_config_error;
}

struct LoadedProvider {
    std::shared_ptr<const credentials::ProviderLibrary> library;
    std::unique_ptr<credentials::Provider> provider;
};

LoadedProvider load_provider(const config::Options& options) {
    LoadedProvider loaded;
    loaded.library = credentials::open_provider(options.provider_path, options.provider, options.plugin_dir);
    // The table's name: the name the provider was found by, or the one a provider-path file gives itself.
    const std::string section(loaded.library->name());
    const auto provider_options =
        credentials::provider_options(options.section_options, section, loaded.library->option_docs());
    loaded.provider = std::make_unique<credentials::Provider>(loaded.library, provider_options);
    return loaded;
}

/// What --help and the sdksign.conf(5) page say of a loaded provider: what its table says of itself.
config::ProviderDocs provider_docs(const credentials::ProviderLibrary& library) {
    return {std::string(library.name()), library.path().string(), library.description().value_or(""),
            library.option_docs()};
}

int print_help(const config::Options& options) {
    // Kept open while the help is written: the option docs point into it.
    std::shared_ptr<const credentials::ProviderLibrary> library;
    std::optional<config::ProviderDocs> provider;
    try {
        library = credentials::open_provider(options.provider_path, options.provider, options.plugin_dir);
        provider = provider_docs(*library);
    } catch (const Error& e) {
        std::cout << "(provider options not listed: " << e.what() << ")\n\n";
    }
    std::cout << config::help_text(provider);
    return 0;
}

/// The reference in the format asked for; the sdksign.conf(5) page documents the section of each provider
/// file named as an argument (the build names the bundled ones), which stays loaded while it is written.
int print_reference(const config::Options& options) {
    std::vector<std::shared_ptr<const credentials::ProviderLibrary>> libraries;
    std::vector<config::ProviderDocs> providers;
    for (const auto& path : options.arguments) {
        try {
            const auto& library = libraries.emplace_back(credentials::ProviderLibrary::open(path));
            providers.push_back(provider_docs(*library));
        } catch (const Error& e) {
            log::error("main", e.what());
            return exit_config_error;
        }
    }
    std::cout << config::reference_text(options.reference, providers);
    return 0;
}

/// The first fetch of both credentials (credentials/credential_loader.hpp); returns the first failure.
std::optional<CredentialError> load_credentials(credentials::Store& store,
                                                const credentials::Store::Fetch& fetch) {
    credentials::CredentialLoader loader(store, fetch);
    loader.load_all();
    return loader.failure();
}

/// A token is a few hundred bytes; anything far larger on standard input is not one.
constexpr std::size_t longest_token_on_stdin = 65536;

/// `sdksign verify`: the token is the one argument, or standard input.
int verify(const config::Options& options, credentials::Store& store,
           const credentials::Store::Fetch& fetch) {
    if (options.arguments.size() > 1) {
        std::cerr << "sdksign verify: give one token (or none, to read it from standard input)\n";
        return cli::verify_usage_error;
    }
    std::string token;
    if (options.arguments.empty()) {
        std::array<char, 4096> chunk{};
        while (token.size() <= longest_token_on_stdin &&
               std::cin.read(chunk.data(), chunk.size()).gcount() > 0) {
            token.append(chunk.data(), static_cast<std::size_t>(std::cin.gcount()));
        }
        if (token.size() > longest_token_on_stdin) {
            std::cerr << "sdksign verify: standard input is larger than any token\n";
            return cli::verify_usage_error;
        }
    } else {
        token = options.arguments.front();
    }
    // A credential the provider does not have is reported by the check of a token of its kind; a provider
    // that fails otherwise (unreachable, misconfigured) fails the command as it fails `check`.
    if (const auto failure = load_credentials(store, fetch);
        failure && failure->status() != SDKSIGN_E_NOT_FOUND) {
        return failure->status() == SDKSIGN_E_UNAVAILABLE ? exit_unavailable : exit_config_error;
    }
    const signing::CheckCredentials credentials{store.current(credentials::meeting_credential),
                                                store.current(credentials::video_credential)};
    return cli::run_verify(token, credentials, app::SystemClock().now_seconds(),
                           options.verify_json ? cli::VerifyFormat::json : cli::VerifyFormat::text, std::cout,
                           std::cerr);
}

/// A CGI process ends as soon as its one answer is written, without destructors: the kernel takes every
/// page back at once, so they would only unlock and unmap Botan's locked pool page by page (16 system
/// calls), unload the provider and free the heap, all of it paid on every request. The credential is not
/// wiped first: its pages are locked, left out of core dumps, and gone with the process. Built with
/// AddressSanitizer it returns, so that LeakSanitizer checks the CGI path at exit.
int end_cgi_process(int code) {
    if (built_with_address_sanitizer) {
        return code;
    }
    // The answer and the log go out through write(2); a stream written to by a later change is not lost.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(code);
}

int serve(const config::Options& options, credentials::Store& store, credentials::Provider& provider,
          bool as_cgi) {
    const app::SystemClock clock;
    const auto make_handler = [&](const credentials::CredentialSource& source) -> gateway::RequestHandler {
        auto signer = std::make_shared<signing::TokenSigner>();
        return [&options, &clock, &source, signer](const http::Request& request) {
            app::Services services{options.app, clock, source, *signer};
            return app::route(request, services);
        };
    };
    if (as_cgi) {
        // One request: only the credentials it asks about are fetched, when it asks.
        credentials::CredentialLoader loader(store, provider.fetcher());
        const credentials::OnDemandCredentials on_demand(store, loader);
        return end_cgi_process(gateway::serve_cgi(options.app.max_body_bytes, make_handler(on_demand)));
    }
    gateway::UniqueFd own_socket;
    gateway::FastcgiSettings settings = options.fastcgi;
    // libfcgi's own peer allow-list, kept now that sdksign accepts connections itself.
    if (const char* allowed = std::getenv("FCGI_WEB_SERVER_ADDRS")) {
        settings.allowed_peers = allowed;
    }
    if (options.listen) {
        own_socket = gateway::open_listen_socket(*options.listen, options.socket_mode);
        settings.listen_fd = own_socket.get();
        log::info("main",
                  "serving FastCGI on " + *options.listen + " with " + std::to_string(settings.threads) +
                      " threads");
    } else {
        log::debug("main", "serving FastCGI on the socket inherited as fd 0");
    }
    // CGI answers one request with the credential fetched for it; a FastCGI process lives on, so a thread
    // of its own keeps the credentials fetched at start-up fresh (requests never wait on the source).
    credentials::Refresher refresher(store, provider.fetcher());
    const int code = gateway::serve_fastcgi(settings, [&] { return make_handler(store); });
    if (refresher.stop(refresher_stop_grace) == credentials::Refresher::Stop::fetch_running) {
        // Destroying the refresher would wait for that fetch (up to its deadline); exiting destroys nothing.
        log::warn("main", "a credential refresh is still running; exiting without waiting for it");
        std::_Exit(code);
    }
    return code;
}

int run(int argc, char** argv) {
    // Decided first, before the command line is looked at and before anything can fail (so that a CGI
    // failure is still answered in HTTP). Started as CGI, the command line is the request's query string
    // (RFC 3875 section 4.4: `?--config%3D/dev/null` arrives as the argument `--config=/dev/null`), so it is
    // never read: no option, no subcommand. Only the server's environment and the configuration file count.
    const gateway::StartMode start_mode = gateway::detect_start_mode();
    const bool as_cgi = start_mode == gateway::StartMode::cgi;
    std::vector<std::string> arguments;
    if (!as_cgi) {
        arguments.assign(argv + 1, argv + argc);
    } else {
        // Before the options are read: the bearer token file is already read into a secure_vector there.
        process::size_locked_pool_for_one_request();
    }

    config::Options options;
    try {
        options = config::parse_options(arguments, environment_strings());
    } catch (const ConfigError& e) {
        return fail(as_cgi, std::string("configuration: ") + e.what());
    }
    log::set_level(options.log_level);
    if (as_cgi && argc > 1) {
        // Counted, never echoed: the arguments are whatever a client put into the query string.
        log::info("main",
                  "started as CGI: ignored " + std::to_string(argc - 1) +
                      " command-line argument(s) (the query string; only the server's environment "
                      "and the configuration file configure a CGI process)");
    }
    if (as_cgi && options.listen) {
        return fail(as_cgi,
                    "configuration: listen is set, but a process started as CGI answers its one "
                    "request and never listens; set it only for `sdksign --listen` services");
    }
    // Before any credential is read, so no secret is ever in a dumpable process.
    process::harden_process(options.core_dumps ? process::CoreDumps::on : process::CoreDumps::off);
    const bool serving = options.command == config::Command::serve;
    if (serving && !options.listen && start_mode == gateway::StartMode::command_line) {
        log::error("main",
                   "not started by a web server: standard input is not a FastCGI socket and "
                   "GATEWAY_INTERFACE is unset; use --listen ADDRESS, or `sdksign --help`");
        return exit_config_error;
    }

    switch (options.command) {
    case config::Command::help:
        return print_help(options);
    case config::Command::version:
        std::cout << "sdksign " << build_config::version << "\n";
        return 0;
    case config::Command::reference:
        return print_reference(options);
    default:
        break;
    }

    if (serving && !as_cgi) {
        // Before the provider is loaded: it may start threads (libcurl's resolver), and so does the
        // refresher; they inherit the mask, and only the FastCGI server's signal watcher takes a stop
        // signal, also one sent during start-up. A CGI process keeps the defaults: its server may stop it.
        gateway::block_stop_signals();
    }
    LoadedProvider loaded;
    try {
        loaded = load_provider(options);
    } catch (const Error& e) {
        return fail(as_cgi, e.what());
    }

    credentials::Store store(options.refresh);
    if (options.command == config::Command::check) {
        return cli::run_check(*loaded.provider, options.refresh.fetch_timeout, std::cout);
    }
    if (options.command == config::Command::verify) {
        return verify(options, store, loaded.provider->fetcher());
    }
    // A CGI process fetches what its request asks for while it answers (serve): a failure is a 503 JSON.
    if (!as_cgi) {
        if (const auto failure = load_credentials(store, loaded.provider->fetcher())) {
            // Already logged by the store, once. A FastCGI process manager restarting us is better than a
            // process that serves 503s forever.
            return failure->status() == SDKSIGN_E_UNAVAILABLE ? exit_unavailable : exit_config_error;
        }
    }

    if (options.command == config::Command::sign) {
        const app::SystemClock clock;
        signing::TokenSigner signer;
        app::Services services{options.app, clock, store, signer};
        const std::string body = options.arguments.empty() ? "{}" : options.arguments.front();
        return cli::run_sign(body, options.sign_video ? options.app.video_sign_path : options.app.sign_path,
                             services, std::cout, std::cerr);
    }
    try {
        return serve(options, store, *loaded.provider, as_cgi);
    } catch (const Error& e) {
        return fail(as_cgi, e.what());
    }
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        log::error("main", std::string("fatal: ") + e.what());
    } catch (...) {
        log::error("main", "fatal: unknown exception");
    }
    return 1;
}

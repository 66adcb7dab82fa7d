#include "config/options.hpp"
#include "credentials/provider_plugin.hpp"
#include "errors.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace config = sdksign::config;
using config::Command;
using config::Options;
using config::parse_options;
using sdksign::ConfigError;

namespace {

using Strings = std::vector<std::string>;

/// A fresh folder for configuration files, removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "sdksign-unit-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    [[nodiscard]] std::string write(const std::string& name, const std::string& text) const {
        const auto file = path_ / name;
        std::ofstream(file) << text;
        return file.string();
    }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

/// The ConfigError's message, or "" when parsing succeeded (which the caller then reports).
std::string config_error(const Strings& arguments, const Strings& environment) {
    try {
        parse_options(arguments, environment);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(options_cpp)

BOOST_AUTO_TEST_CASE(defaults) {
    const Options options = parse_options({}, {});
    const sdksign::app::Settings defaults;
    BOOST_TEST((options.command == Command::serve));
    BOOST_TEST(options.arguments.empty());
    BOOST_TEST(!options.listen.has_value());
    BOOST_TEST(options.socket_mode == 0660U);
    BOOST_TEST(options.fastcgi.threads == 4U);
    BOOST_TEST(options.fastcgi.shutdown_timeout.count() == 5);
    BOOST_TEST(options.provider == "env");
    BOOST_TEST(options.provider_path.empty());
    BOOST_TEST(options.plugin_dir.empty());
    BOOST_TEST(options.refresh.fetch_timeout.count() == 5000);
    BOOST_TEST(options.refresh.refresh_interval.count() == 0);
    BOOST_TEST(options.refresh.stale_after.count() == 300);
    BOOST_TEST(options.section_options.empty());
    BOOST_TEST(options.app.max_body_bytes == 102400U);
    BOOST_TEST(options.app.allowed_origins.empty());
    BOOST_TEST(options.app.cors_max_age_seconds == 7200);
    BOOST_TEST(options.app.iat_backdate_seconds == 0);
    BOOST_TEST(options.app.default_expiration_seconds == 7200);
    BOOST_TEST(options.app.sign_path == "/");
    BOOST_TEST(options.app.health_path == "/health");
    BOOST_TEST(options.app.max_body_bytes == defaults.max_body_bytes);
    BOOST_TEST(options.app.default_expiration_seconds == defaults.default_expiration_seconds);
    BOOST_TEST((options.log_level == sdksign::log::Level::info));
    BOOST_TEST(!options.core_dumps);
    BOOST_TEST(parse_options({"--core-dumps=on"}, {}).core_dumps);
    BOOST_TEST(options.config_file == config::default_config_file);
}

BOOST_AUTO_TEST_CASE(threads_on_the_command_line) {
    BOOST_TEST(parse_options({"--threads", "8"}, {}).fastcgi.threads == 8U);
    BOOST_TEST(parse_options({"--threads=8"}, {}).fastcgi.threads == 8U);
    BOOST_TEST(parse_options({"--threads=1"}, {}).fastcgi.threads == 1U);
    BOOST_TEST(parse_options({"--threads=256"}, {}).fastcgi.threads == 256U);
}

BOOST_AUTO_TEST_CASE(threads_from_the_environment) {
    BOOST_TEST(parse_options({}, {"SDKSIGN_THREADS=6"}).fastcgi.threads == 6U);
    // Other variables are none of our business, and SDKSIGN without the underscore is not ours either.
    BOOST_TEST(parse_options({}, {"PATH=/usr/bin", "HOME=/root", "SDKSIGNX=1", "SDKSIGN_THREADS=3", "TERM"})
                   .fastcgi.threads == 3U);
}

BOOST_AUTO_TEST_CASE(command_line_beats_environment_beats_file) {
    const TempDir dir;
    const auto file =
        dir.write("sdksign.conf", "# a comment\nthreads = 2\nlog-level = warn\niat-backdate = 10\n");
    const Strings env{"SDKSIGN_CONFIG=" + file, "SDKSIGN_THREADS=3", "SDKSIGN_LOG_LEVEL=error"};

    const auto from_file = parse_options({"--config", file}, {});
    BOOST_TEST(from_file.fastcgi.threads == 2U);
    BOOST_TEST((from_file.log_level == sdksign::log::Level::warn));
    BOOST_TEST(from_file.config_file == file);

    const auto from_env = parse_options({}, env);
    BOOST_TEST(from_env.fastcgi.threads == 3U);
    BOOST_TEST((from_env.log_level == sdksign::log::Level::error));
    BOOST_TEST(from_env.app.iat_backdate_seconds == 10); // only the file sets it
    BOOST_TEST(from_env.config_file == file);

    const auto from_command_line = parse_options({"--threads=4", "--log-level", "debug"}, env);
    BOOST_TEST(from_command_line.fastcgi.threads == 4U);
    BOOST_TEST((from_command_line.log_level == sdksign::log::Level::debug));
    BOOST_TEST(from_command_line.app.iat_backdate_seconds == 10);
}

BOOST_AUTO_TEST_CASE(cors_origins_do_not_merge_across_sources) {
    // A list option is still one option: the first source that sets it wins, as for every other option, or
    // an operator who narrows the allow-list on the command line would silently keep the file's origins.
    const TempDir dir;
    const auto file = dir.write("sdksign.conf", "cors-origin = https://file.example\n");
    const auto options = parse_options({"--cors-origin=https://cli.example", "--config", file},
                                       {"SDKSIGN_CORS_ORIGIN=https://env.example"});
    BOOST_TEST(options.app.allowed_origins == Strings{"https://cli.example"});
    const auto from_env = parse_options({"--config", file}, {"SDKSIGN_CORS_ORIGIN=https://env.example"});
    BOOST_TEST(from_env.app.allowed_origins == Strings{"https://env.example"});
    const auto from_file = parse_options({"--config", file}, {});
    BOOST_TEST(from_file.app.allowed_origins == Strings{"https://file.example"});
}

BOOST_AUTO_TEST_CASE(every_host_option_reaches_its_field) {
    struct Row {
        Strings arguments;
        std::function<bool(const Options&)> check;
    };
    const std::vector<Row> rows{
        {{"--listen", "127.0.0.1:9000"}, [](const Options& o) { return o.listen == "127.0.0.1:9000"; }},
        {{"--listen=/run/sdksign.sock"}, [](const Options& o) { return o.listen == "/run/sdksign.sock"; }},
        {{"--socket-mode=0600"}, [](const Options& o) { return o.socket_mode == 0600U; }},
        {{"--socket-mode=777"}, [](const Options& o) { return o.socket_mode == 0777U; }},
        {{"--shutdown-timeout=60"},
         [](const Options& o) { return o.fastcgi.shutdown_timeout.count() == 60; }},
        {{"--provider=vault"}, [](const Options& o) { return o.provider == "vault"; }},
        {{"--provider-path=/opt/p.so"}, [](const Options& o) { return o.provider_path == "/opt/p.so"; }},
        {{"--plugin-dir=/opt/plugins"}, [](const Options& o) { return o.plugin_dir == "/opt/plugins"; }},
        {{"--fetch-timeout-ms=250"}, [](const Options& o) { return o.refresh.fetch_timeout.count() == 250; }},
        {{"--refresh-interval-ms=250"},
         [](const Options& o) { return o.refresh.refresh_interval.count() == 250; }},
        {{"--refresh-interval-ms=86400000"},
         [](const Options& o) { return o.refresh.refresh_interval.count() == 86400000; }},
        {{"--stale-after=0"}, [](const Options& o) { return o.refresh.stale_after.count() == 0; }},
        {{"--stale-after=3600"}, [](const Options& o) { return o.refresh.stale_after.count() == 3600; }},
        {{"--max-body-bytes=1"}, [](const Options& o) { return o.app.max_body_bytes == 1U; }},
        {{"--max-body-bytes=16777216"}, [](const Options& o) { return o.app.max_body_bytes == 16777216U; }},
        {{"--cors-max-age=0"}, [](const Options& o) { return o.app.cors_max_age_seconds == 0; }},
        {{"--cors-max-age=86400"}, [](const Options& o) { return o.app.cors_max_age_seconds == 86400; }},
        {{"--iat-backdate=3600"}, [](const Options& o) { return o.app.iat_backdate_seconds == 3600; }},
        {{"--default-expiration=1800"},
         [](const Options& o) { return o.app.default_expiration_seconds == 1800; }},
        {{"--default-expiration=172800"},
         [](const Options& o) { return o.app.default_expiration_seconds == 172800; }},
        {{"--sign-path=/sign"}, [](const Options& o) { return o.app.sign_path == "/sign"; }},
        {{"--health-path=/healthz"}, [](const Options& o) { return o.app.health_path == "/healthz"; }},
        {{"--log-level=debug"}, [](const Options& o) { return o.log_level == sdksign::log::Level::debug; }},
        {{"--log-level=warn"}, [](const Options& o) { return o.log_level == sdksign::log::Level::warn; }},
        {{"--help"}, [](const Options& o) { return o.command == Command::help; }},
        {{"-h"}, [](const Options& o) { return o.command == Command::help; }},
        {{"--version"}, [](const Options& o) { return o.command == Command::version; }},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.arguments.front()) {
            BOOST_TEST(row.check(parse_options(row.arguments, {})));
        }
    }
}

BOOST_AUTO_TEST_CASE(environment_names_map_to_options) {
    const auto options = parse_options({},
                                       {"SDKSIGN_MAX_BODY_BYTES=2048", "SDKSIGN_DEFAULT_EXPIRATION=3600",
                                        "SDKSIGN_SIGN_PATH=/zoom/sign", "SDKSIGN_FETCH_TIMEOUT_MS=100"});
    BOOST_TEST(options.app.max_body_bytes == 2048U);
    BOOST_TEST(options.app.default_expiration_seconds == 3600);
    BOOST_TEST(options.app.sign_path == "/zoom/sign");
    BOOST_TEST(options.refresh.fetch_timeout.count() == 100);
}

BOOST_AUTO_TEST_CASE(unknown_options_are_named) {
    const TempDir dir;
    const auto file = dir.write("bad.conf", "threads = 2\nbogus = 1\n");
    const std::string from_command_line = config_error({"--bogus"}, {});
    BOOST_TEST(contains(from_command_line, "--bogus"), from_command_line);
    const std::string with_value = config_error({"--bogus=1"}, {});
    BOOST_TEST(contains(with_value, "--bogus"), with_value);
    const std::string from_env = config_error({}, {"SDKSIGN_BOGUS=1"});
    BOOST_TEST(contains(from_env, "SDKSIGN_BOGUS"), from_env);
    const std::string from_file = config_error({"--config", file}, {});
    BOOST_TEST(contains(from_file, "bogus"), from_file);
    BOOST_TEST(contains(from_file, file), from_file);
    // Prefix guessing is off: --thread is not --threads.
    const std::string guessed = config_error({"--thread=2"}, {});
    BOOST_TEST(contains(guessed, "--thread"), guessed);
}

BOOST_AUTO_TEST_CASE(an_unknown_option_does_not_echo_its_value) {
    // A mistyped option may carry a secret; the error names the option only.
    BOOST_TEST(config_error({"--sekret=hunter2-do-not-print"}, {}) ==
               "unknown option --sekret; see sdksign --help");
    BOOST_TEST(config_error({"-zhunter2-do-not-print"}, {}) == "unknown option -z; see sdksign --help");
    BOOST_TEST(config_error({"-z", "hunter2"}, {}) == "unknown option -z; see sdksign --help");
}

BOOST_AUTO_TEST_CASE(malformed_values_name_the_option_and_the_source) {
    const TempDir dir;
    struct Row {
        Strings arguments;
        Strings environment;
        std::string expected; // the whole message
    };
    const auto file = dir.write("threads.conf", "threads = 0\n");
    const auto octal = dir.write("mode.conf", "socket-mode = 0800\n");
    const std::vector<Row> rows{
        {{"--threads=-1"}, {}, "--threads: '-1' is not a whole number between 1 and 256"},
        {{"--threads=abc"}, {}, "--threads: 'abc' is not a whole number between 1 and 256"},
        {{"--threads=0"}, {}, "--threads: '0' is not a whole number between 1 and 256"},
        {{"--threads=257"}, {}, "--threads: '257' is not a whole number between 1 and 256"},
        {{"--threads=8x"}, {}, "--threads: '8x' is not a whole number between 1 and 256"},
        {{"--threads= 8"}, {}, "--threads: ' 8' is not a whole number between 1 and 256"},
        {{"--threads=99999999999999999999"},
         {},
         "--threads: '99999999999999999999' is not a whole number between 1 and 256"},
        {{},
         {"SDKSIGN_THREADS=-1"},
         "environment variable SDKSIGN_THREADS: '-1' is not a whole number between 1 and 256"},
        {{},
         {"SDKSIGN_THREADS="},
         "environment variable SDKSIGN_THREADS: '' is not a whole number between 1 and 256"},
        {{"--config", file},
         {},
         file + " line 1: option threads: the value is not a whole number between 1 and 256"},
        {{"--socket-mode=0800"}, {}, "--socket-mode: '0800' is not an octal number between 0 and 777"},
        {{"--refresh-interval-ms=-5"},
         {},
         "--refresh-interval-ms: '-5' is not a whole number between 0 and 86400000"},
        {{},
         {"SDKSIGN_STALE_AFTER=1d"},
         "environment variable SDKSIGN_STALE_AFTER: '1d' is not a whole number between 0 and 86400"},
        {{"--stale-after=86401"}, {}, "--stale-after: '86401' is not a whole number between 0 and 86400"},
        {{"--socket-mode=1000"}, {}, "--socket-mode: '1000' is not an octal number between 0 and 777"},
        {{"--config", octal},
         {},
         octal + " line 1: option socket-mode: the value is not an octal number between 0 and 777"},
        {{"--shutdown-timeout=0"}, {}, "--shutdown-timeout: '0' is not a whole number between 1 and 60"},
        {{"--fetch-timeout-ms=60001"},
         {},
         "--fetch-timeout-ms: '60001' is not a whole number between 1 and 60000"},
        {{"--max-body-bytes=0"}, {}, "--max-body-bytes: '0' is not a whole number between 1 and 16777216"},
        {{"--max-body-bytes=16777217"},
         {},
         "--max-body-bytes: '16777217' is not a whole number between 1 and 16777216"},
        {{"--cors-max-age=-1"}, {}, "--cors-max-age: '-1' is not a whole number between 0 and 86400"},
        {{"--iat-backdate=3601"}, {}, "--iat-backdate: '3601' is not a whole number between 0 and 3600"},
        {{},
         {"SDKSIGN_DEFAULT_EXPIRATION=1799"},
         "environment variable SDKSIGN_DEFAULT_EXPIRATION: '1799' is not a whole number between 1800 and "
         "172800"},
        {{"--sign-path=sign"}, {}, "--sign-path: 'sign' must start with /"},
        {{}, {"SDKSIGN_HEALTH_PATH="}, "environment variable SDKSIGN_HEALTH_PATH: '' must start with /"},
        {{"--sign-path=/x", "--health-path=/x"}, {}, "sign-path and health-path are both /x"},
        {{"--video-sign-path=/"}, {}, "sign-path and video-sign-path are both /"},
        {{}, {"SDKSIGN_VIDEO_SIGN_PATH=/health"}, "video-sign-path and health-path are both /health"},
        {{"--video-sign-path=videosdk"}, {}, "--video-sign-path: 'videosdk' must start with /"},
        {{"--video"}, {}, "unknown option --video; see sdksign --help"},
        {{"--log-level=verbose"}, {}, "--log-level: 'verbose' is not one of debug, info, warn, error"},
        {{}, {"SDKSIGN_LISTEN="}, "environment variable SDKSIGN_LISTEN: the address is empty"},
        // Two variables for one option: which one a process sees first is up to the web server.
        {{},
         {"SDKSIGN_THREADS=2", "SDKSIGN_threads=3"},
         "environment variable SDKSIGN_THREADS and environment variable SDKSIGN_threads both set option "
         "threads"},
        {{},
         {"SDKSIGN_ENV__KEY_VAR=A", "SDKSIGN_env__key_var=B"},
         "environment variable SDKSIGN_ENV__KEY_VAR and environment variable SDKSIGN_env__key_var both set "
         "option env.key-var"},
        {{"--origin-check=on"}, {}, "--origin-check: 'on' is not one of off, reject, strict"},
        {{"--core-dumps=yes"}, {}, "--core-dumps: 'yes' is not one of off, on"},
        {{"--origin-check=reject"},
         {},
         "--origin-check needs the allowed origins: set cors-origin (every origin would be refused)"},
        {{"--require-user=hosts"}, {}, "--require-user: 'hosts' is not one of none, host, all"},
        {{"--allowed-meetings=12,x3"},
         {},
         "--allowed-meetings: 'x3' is not a meeting number (digits) or a prefix of one (digits then *)"},
        {{"--allowed-meetings=*"},
         {},
         "--allowed-meetings: '*' is not a meeting number (digits) or a prefix of one (digits then *)"},
        {{"--allowed-meetings=,"}, {}, "--allowed-meetings: the list of meetings is empty"},
        {{"--bearer-token-file=/nonexistent/token"},
         {},
         "--bearer-token-file: cannot read /nonexistent/token"},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.expected) {
            BOOST_TEST(config_error(row.arguments, row.environment) == row.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(command_line_mistakes) {
    for (const Strings& arguments :
         {Strings{"--threads"}, Strings{"--threads=2", "--threads=3"}, Strings{"--listen="},
          Strings{"serve", "extra"}, Strings{"frobnicate"}, Strings{"extra"}}) {
        BOOST_TEST_CONTEXT(arguments.back()) {
            BOOST_TEST(!config_error(arguments, {}).empty());
        }
    }
    BOOST_TEST(config_error({"frobnicate"}, {}) ==
               "unknown command 'frobnicate'; commands are serve, sign, check, verify, help");
    BOOST_TEST(contains(config_error({"serve", "extra"}, {}), "'extra'"));
}

BOOST_AUTO_TEST_CASE(only_the_conf_page_takes_provider_files_as_arguments) {
    // sdksign.conf(5) documents the providers named after it; the other references take no argument.
    const auto conf = parse_options({"--help-reference", "conf-man", "env.so", "/x/vault.so"}, {});
    BOOST_TEST((conf.command == Command::reference));
    BOOST_TEST((conf.reference == config::ReferenceFormat::conf_man));
    BOOST_TEST(conf.arguments == (Strings{"env.so", "/x/vault.so"}));
    BOOST_TEST(parse_options({"--help-reference=conf-man"}, {}).arguments.empty());
    for (const char* format : {"man", "markdown"}) {
        BOOST_TEST_CONTEXT(format) {
            BOOST_TEST(config_error({"--help-reference", format, "env.so"}, {}) ==
                       "unexpected argument 'env.so'; see sdksign --help");
        }
    }
}

BOOST_AUTO_TEST_CASE(missing_config_file) {
    const TempDir dir;
    const auto missing = (dir.path() / "missing.conf").string();
    BOOST_TEST(config_error({"--config", missing}, {}) == "cannot read configuration file " + missing);
    BOOST_TEST(config_error({}, {"SDKSIGN_CONFIG=" + missing}) ==
               "cannot read configuration file " + missing);
}

BOOST_AUTO_TEST_CASE(malformed_config_file) {
    const TempDir dir;
    const auto file = dir.write("broken.conf", "threads 4\n");
    const std::string message = config_error({"--config", file}, {});
    BOOST_TEST(contains(message, file), message);
}

BOOST_AUTO_TEST_CASE(config_file_errors_name_the_line_never_its_text) {
    // A secret pasted onto a line of its own, or into the wrong option, must not reach the log (as CGI,
    // the web server's error log): every message names the file and the line number only.
    constexpr std::string_view secret = "hvsSECRETdoNotPrint";
    const std::string s(secret);
    struct Row {
        std::string text;
        std::string expected; // after "FILE line "
    };
    const std::vector<Row> rows{
        {"token " + s + "\n", "1: not a line of the form 'name = value', '[section]' or '# comment'"},
        {"# comment\n\nthreads = 2\n" + s + "\n",
         "4: not a line of the form 'name = value', '[section]' or '# comment'"},
        {" = " + s + "\n", "1: an option without a name (name = value)"},
        {"=" + s + "\n", "1: an option without a name (name = value)"},
        {"[env]\n = " + s + "\n", "2: an option without a name (name = value)"},
        {"[]\nkey-var = " + s + "\n", "1: not a section name like [vault] (a-z, 0-9, '-', '_')"},
        {"[" + s + "]\n", "1: not a section name like [vault] (a-z, 0-9, '-', '_')"},
        {"[a.b]\n", "1: not a section name like [vault] (a-z, 0-9, '-', '_')"},
        {s + " = 1\n", "1: not an option name (a-z, 0-9, '-', '_'; see sdksign --help)"},
        {"token: " + s + " = 1\n", "1: not an option name (a-z, 0-9, '-', '_'; see sdksign --help)"},
        {"a.b.c = 1\n", "1: not an option name (a-z, 0-9, '-', '_'; see sdksign --help)"},
        {"threads = 2\nlog-level = info\nthreads = 3\n", "3: option threads is already set on line 1"},
        {"threads = " + s + "\n", "1: option threads: the value is not a whole number between 1 and 256"},
        {"\n\nsocket-mode = " + s + "\n",
         "3: option socket-mode: the value is not an octal number between 0 and 777"},
        {"log-level = " + s + "\n", "1: option log-level: the value is not one of debug, info, warn, error"},
        {"origin-check = " + s + "\n", "1: option origin-check: the value is not one of off, reject, strict"},
        {"sign-path = " + s + "\n", "1: option sign-path: the value must start with /"},
        {"cors-origin = " + s + "\n",
         "1: option cors-origin: the value is not an origin like https://app.example.com (no path, no *)"},
        {"allowed-meetings = " + s + "\n",
         "1: option allowed-meetings: the value is not a meeting number (digits) or a prefix of one (digits "
         "then *)"},
        {"bearer-token-file = /nonexistent/" + s + "\n",
         "1: option bearer-token-file: cannot read the file it names"},
        {"bogus = " + s + "\n", "1: option bogus is unknown; see sdksign --help"},
    };
    const TempDir dir;
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.expected) {
            const auto file = dir.write("sdksign.conf", row.text);
            const std::string message = config_error({"--config", file}, {});
            BOOST_TEST(message == file + " line " + row.expected);
            BOOST_TEST(!contains(message, secret));
        }
    }
}

BOOST_AUTO_TEST_CASE(config_file_options_in_sections) {
    const TempDir dir;
    const auto file = dir.write("sdksign.conf",
                                "threads = 2 # a comment\n[ vault ]\naddress = http://127.0.0.1:8200\n"
                                "[env]\nkey-var = K\n");
    const auto options = parse_options({"--config", file}, {});
    BOOST_TEST(options.fastcgi.threads == 2U);
    BOOST_TEST(options.section_options.at("vault.address").first == "http://127.0.0.1:8200");
    BOOST_TEST(options.section_options.at("vault.address").second == file + " line 3: option vault.address");
    BOOST_TEST(options.section_options.at("env.key-var").first == "K");
}

BOOST_AUTO_TEST_CASE(an_empty_option_name_is_a_configuration_error) {
    // Boost's lookup calls an empty name "ambiguous", which is not a ConfigError (exit 1, and nothing for
    // a CGI client); every source refuses it first.
    for (const Strings& environment : {Strings{"SDKSIGN_=x"}, Strings{"SDKSIGN__=x"},
                                       Strings{"SDKSIGN_ENV__=x"}, Strings{"SDKSIGN__X=1"}}) {
        BOOST_TEST_CONTEXT(environment.front()) {
            const std::string message = config_error({}, environment);
            const std::string variable = environment.front().substr(0, environment.front().find('='));
            BOOST_TEST(message ==
                       "environment variable " + variable +
                           " names no option (SDKSIGN_NAME or SDKSIGN_PROVIDER__NAME); see sdksign --help");
        }
    }
    for (const Strings& arguments :
         {Strings{"--=x"}, Strings{"--="}, Strings{"--", "=x"}, Strings{"--.x=1"}, Strings{"--env.=1"}}) {
        BOOST_TEST_CONTEXT(arguments.front()) {
            BOOST_TEST(!config_error(arguments, {}).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(request_variables_are_never_configuration) {
    // A request header Sdksign-Config: reaches a CGI process as HTTP_SDKSIGN_CONFIG; only SDKSIGN_* counts.
    const TempDir dir;
    const auto missing = (dir.path() / "missing.conf").string();
    const auto options = parse_options(
        {},
        {"HTTP_SDKSIGN_CONFIG=" + missing, "HTTP_SDKSIGN_THREADS=0", "HTTP_SDKSIGN_PROVIDER_PATH=/tmp/x.so",
         "REDIRECT_SDKSIGN_REQUIRE_USER=none", "QUERY_STRING=--threads%3D0", "PATH_INFO=/--threads=0"});
    BOOST_TEST(options.fastcgi.threads == 4U);
    BOOST_TEST(options.provider_path.empty());
    BOOST_TEST(options.config_file == config::default_config_file);
}

BOOST_AUTO_TEST_CASE(section_options_from_every_source) {
    const TempDir dir;
    const auto file =
        dir.write("sdksign.conf", "provider = env\n[env]\nkey-var = FILE_KEY\nsecret-var = FILE_SECRET\n");
    const auto options =
        parse_options({"--config", file, "--env.key-var=CLI_KEY"},
                      {"SDKSIGN_ENV__KEY_VAR=ENV_KEY", "SDKSIGN_ENV__SECRET_VAR=ENV_SECRET"});
    BOOST_TEST_REQUIRE(options.section_options.size() == 2U);
    BOOST_TEST(options.section_options.at("env.key-var").first == "CLI_KEY");
    BOOST_TEST(options.section_options.at("env.key-var").second == "--env.key-var");
    BOOST_TEST(options.section_options.at("env.secret-var").first == "ENV_SECRET");
    BOOST_TEST(options.section_options.at("env.secret-var").second ==
               "environment variable SDKSIGN_ENV__SECRET_VAR");

    const auto file_only = parse_options({"--config", file}, {});
    BOOST_TEST(file_only.section_options.at("env.key-var").first == "FILE_KEY");
    BOOST_TEST(contains(file_only.section_options.at("env.key-var").second, file));
}

BOOST_AUTO_TEST_CASE(a_provider_option_is_given_once_on_the_command_line) {
    // As a host option: the second value is refused, not dropped, and neither value is shown.
    for (const Strings& arguments :
         {Strings{"--env.key-var=A", "--env.key-var=B"}, Strings{"--env.key-var=A", "--env.key-var=A"}}) {
        BOOST_TEST_CONTEXT(arguments.back()) {
            BOOST_TEST(config_error(arguments, {}) ==
                       "command line: option 'env.key-var' cannot be specified more than once");
        }
    }
    BOOST_TEST(config_error({"--threads=2", "--threads=3"}, {}) ==
               "command line: option 'threads' cannot be specified more than once");
    const auto different = parse_options({"--env.key-var=A", "--env.secret-var=B"}, {});
    BOOST_TEST(different.section_options.size() == 2U);
}

BOOST_AUTO_TEST_CASE(section_option_values_need_an_equals_sign) {
    // "--env.key-var X" would otherwise lose X to the positional arguments.
    BOOST_TEST(config_error({"--env.key-var", "X"}, {}) ==
               "provider option --env.key-var needs its value after '=', as in --env.key-var=VALUE");
}

BOOST_AUTO_TEST_CASE(provider_options_are_checked_against_the_docs) {
    const std::vector<sdksign_option_doc> docs{
        {"key-var", "variable holding the SDK key", "ZOOM_MEETING_SDK_KEY"},
        {"secret-var", "variable holding the SDK secret", "ZOOM_MEETING_SDK_SECRET"},
    };
    const auto options = parse_options({"--env.key-var=MY_KEY"}, {"SDKSIGN_ENV__SECRET_VAR=MY_SECRET"});
    const auto provider = sdksign::credentials::provider_options(options.section_options, "env", docs);
    BOOST_TEST_REQUIRE(provider.size() == 2U);
    BOOST_TEST(provider[0].name == "key-var");
    BOOST_TEST(provider[0].value == "MY_KEY");
    BOOST_TEST(provider[1].name == "secret-var");
    BOOST_TEST(provider[1].value == "MY_SECRET");

    BOOST_TEST(
        sdksign::credentials::provider_options(parse_options({}, {}).section_options, "env", docs).empty());

    const auto unknown = parse_options({"--env.key-variable=X"}, {});
    BOOST_CHECK_EXCEPTION(
        sdksign::credentials::provider_options(unknown.section_options, "env", docs), ConfigError,
        [](const ConfigError& e) {
            return std::string(e.what()) ==
                "--env.key-variable: provider 'env' has no option 'key-variable'; see sdksign --help";
        });
    const auto other_section = parse_options({}, {"SDKSIGN_VAULT__ADDR=http://127.0.0.1:8200"});
    BOOST_CHECK_EXCEPTION(
        sdksign::credentials::provider_options(other_section.section_options, "env", docs), ConfigError,
        [](const ConfigError& e) {
            return std::string(e.what()) ==
                "environment variable SDKSIGN_VAULT__ADDR belongs to provider 'vault', but the "
                "provider is 'env'";
        });
}

BOOST_AUTO_TEST_CASE(cors_origins_are_stored_as_browsers_send_them) {
    const auto options = parse_options(
        {"--cors-origin=https://A.Example.com:443, HTTP://LocalHost:80,http://b.example:08080"}, {});
    BOOST_TEST(options.app.allowed_origins ==
               (Strings{"https://a.example.com", "http://localhost", "http://b.example:8080"}));
}

BOOST_AUTO_TEST_CASE(cors_origins_are_split_and_checked) {
    const auto one = parse_options({"--cors-origin=https://app.example.com"}, {});
    BOOST_TEST(one.app.allowed_origins == Strings{"https://app.example.com"});
    const auto list =
        parse_options({"--cors-origin=https://a.example, http://localhost:3000,https://b.example:8443"}, {});
    BOOST_TEST(list.app.allowed_origins ==
               (Strings{"https://a.example", "http://localhost:3000", "https://b.example:8443"}));
    const auto repeated =
        parse_options({"--cors-origin", "https://a.example", "--cors-origin", "https://b.example"}, {});
    BOOST_TEST(repeated.app.allowed_origins == (Strings{"https://a.example", "https://b.example"}));
    const auto from_env = parse_options({}, {"SDKSIGN_CORS_ORIGIN=https://a.example,https://b.example"});
    BOOST_TEST(from_env.app.allowed_origins == (Strings{"https://a.example", "https://b.example"}));

    for (const std::string origin : {"*", "https://app.example.com/", "https://app.example.com/path",
                                     "app.example.com", "https://a.example,*"}) {
        BOOST_TEST_CONTEXT(origin) {
            const std::string message = config_error({"--cors-origin=" + origin}, {});
            BOOST_TEST(message.starts_with("--cors-origin: '"), message);
            BOOST_TEST(contains(message, "is not an origin like https://app.example.com (no path, no *)"),
                       message);
        }
    }
    const std::string from_environment = config_error({}, {"SDKSIGN_CORS_ORIGIN=*"});
    BOOST_TEST(from_environment ==
               "environment variable SDKSIGN_CORS_ORIGIN: '*' is not an origin like https://app.example.com "
               "(no path, "
               "no *)");
}

BOOST_AUTO_TEST_CASE(subcommands) {
    const auto sign = parse_options({"sign", R"({"meetingNumber":"1","role":0})"}, {});
    BOOST_TEST((sign.command == Command::sign));
    BOOST_TEST(sign.arguments == Strings{R"({"meetingNumber":"1","role":0})"});

    const auto sign_without_body = parse_options({"sign"}, {});
    BOOST_TEST((sign_without_body.command == Command::sign));
    BOOST_TEST(sign_without_body.arguments.empty());

    const auto sign_with_options = parse_options({"sign", "--iat-backdate=30", "{}"}, {});
    BOOST_TEST((sign_with_options.command == Command::sign));
    BOOST_TEST(sign_with_options.arguments == Strings{"{}"});
    BOOST_TEST(sign_with_options.app.iat_backdate_seconds == 30);

    BOOST_TEST(!sign_with_options.sign_video);
    const auto sign_video = parse_options({"sign", "--video", R"({"sessionName":"s","role":1})"}, {});
    BOOST_TEST((sign_video.command == Command::sign));
    BOOST_TEST(sign_video.sign_video);
    BOOST_TEST(sign_video.arguments == Strings{R"({"sessionName":"s","role":1})"});
    BOOST_TEST(parse_options({"sign", "{}", "--video"}, {}).sign_video);
    // After `--` it is the body, as any argument there.
    const auto after_dashes = parse_options({"sign", "--", "--video"}, {});
    BOOST_TEST(!after_dashes.sign_video);
    BOOST_TEST(after_dashes.arguments == Strings{"--video"});

    const auto check = parse_options({"check", "--provider", "file"}, {});
    BOOST_TEST((check.command == Command::check));
    BOOST_TEST(check.provider == "file");

    BOOST_TEST((parse_options({"serve"}, {}).command == Command::serve));
    BOOST_TEST((parse_options({"help"}, {}).command == Command::help));
    BOOST_TEST((parse_options({"sign", "--help"}, {}).command == Command::help));
}

BOOST_AUTO_TEST_CASE(access_policy_options_reach_their_fields) {
    using sdksign::app::OriginCheck;
    using sdksign::app::UserRequirement;
    const sdksign::app::AccessPolicy defaults;
    const auto plain = parse_options({}, {});
    BOOST_TEST((plain.app.access.origin_check == OriginCheck::off));
    BOOST_TEST((plain.app.access.require_user == UserRequirement::none));
    BOOST_TEST(plain.app.access.bearer_token_digest.empty());
    BOOST_TEST(plain.app.access.allowed_meetings.empty());
    BOOST_TEST((defaults.origin_check == OriginCheck::off));

    const auto set = parse_options({"--cors-origin=https://a.example", "--origin-check=strict",
                                    "--require-user=host", "--allowed-meetings=85746065432, 0099*"},
                                   {});
    BOOST_TEST((set.app.access.origin_check == OriginCheck::strict));
    BOOST_TEST((set.app.access.require_user == UserRequirement::host));
    const std::vector<sdksign::app::MeetingRule> rules{{"85746065432", false}, {"99", true}};
    BOOST_TEST((set.app.access.allowed_meetings == rules));
    BOOST_TEST(
        (parse_options({}, {"SDKSIGN_REQUIRE_USER=all"}).app.access.require_user == UserRequirement::all));
}

BOOST_AUTO_TEST_CASE(bearer_token_file) {
    const TempDir dir;
    const std::string token = "Zm9vYmFy-token_0123456789.~+/=";
    const auto expected = sdksign::app::bearer_token_digest(token);
    for (const std::string& text : {token, token + "\n", token + "\r\n"}) {
        const auto file = dir.write("token", text);
        BOOST_TEST(
            (parse_options({"--bearer-token-file=" + file}, {}).app.access.bearer_token_digest == expected));
    }
    // Refusals say what is wrong with the file, never what it holds.
    const std::string wrong_shape =
        " must hold one token of 16 to 4096 characters from A-Z a-z 0-9 -._~+/= (and "
        "nothing else but a final newline)";
    for (const std::string& text : {std::string("short-tok3n"), token + " " + token, token + "\n\n",
                                    "\n" + token, std::string(4097, 'a'), std::string()}) {
        const auto file = dir.write("bad", text);
        const auto message = config_error({"--bearer-token-file=" + file}, {});
        BOOST_TEST(message == "--bearer-token-file: " + file + wrong_shape);
        BOOST_TEST(!contains(message, "tok3n"));
        BOOST_TEST(!contains(message, "Zm9v"));
    }
}

BOOST_AUTO_TEST_CASE(help_mentions_every_option) {
    const std::vector<sdksign_option_doc> docs{
        {"key-var", "variable holding the SDK key", "ZOOM_MEETING_SDK_KEY"},
        {"secret-var", "variable holding the SDK secret", nullptr},
    };
    const std::string help = config::help_text(
        config::ProviderDocs{"env", "/lib/sdksign/env.so", "reads the SDK key from there", docs});
    for (const std::string_view option :
         {"--help",
          "--version",
          "--config",
          "--listen",
          "--socket-mode",
          "--threads",
          "--shutdown-timeout",
          "--provider ",
          "--provider-path",
          "--plugin-dir",
          "--fetch-timeout-ms",
          "--refresh-interval-ms",
          "--stale-after",
          "--max-body-bytes",
          "--cors-origin",
          "--cors-max-age",
          "--iat-backdate",
          "--default-expiration",
          "--sign-path",
          "--health-path",
          "--log-level",
          "--origin-check",
          "--core-dumps",
          "--require-user",
          "--bearer-token-file",
          "--allowed-meetings",
          "env.key-var",
          "env.secret-var",
          "variable holding the SDK key",
          "[default: ZOOM_MEETING_SDK_KEY]",
          "SDKSIGN_ENV__NAME",
          "Provider 'env' (/lib/sdksign/env.so): reads the SDK key from there",
          "[env]",
          "sdksign sign",
          "sdksign check",
          "/etc/sdksign/sdksign.conf"}) {
        BOOST_TEST(contains(help, option), "help mentions " << option);
    }
    const std::string without_provider = config::help_text(std::nullopt);
    BOOST_TEST(contains(without_provider, "--threads"));
    BOOST_TEST(!contains(without_provider, "Provider '"));
}

BOOST_AUTO_TEST_CASE(help_shows_a_provider_without_options_or_description) {
    const std::string help = config::help_text(config::ProviderDocs{"bare", "/x/bare.so", "", {}});
    BOOST_TEST(contains(help, "Provider 'bare' (/x/bare.so)\nIt has no options.\n"), help);
}

BOOST_AUTO_TEST_SUITE_END()

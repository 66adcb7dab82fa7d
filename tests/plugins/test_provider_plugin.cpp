// The provider loader (src/credentials/provider_plugin.cpp) against real shared objects: a working mock and
// one copy of it broken in each way the loader must refuse.
#define BOOST_TEST_MODULE sdksign provider plugin tests
#include "build_config.hpp"
#include "captured_stderr.hpp"
#include "credentials/provider_plugin.hpp"
#include "credentials/store.hpp"
#include "errors.hpp"
#include "log/log.hpp"
#include "plugin_paths.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using sdksign::CredentialError;
using sdksign::PluginError;
using sdksign::credentials::Provider;
using sdksign::credentials::ProviderLibrary;
using sdksign::credentials::ProviderOption;
using sdksign::test::mock_plugin;

namespace {

constexpr std::chrono::milliseconds deadline{1000};

/// Asserts that `action` throws E and that its message contains every fragment.
template<typename E, typename F> void expect_error(F action, const std::vector<std::string>& fragments) {
    try {
        action();
        BOOST_ERROR("no exception was thrown");
    } catch (const E& e) {
        const std::string message = e.what();
        for (const auto& fragment : fragments) {
            BOOST_TEST(message.find(fragment) != std::string::npos,
                       "'" << message << "' lacks '" << fragment << "'");
        }
    }
}

int fetch_status_of(const std::vector<ProviderOption>& options) {
    Provider provider(ProviderLibrary::open(mock_plugin("mock")), options);
    try {
        provider.fetch("meeting", deadline);
    } catch (const CredentialError& e) {
        return e.status();
    }
    return SDKSIGN_OK;
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_plugin_cpp)

BOOST_AUTO_TEST_CASE(loads_a_working_provider_and_fetches_its_credential) {
    const auto library = ProviderLibrary::open(mock_plugin("mock"));
    BOOST_TEST(library->name() == "mock");
    BOOST_TEST(library->option_docs().size() == 8U);
    BOOST_TEST(library->description().value_or("") == "a provider for the loader's tests");
    Provider provider(library, {{"key", "the-key"}, {"secret", "the-secret"}, {"refresh-after", "30"}});
    const auto result = provider.fetch("meeting", deadline);
    BOOST_TEST(result.credential->key == "the-key");
    BOOST_TEST(result.credential->key_json == "\"the-key\"");
    BOOST_TEST(std::string(result.credential->secret.begin(), result.credential->secret.end()) ==
               "the-secret");
    BOOST_TEST(result.refresh_after_s == 30U);
}

BOOST_AUTO_TEST_CASE(refuses_a_missing_file_naming_it) {
    const auto path = mock_plugin("does_not_exist");
    expect_error<PluginError>([&] { ProviderLibrary::open(path); }, {"cannot load provider", path.string()});
}

BOOST_AUTO_TEST_CASE(refuses_a_file_that_is_not_a_shared_object) {
    const auto path = std::filesystem::temp_directory_path() / "sdksign-not-a-plugin.so";
    std::ofstream(path) << "this is not ELF\n";
    expect_error<PluginError>([&] { ProviderLibrary::open(path); }, {"cannot load provider", path.string()});
    std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(refuses_a_library_without_the_entry_symbol) {
    const auto path = mock_plugin("mock_no_entry");
    expect_error<PluginError>([&] { ProviderLibrary::open(path); },
                              {path.string(), "does not export sdksign_provider_v1"});
}

BOOST_AUTO_TEST_CASE(refuses_another_abi_version) {
    const auto path = mock_plugin("mock_wrong_abi");
    expect_error<PluginError>([&] { ProviderLibrary::open(path); }, {path.string(), "ABI 2", "needs ABI 1"});
}

BOOST_AUTO_TEST_CASE(refuses_a_table_smaller_than_this_abi) {
    const auto path = mock_plugin("mock_small_table");
    expect_error<PluginError>([&] { ProviderLibrary::open(path); }, {path.string(), "smaller than"});
}

BOOST_AUTO_TEST_CASE(loads_a_table_of_the_first_abi_1_size_without_offering_it_the_host) {
    // A provider built before set_host was appended: its table ends at destroy, and the host must not read
    // what lies beyond (in this mock, a set_host that would hand it the host table).
    const auto library = ProviderLibrary::open(mock_plugin("mock_first_abi1_table"));
    Provider provider(library, {{"key", "old-key"}});
    BOOST_TEST(provider.fetch("meeting", deadline).credential->key == "old-key");
    expect_error<sdksign::ConfigError>(
        [&] {
            Provider needs_host(library, {{"need-host", "1"}});
        },
        {"no host table"});
    // The same provider with the whole table gets it.
    Provider current(ProviderLibrary::open(mock_plugin("mock")), {{"need-host", "1"}});
}

BOOST_AUTO_TEST_CASE(refuses_a_name_that_cannot_be_a_section) {
    const auto path = mock_plugin("mock_bad_name");
    expect_error<PluginError>([&] { ProviderLibrary::open(path); }, {path.string(), "invalid name"});
}

BOOST_AUTO_TEST_CASE(refuses_a_provider_found_by_a_name_it_does_not_give_itself) {
    // The operator writes `provider = other`, and the section [other]; a table that calls itself "mock"
    // would take its options from [mock] instead.
    const auto dir = std::filesystem::temp_directory_path() / "sdksign-provider-name-test";
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(mock_plugin("mock"), dir / "other.so",
                               std::filesystem::copy_options::overwrite_existing);
    expect_error<PluginError>(
        [&] { sdksign::credentials::open_provider({}, "other", dir); },
        {(dir / "other.so").string(), "calls itself 'mock', not 'other'", "provider-path"});
    // Loaded by path, a file may be called anything: its table's name is its section.
    BOOST_TEST(sdksign::credentials::open_provider(dir / "other.so", "env", {})->name() == "mock");
    std::filesystem::remove_all(dir);
    const auto mock_dir = sdksign::test::required_path("SDKSIGN_TEST_MOCK_DIR");
    BOOST_TEST(sdksign::credentials::open_provider({}, "mock", mock_dir)->name() == "mock");
}

BOOST_AUTO_TEST_CASE(writes_a_providers_lines_through_the_host_logger) {
    sdksign::log::set_level(sdksign::log::Level::info);
    const auto library = ProviderLibrary::open(mock_plugin("mock"));
    struct Row {
        std::string level;
        std::string message;
        std::string expected; // empty: dropped
    };
    const std::vector<Row> rows{
        {"2", "a file others can read", "] warn mock: a file others can read"},
        {"1", "renewed", "] info mock: renewed"},
        {"3", "broken", "] error mock: broken"},
        {"77", "a level it does not know", "] error mock: a level it does not know"},
        {"0", "below the host's level", ""},
        // A newline would forge a second record; an escape sequence would rewrite the operator's terminal.
        {"2", "one\nsdksign[1] error main: forged\x1b[2J",
         "] warn mock: one sdksign[1] error main: forged [2J"},
        {"2", std::string(5000, 'x'), "] warn mock: " + std::string(800, 'x')},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.level << " " << row.message.substr(0, 40)) {
            sdksign::test::CapturedStderr captured;
            Provider provider(library, {{"log", row.message}, {"log-level", row.level}});
            const auto lines = captured.lines();
            if (row.expected.empty()) {
                BOOST_TEST(lines.empty());
                continue;
            }
            BOOST_TEST_REQUIRE(lines.size() == 1U);
            BOOST_TEST(lines[0].starts_with("sdksign["));
            BOOST_TEST(lines[0].find(row.expected) != std::string::npos, lines[0]);
            BOOST_TEST(lines[0].size() < 1024U);
        }
    }
}

BOOST_AUTO_TEST_CASE(refuses_a_table_with_a_null_function) {
    const auto path = mock_plugin("mock_null_fetch");
    expect_error<PluginError>([&] { ProviderLibrary::open(path); }, {path.string(), "incomplete"});
}

BOOST_AUTO_TEST_CASE(reports_a_provider_that_fails_to_create) {
    const auto library = ProviderLibrary::open(mock_plugin("mock_create_fails"));
    expect_error<sdksign::ConfigError>([&] { Provider provider(library, {}); },
                                       {"provider mock", "mock refuses every configuration"});
}

BOOST_AUTO_TEST_CASE(passes_the_providers_refusal_of_an_option_on) {
    const auto library = ProviderLibrary::open(mock_plugin("mock"));
    expect_error<sdksign::ConfigError>(
        [&] {
            Provider provider(library, {{"colour", "blue"}});
        },
        {"unknown option 'colour'"});
}

BOOST_AUTO_TEST_CASE(carries_each_fetch_status_through) {
    for (const int status : {SDKSIGN_E_CONFIG, SDKSIGN_E_NOT_FOUND, SDKSIGN_E_DENIED, SDKSIGN_E_UNAVAILABLE,
                             SDKSIGN_E_INVALID}) {
        BOOST_TEST(fetch_status_of({{"fetch-status", std::to_string(status)}}) == status);
    }
}

BOOST_AUTO_TEST_CASE(refuses_a_success_without_exactly_one_credential) {
    BOOST_TEST(fetch_status_of({{"puts", "0"}}) == SDKSIGN_E_INVALID);
    BOOST_TEST(fetch_status_of({{"puts", "2"}}) == SDKSIGN_E_INVALID);
}

BOOST_AUTO_TEST_CASE(refuses_empty_or_unprintable_credentials) {
    BOOST_TEST(fetch_status_of({{"key", ""}}) == SDKSIGN_E_INVALID);
    BOOST_TEST(fetch_status_of({{"secret", ""}}) == SDKSIGN_E_INVALID);
    BOOST_TEST(fetch_status_of({{"key", "bad\nkey"}}) == SDKSIGN_E_INVALID);
}

BOOST_AUTO_TEST_CASE(never_puts_the_secret_in_an_error) {
    Provider provider(ProviderLibrary::open(mock_plugin("mock")),
                      {{"key", ""}, {"secret", "hush-hush-secret"}});
    try {
        provider.fetch("meeting", deadline);
        BOOST_ERROR("an empty key must be refused");
    } catch (const CredentialError& e) {
        BOOST_TEST(std::string(e.what()).find("hush-hush-secret") == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(reports_an_unknown_credential_name) {
    Provider provider(ProviderLibrary::open(mock_plugin("mock")), {});
    expect_error<CredentialError>([&] { provider.fetch("video", deadline); },
                                  {"credential video", "no credential"});
}

BOOST_AUTO_TEST_CASE(finds_providers_by_plain_name_only) {
    const auto dir = sdksign::test::required_path("SDKSIGN_TEST_MOCK_DIR");
    BOOST_TEST(sdksign::credentials::find_provider("mock", dir) == dir / "mock.so");
    expect_error<sdksign::ConfigError>([&] { sdksign::credentials::find_provider("../mock", dir); },
                                       {"plain name"});
    expect_error<sdksign::ConfigError>([&] { sdksign::credentials::find_provider("", dir); }, {"plain name"});
    expect_error<PluginError>([&] { sdksign::credentials::find_provider("nothing-here", dir); },
                              {"no provider named 'nothing-here'", (dir / "nothing-here.so").string()});
}

BOOST_AUTO_TEST_CASE(looks_beside_the_executable_then_in_lib_then_in_the_install_folder) {
    const auto here = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    const auto candidates = sdksign::credentials::provider_candidates("env", {});
    BOOST_TEST_REQUIRE(candidates.size() >= 3U);
    BOOST_TEST(candidates[0] == (here / "env.so").lexically_normal());
    BOOST_TEST(candidates[1] == (here / "../lib/sdksign/env.so").lexically_normal());
    BOOST_TEST(candidates.back() == std::filesystem::path(sdksign::build_config::plugin_dir) / "env.so");
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        for (std::size_t k = i + 1; k < candidates.size(); ++k) {
            BOOST_TEST(candidates[i] != candidates[k]);
        }
    }
    // The test runner sits beside the mock plugins, as sdksign sits beside its plugins in a cgi-bin upload.
    BOOST_TEST(sdksign::credentials::find_provider("mock", {}) == here / "mock.so");
    BOOST_TEST(sdksign::credentials::provider_candidates("env", "/opt/x") ==
               std::vector<std::filesystem::path>{"/opt/x/env.so"});
}

BOOST_AUTO_TEST_CASE(finds_the_program_folder_through_symbolic_links) {
    const auto here = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    const auto program = std::filesystem::read_symlink("/proc/self/exe");
    const auto dir = std::filesystem::temp_directory_path() / "sdksign-program-folder-test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "elsewhere");
    // Started through a link in another folder (a cgi-bin entry pointing at an installed binary): the
    // providers are looked for beside the binary, not beside the link, as /proc/self/exe says.
    std::filesystem::create_symlink(program, dir / "elsewhere" / "sdksign");
    std::filesystem::create_directory_symlink(dir / "elsewhere", dir / "linked-folder");
    struct Row {
        std::string started_as;
        std::filesystem::path folder;
    };
    const std::vector<Row> rows{
        {program.string(), here},
        {(dir / "elsewhere" / "sdksign").string(), here},
        {(dir / "linked-folder" / "sdksign").string(), here},
        // A path that names nothing now (the file was moved after the start): /proc/self/exe decides.
        {(dir / "gone" / "sdksign").string(), here},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.started_as) {
            BOOST_TEST(sdksign::credentials::program_folder(row.started_as.c_str()) == row.folder);
        }
    }
    BOOST_TEST(sdksign::credentials::program_folder(nullptr) == here);
    // A relative path is resolved from the working directory, which sdksign never changes before this.
    const auto previous = std::filesystem::current_path();
    std::filesystem::current_path(dir);
    BOOST_TEST(sdksign::credentials::program_folder("elsewhere/sdksign") == here);
    std::filesystem::current_path(previous);
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(store_with_provider)

BOOST_AUTO_TEST_CASE(keeps_the_last_good_credential_when_a_refresh_fails) {
    const auto library = ProviderLibrary::open(mock_plugin("mock"));
    Provider good(library, {{"key", "k1"}});
    Provider failing(library, {{"fetch-status", std::to_string(SDKSIGN_E_UNAVAILABLE)}});
    sdksign::credentials::Store store;
    store.refresh(good.fetcher(deadline), "meeting");
    BOOST_CHECK_THROW(store.refresh(failing.fetcher(deadline), "meeting"), CredentialError);
    BOOST_TEST_REQUIRE(store.current("meeting") != nullptr);
    BOOST_TEST(store.current("meeting")->key == "k1");
}

BOOST_AUTO_TEST_SUITE_END()

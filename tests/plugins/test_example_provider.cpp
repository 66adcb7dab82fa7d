// The example provider in plain C (examples/provider/provider.c), loaded from the built fd.so: its table,
// the secret it reads from an inherited file descriptor, its refusals and its log line through the host.
#include "captured_stderr.hpp"
#include "credentials/provider_plugin.hpp"
#include "errors.hpp"
#include "log/log.hpp"
#include "plugin_paths.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

using sdksign::ConfigError;
using sdksign::CredentialError;
using sdksign::credentials::Provider;
using sdksign::credentials::ProviderLibrary;
using sdksign::credentials::ProviderOption;

namespace {

constexpr std::chrono::milliseconds deadline{1000};

std::filesystem::path example_plugin() {
    return sdksign::test::required_path("SDKSIGN_TEST_EXAMPLE_PLUGIN");
}

/// The read end of a pipe that holds `text` and is closed for writing, as a parent would hand it over.
int pipe_holding(const std::string& text) {
    std::array<int, 2> ends{};
    BOOST_TEST_REQUIRE(::pipe(ends.data()) == 0);
    BOOST_TEST_REQUIRE(::write(ends[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(ends[1]);
    return ends[0];
}

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

std::string secret_of(const sdksign::credentials::CredentialPtr& credential) {
    return {credential->secret.begin(), credential->secret.end()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(example_provider_c)

BOOST_AUTO_TEST_CASE(exports_a_complete_table) {
    const auto library = ProviderLibrary::open(example_plugin());
    const sdksign_provider& table = library->table();
    BOOST_TEST(table.abi_version == SDKSIGN_PROVIDER_ABI);
    BOOST_TEST(table.struct_size == sizeof(sdksign_provider));
    BOOST_TEST(library->name() == "fd");
    BOOST_TEST(library->path().filename() == "fd.so");
    BOOST_TEST(library->description().value_or("").find("file descriptor") != std::string::npos);
    BOOST_TEST(table.set_host != nullptr);
    std::vector<std::string> names;
    for (const auto& doc : library->option_docs()) {
        names.emplace_back(doc.name);
        BOOST_TEST(doc.help != nullptr);
    }
    BOOST_TEST(names == (std::vector<std::string>{"key", "secret-fd", "video-key", "video-secret-fd"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(reads_each_secret_once_from_its_descriptor_and_closes_it) {
    const int meeting_fd = pipe_holding("meeting-secret\r\n");
    const int video_fd = pipe_holding("video-secret");
    Provider provider(ProviderLibrary::open(example_plugin()),
                      {{"key", "meeting-key"},
                       {"secret-fd", std::to_string(meeting_fd)},
                       {"video-key", "video-key"},
                       {"video-secret-fd", std::to_string(video_fd)}});
    BOOST_TEST(!is_open(meeting_fd));
    BOOST_TEST(!is_open(video_fd));
    for (int round = 0; round < 2; ++round) {
        const auto meeting = provider.fetch(SDKSIGN_CREDENTIAL_MEETING, deadline);
        BOOST_TEST(meeting.credential->key == "meeting-key");
        BOOST_TEST(secret_of(meeting.credential) == "meeting-secret");
        BOOST_TEST(meeting.refresh_after_s == 0U);
        const auto video = provider.fetch(SDKSIGN_CREDENTIAL_VIDEO, deadline);
        BOOST_TEST(video.credential->key == "video-key");
        BOOST_TEST(secret_of(video.credential) == "video-secret");
    }
}

BOOST_AUTO_TEST_CASE(has_no_credential_it_was_not_given) {
    Provider provider(ProviderLibrary::open(example_plugin()),
                      {{"video-key", "v"}, {"video-secret-fd", std::to_string(pipe_holding("s"))}});
    try {
        provider.fetch(SDKSIGN_CREDENTIAL_MEETING, deadline);
        BOOST_ERROR("the meeting credential was not configured");
    } catch (const CredentialError& e) {
        BOOST_TEST(e.status() == SDKSIGN_E_NOT_FOUND);
    }
}

BOOST_AUTO_TEST_CASE(refuses_what_cannot_be_a_credential) {
    struct Row {
        std::string what;
        std::vector<ProviderOption> options;
        std::string message;
    };
    const std::vector<Row> rows{
        {"no options", {}, "set key and secret-fd"},
        {"a key alone", {{"key", "k"}}, "key and secret-fd go together"},
        {"an empty key", {{"secret-fd", std::to_string(pipe_holding("s"))}, {"key", ""}}, "key is empty"},
        {"not a number", {{"key", "k"}, {"secret-fd", "three"}}, "'three' is not a file descriptor number"},
        {"a sign", {{"key", "k"}, {"secret-fd", "-3"}}, "is not a file descriptor number"},
        {"stdin", {{"key", "k"}, {"secret-fd", "0"}}, "use 3 or above"},
        {"not open", {{"key", "k"}, {"secret-fd", "987"}}, "cannot read file descriptor 987"},
        {"empty", {{"key", "k"}, {"secret-fd", std::to_string(pipe_holding("\n"))}}, "empty secret"},
        {"too long",
         {{"key", "k"}, {"secret-fd", std::to_string(pipe_holding(std::string(4097, 's')))}},
         "more than 4096 bytes"},
    };
    const auto library = ProviderLibrary::open(example_plugin());
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.what) {
            try {
                Provider provider(library, row.options);
                BOOST_ERROR("accepted");
            } catch (const ConfigError& e) {
                const std::string message = e.what();
                BOOST_TEST(message.find(row.message) != std::string::npos, message);
                BOOST_TEST(message.find("sss") == std::string::npos);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(logs_through_the_host_without_the_secret) {
    sdksign::log::set_level(sdksign::log::Level::info);
    const auto library = ProviderLibrary::open(example_plugin());
    sdksign::test::CapturedStderr captured;
    Provider provider(library, {{"key", "k"}, {"secret-fd", std::to_string(pipe_holding("hush-secret"))}});
    const auto lines = captured.lines();
    BOOST_TEST_REQUIRE(lines.size() == 1U);
    BOOST_TEST(lines[0].find("] info fd: read the Meeting SDK secret") != std::string::npos, lines[0]);
    BOOST_TEST(lines[0].find("hush-secret") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// The real file provider (plugins/file), loaded from the built file.so: every dotenv shape, JSON, each way a
// file changes, half-written files, permissions, and errors that name the file and line but never a value.
#define BOOST_TEST_MODULE sdksign file provider tests
#include "captured_stderr.hpp"
#include "cli/commands.hpp"
#include "credentials/provider_plugin.hpp"
#include "credentials/store.hpp"
#include "errors.hpp"
#include "plugin_paths.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using sdksign::CredentialError;
using sdksign::credentials::Provider;
using sdksign::credentials::ProviderLibrary;
using sdksign::credentials::ProviderOption;
using sdksign::test::CapturedStderr;
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::milliseconds deadline{1000};

std::shared_ptr<const ProviderLibrary> file_library() {
    static const auto library =
        ProviderLibrary::open(sdksign::test::required_path("SDKSIGN_TEST_FILE_PLUGIN"));
    return library;
}

/// A private scratch folder, removed with everything in it.
class ScratchDir {
public:
    ScratchDir() {
        std::string pattern = (fs::temp_directory_path() / "sdksign-file-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    ScratchDir(ScratchDir&&) = delete;
    ScratchDir& operator=(ScratchDir&&) = delete;
    ~ScratchDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    [[nodiscard]] const fs::path& path() const { return path_; }
    [[nodiscard]] fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

void write_file(const fs::path& path, const std::string& text, mode_t mode = 0600) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
    }
    ::chmod(path.c_str(), mode);
}

/// The way editors and secret managers replace a file: write a new one beside it, then rename it over.
void replace_atomically(const fs::path& path, const std::string& text) {
    const fs::path temporary = path.string() + ".tmp";
    write_file(temporary, text);
    fs::rename(temporary, path);
}

/// The way `echo ... > file` rewrites in place: same inode, truncated then written.
void rewrite_in_place(const fs::path& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    BOOST_TEST_REQUIRE(fd >= 0);
    BOOST_TEST_REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
}

std::string dotenv(const std::string& key, const std::string& secret) {
    return "ZOOM_MEETING_SDK_KEY=" + key + "\nZOOM_MEETING_SDK_SECRET=" + secret + "\n";
}

std::string secret_of(const sdksign::credentials::CredentialPtr& credential) {
    return {credential->secret.begin(), credential->secret.end()};
}

std::unique_ptr<Provider> provider_for(const fs::path& path, std::vector<ProviderOption> options = {}) {
    options.push_back({"path", path.string()});
    return std::make_unique<Provider>(file_library(), options);
}

struct Failure {
    int status = SDKSIGN_OK;
    std::string message;
};

Failure fetch_failure(Provider& provider, const char* credential = "meeting") {
    try {
        provider.fetch(credential, deadline);
    } catch (const CredentialError& e) {
        return {e.status(), e.what()};
    }
    return {};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

struct Shape {
    const char* name;
    std::string text;
    std::string key;
    std::string secret;
};

} // namespace

BOOST_AUTO_TEST_SUITE(file_provider_cpp)

BOOST_AUTO_TEST_CASE(reads_every_dotenv_shape_of_zooms_sample) {
    const std::vector<Shape> shapes = {
        {"the sample's .env", "ZOOM_MEETING_SDK_KEY=abcKEY123\nZOOM_MEETING_SDK_SECRET=s3cr3tVALUE\n",
         "abcKEY123", "s3cr3tVALUE"},
        {"no final newline", "ZOOM_MEETING_SDK_KEY=k1\nZOOM_MEETING_SDK_SECRET=s1", "k1", "s1"},
        {"CRLF line ends", "ZOOM_MEETING_SDK_KEY=k2\r\nZOOM_MEETING_SDK_SECRET=s2\r\n", "k2", "s2"},
        {"export prefix", "export ZOOM_MEETING_SDK_KEY=k3\nexport\tZOOM_MEETING_SDK_SECRET=s3\n", "k3", "s3"},
        {"double quotes", "ZOOM_MEETING_SDK_KEY=\"k 4\"\nZOOM_MEETING_SDK_SECRET=\"s#4\"\n", "k 4", "s#4"},
        {"single quotes", "ZOOM_MEETING_SDK_KEY='k5'\nZOOM_MEETING_SDK_SECRET='s\\n5'\n", "k5", "s\\n5"},
        {"back quotes", "ZOOM_MEETING_SDK_KEY=`k6`\nZOOM_MEETING_SDK_SECRET=`s'6\"`\n", "k6", "s'6\""},
        {"escapes in double quotes", "ZOOM_MEETING_SDK_KEY=k7\nZOOM_MEETING_SDK_SECRET=\"a\\nb\\rc\"\n", "k7",
         "a\nb\rc"},
        {"comments and blank lines",
         "# Zoom credentials\n\n   \nZOOM_MEETING_SDK_KEY=k8 # the client id\n  # indented comment\n"
         "ZOOM_MEETING_SDK_SECRET=s8#trailing\n\n",
         "k8", "s8"},
        {"blanks around = and the value",
         "  ZOOM_MEETING_SDK_KEY =  k9  \nZOOM_MEETING_SDK_SECRET\t=\ts9\t\n", "k9", "s9"},
        {"comment after a quoted value",
         "ZOOM_MEETING_SDK_KEY=\"k10\" # c\nZOOM_MEETING_SDK_SECRET='s10'#c\n", "k10", "s10"},
        {"multi-line quoted value", "ZOOM_MEETING_SDK_SECRET=\"line1\nline2\"\nZOOM_MEETING_SDK_KEY=k11\n",
         "k11", "line1\nline2"},
        {"multi-line quoted value with CRLF",
         "ZOOM_MEETING_SDK_SECRET='l1\r\nl2'\r\nZOOM_MEETING_SDK_KEY=k16\r\n", "k16", "l1\nl2"},
        {"later definition wins",
         "ZOOM_MEETING_SDK_KEY=old\nZOOM_MEETING_SDK_SECRET=s12\nZOOM_MEETING_SDK_KEY=new\n", "new", "s12"},
        {"other variables around",
         "PORT=4000\nZOOM_MEETING_SDK_KEY=k13\nNODE_ENV=dev\nZOOM_MEETING_SDK_SECRET=s13\n", "k13", "s13"},
        {"colon separator", "ZOOM_MEETING_SDK_KEY: k14\nZOOM_MEETING_SDK_SECRET: s14\n", "k14", "s14"},
        {"UTF-8 secret", "ZOOM_MEETING_SDK_KEY=k15\nZOOM_MEETING_SDK_SECRET=t\xc3\xabst\n", "k15",
         "t\xc3\xabst"},
    };
    const ScratchDir dir;
    for (const auto& shape : shapes) {
        BOOST_TEST_CONTEXT(shape.name) {
            write_file(dir / ".env", shape.text);
            auto provider = provider_for(dir / ".env");
            const auto result = provider->fetch("meeting", deadline);
            BOOST_TEST(result.credential->key == shape.key);
            BOOST_TEST((secret_of(result.credential) == shape.secret)); // no value printed on failure
            BOOST_TEST(result.refresh_after_s == 2U);
        }
    }
}

BOOST_AUTO_TEST_CASE(configurable_names_and_the_video_credential) {
    const ScratchDir dir;
    write_file(dir / "creds.env",
               "MY_KEY=mk\nMY_SECRET=ms\nZOOM_VIDEO_SDK_KEY=vk\nZOOM_VIDEO_SDK_SECRET=vs\n");
    auto provider = provider_for(dir / "creds.env", {{"key-name", "MY_KEY"}, {"secret-name", "MY_SECRET"}});
    BOOST_TEST(provider->fetch("meeting", deadline).credential->key == "mk");
    BOOST_TEST(provider->fetch("video", deadline).credential->key == "vk");
    BOOST_TEST(fetch_failure(*provider, "webinar").status == SDKSIGN_E_NOT_FOUND);
}

BOOST_AUTO_TEST_CASE(reads_json_by_extension_or_by_option) {
    const ScratchDir dir;
    const std::string json =
        "{\n  \"ZOOM_MEETING_SDK_KEY\": \"jk\",\n  \"ZOOM_MEETING_SDK_SECRET\": \"j\\u00e9s\"\n}\n";
    write_file(dir / "zoom.json", json);
    auto by_extension = provider_for(dir / "zoom.json");
    const auto result = by_extension->fetch("meeting", deadline);
    BOOST_TEST(result.credential->key == "jk");
    BOOST_TEST((secret_of(result.credential) == "j\xc3\xa9s"));

    write_file(dir / "zoom.secret", json);
    auto by_option = provider_for(dir / "zoom.secret", {{"format", "json"}});
    BOOST_TEST(by_option->fetch("meeting", deadline).credential->key == "jk");

    write_file(dir / "bad.json",
               "{\n \"ZOOM_MEETING_SDK_KEY\": \"jk\",\n \"ZOOM_MEETING_SDK_SECRET\": \"hidden-value");
    auto truncated = provider_for(dir / "bad.json");
    const auto failure = fetch_failure(*truncated);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(contains(failure.message, (dir / "bad.json").string() + " line 3"), failure.message);
    BOOST_TEST(!contains(failure.message, "hidden-value"));

    write_file(dir / "number.json", R"({"ZOOM_MEETING_SDK_KEY": "jk", "ZOOM_MEETING_SDK_SECRET": 12345})");
    auto number = provider_for(dir / "number.json");
    const auto not_text = fetch_failure(*number);
    BOOST_TEST(not_text.status == SDKSIGN_E_INVALID);
    BOOST_TEST(contains(not_text.message, "ZOOM_MEETING_SDK_SECRET is not a string"), not_text.message);
    BOOST_TEST(!contains(not_text.message, "12345"));

    write_file(dir / "array.json", R"(["ZOOM_MEETING_SDK_KEY"])");
    BOOST_TEST(fetch_failure(*provider_for(dir / "array.json")).status == SDKSIGN_E_UNAVAILABLE);
}

BOOST_AUTO_TEST_CASE(picks_up_an_atomic_rename_an_in_place_rewrite_and_a_symlink_swap) {
    const ScratchDir dir;
    const fs::path file = dir / ".env";
    write_file(file, dotenv("key-1", "secret-1"));
    auto provider = provider_for(file);
    BOOST_TEST(provider->fetch("meeting", deadline).credential->key == "key-1");

    replace_atomically(file, dotenv("key-2", "secret-2"));
    auto result = provider->fetch("meeting", deadline);
    BOOST_TEST(result.credential->key == "key-2");
    BOOST_TEST((secret_of(result.credential) == "secret-2"));

    // Same size, same inode: only the content (and mtime) tell the versions apart.
    rewrite_in_place(file, dotenv("key-3", "secret-3"));
    result = provider->fetch("meeting", deadline);
    BOOST_TEST(result.credential->key == "key-3");
    BOOST_TEST((secret_of(result.credential) == "secret-3"));

    // A Kubernetes secret volume: zoom.env -> ..data/zoom.env, ..data -> ..<timestamp>/; an update writes a
    // new timestamped folder and renames a new ..data link over the old one.
    const fs::path mount = dir / "mount";
    fs::create_directories(mount / "..2026_01_01_00_00_00.1");
    write_file(mount / "..2026_01_01_00_00_00.1" / "zoom.env", dotenv("key-4", "secret-4"));
    fs::create_directory_symlink("..2026_01_01_00_00_00.1", mount / "..data");
    fs::create_symlink("..data/zoom.env", mount / "zoom.env");
    auto mounted = provider_for(mount / "zoom.env");
    BOOST_TEST(mounted->fetch("meeting", deadline).credential->key == "key-4");
    fs::create_directories(mount / "..2026_01_01_00_05_00.2");
    write_file(mount / "..2026_01_01_00_05_00.2" / "zoom.env", dotenv("key-5", "secret-5"));
    fs::create_directory_symlink("..2026_01_01_00_05_00.2", mount / "..data_tmp");
    fs::rename(mount / "..data_tmp", mount / "..data");
    fs::remove_all(mount / "..2026_01_01_00_00_00.1");
    result = mounted->fetch("meeting", deadline);
    BOOST_TEST(result.credential->key == "key-5");
    BOOST_TEST((secret_of(result.credential) == "secret-5"));
}

BOOST_AUTO_TEST_CASE(a_half_written_file_never_becomes_the_credential) {
    const std::vector<Shape> halves = {
        {"empty (truncated, not yet written)", "", "", ""},
        {"cut inside a quoted secret", "ZOOM_MEETING_SDK_KEY=key-2\nZOOM_MEETING_SDK_SECRET=\"new-sec", "",
         ""},
        {"cut inside a name", "ZOOM_MEETING_SDK_KEY=key-2\nZOOM_MEETING_SDK_SEC", "", ""},
    };
    const ScratchDir dir;
    const fs::path file = dir / ".env";
    for (const auto& half : halves) {
        BOOST_TEST_CONTEXT(half.name) {
            write_file(file, dotenv("key-1", "secret-1"));
            auto provider = provider_for(file);
            auto now = std::chrono::steady_clock::now();
            sdksign::credentials::Store store({}, [&now] { return now; });
            store.refresh(provider->fetcher(), "meeting");
            rewrite_in_place(file, half.text);
            BOOST_TEST(fetch_failure(*provider).status == SDKSIGN_E_UNAVAILABLE);
            // Through the store, as the server refreshes: the last good credential stays.
            now += std::chrono::seconds(3);
            store.refresh_due([&](std::string_view name, std::chrono::milliseconds limit) {
                return provider->fetch(name, limit);
            });
            BOOST_TEST_REQUIRE(store.current("meeting") != nullptr);
            BOOST_TEST(store.current("meeting")->key == "key-1");
            BOOST_TEST((secret_of(store.current("meeting")) == "secret-1"));
        }
    }
}

BOOST_AUTO_TEST_CASE(errors_name_the_file_and_line_never_a_value) {
    const ScratchDir dir;
    const fs::path file = dir / ".env";
    write_file(file, "ZOOM_MEETING_SDK_KEY=k\n# fine\nthis-is-a-hidden-value\nZOOM_MEETING_SDK_SECRET=s\n");
    auto provider = provider_for(file);
    auto failure = fetch_failure(*provider);
    BOOST_TEST(failure.status == SDKSIGN_E_UNAVAILABLE);
    BOOST_TEST(contains(failure.message, file.string() + " line 3: not a NAME=value line"), failure.message);
    BOOST_TEST(!contains(failure.message, "hidden"));

    write_file(file, "ZOOM_MEETING_SDK_KEY=k\nZOOM_MEETING_SDK_SECRET=\"hidden-value\" trailing\n");
    failure = fetch_failure(*provider);
    BOOST_TEST(contains(failure.message, file.string() + " line 2: unexpected text after the closing quote"),
               failure.message);
    BOOST_TEST(!contains(failure.message, "hidden"));

    // Half a credential is a mistake (invalid); none at all is a credential the host may do without.
    write_file(file, "ZOOM_MEETING_SDK_KEY=k\n");
    failure = fetch_failure(*provider);
    BOOST_TEST(failure.status == SDKSIGN_E_INVALID);
    BOOST_TEST(contains(failure.message,
                        file.string() + " has no ZOOM_MEETING_SDK_SECRET, but has ZOOM_MEETING_SDK_KEY"),
               failure.message);
    write_file(file, "ZOOM_MEETING_SDK_KEY=k\nZOOM_MEETING_SDK_SECRET=s\nZOOM_VIDEO_SDK_SECRET=v\n");
    failure = fetch_failure(*provider, "video");
    BOOST_TEST(failure.status == SDKSIGN_E_INVALID);
    BOOST_TEST(contains(failure.message,
                        file.string() + " has no ZOOM_VIDEO_SDK_KEY, but has ZOOM_VIDEO_SDK_SECRET"),
               failure.message);
    write_file(file, "OTHER=1\n");
    failure = fetch_failure(*provider);
    BOOST_TEST(failure.status == SDKSIGN_E_NOT_FOUND);
    BOOST_TEST(contains(failure.message, file.string() + " has no ZOOM_MEETING_SDK_KEY"), failure.message);

    write_file(file, "ZOOM_MEETING_SDK_KEY=k\n\nZOOM_MEETING_SDK_SECRET=\"\"\n");
    failure = fetch_failure(*provider);
    BOOST_TEST(failure.status == SDKSIGN_E_INVALID);
    BOOST_TEST(contains(failure.message, file.string() + " line 3: ZOOM_MEETING_SDK_SECRET is empty"),
               failure.message);

    write_file(file, "ZOOM_MEETING_SDK_KEY=\"   \"\nZOOM_MEETING_SDK_SECRET=s\n");
    failure = fetch_failure(*provider);
    BOOST_TEST(failure.status == SDKSIGN_E_INVALID);
    BOOST_TEST(contains(failure.message, file.string() + " line 1: ZOOM_MEETING_SDK_KEY is only whitespace"),
               failure.message);

    fs::remove(file);
    failure = fetch_failure(*provider);
    BOOST_TEST(failure.status == SDKSIGN_E_NOT_FOUND);
    BOOST_TEST(contains(failure.message, "cannot open " + file.string()), failure.message);

    fs::create_directory(file);
    BOOST_TEST(fetch_failure(*provider).status == SDKSIGN_E_CONFIG);
}

BOOST_AUTO_TEST_CASE(permissions_are_checked_like_ssh) {
    struct Row {
        mode_t mode;
        const char* policy;
        int status;
        bool warns;
    };
    const std::vector<Row> rows = {
        {0600, "warn", SDKSIGN_OK, false},         {0400, "warn", SDKSIGN_OK, false},
        {0640, "warn", SDKSIGN_OK, true},          {0644, "warn", SDKSIGN_OK, true},
        {0620, "warn", SDKSIGN_E_DENIED, false},   {0602, "warn", SDKSIGN_E_DENIED, false},
        {0600, "strict", SDKSIGN_OK, false},       {0640, "strict", SDKSIGN_E_DENIED, false},
        {0604, "strict", SDKSIGN_E_DENIED, false}, {0666, "ignore", SDKSIGN_OK, false},
    };
    const ScratchDir dir;
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT("mode " << std::oct << row.mode << " permissions=" << row.policy) {
            const fs::path file = dir / ".env";
            fs::remove(file);
            write_file(file, dotenv("k", "s"), row.mode);
            auto provider = provider_for(file, {{"permissions", row.policy}});
            CapturedStderr captured;
            const auto failure = fetch_failure(*provider);
            const auto again = fetch_failure(*provider);
            const std::string warnings = captured.text();
            BOOST_TEST(failure.status == row.status, failure.message);
            BOOST_TEST(again.status == row.status);
            if (row.status == SDKSIGN_E_DENIED) {
                BOOST_TEST(contains(failure.message, file.string()), failure.message);
            }
            // Once per file, not once per fetch.
            const auto lines = static_cast<std::size_t>(std::count(warnings.begin(), warnings.end(), '\n'));
            BOOST_TEST(lines == (row.warns ? 1U : 0U), warnings);
            if (row.warns) {
                BOOST_TEST(
                    contains(warnings, "warn file: " + file.string() + " can be read by group or others"));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(refuses_bad_options) {
    const auto library = file_library();
    const auto config_error = [&](const std::vector<ProviderOption>& options, const std::string& part) {
        try {
            Provider provider(library, options);
            BOOST_ERROR("accepted options that should be refused: " << part);
        } catch (const sdksign::ConfigError& e) {
            BOOST_TEST(contains(e.what(), part), e.what());
        }
    };
    config_error({}, "option 'path' is required");
    config_error({{"path", ""}}, "the path is empty");
    config_error({{"path", "/x"}, {"colour", "blue"}}, "unknown option 'colour'");
    config_error({{"path", "/x"}, {"format", "yaml"}}, "'yaml' is not auto, dotenv or json");
    config_error({{"path", "/x"}, {"permissions", "lax"}}, "'lax' is not warn, strict or ignore");
    config_error({{"path", "/x"}, {"refresh-seconds", "-1"}}, "refresh-seconds");
    config_error({{"path", "/x"}, {"refresh-seconds", "86401"}}, "refresh-seconds");
    config_error({{"path", "/x"}, {"key-name", "BAD NAME"}}, "is not a NAME");

    const ScratchDir dir;
    write_file(dir / ".env", dotenv("k", "s"));
    auto provider = provider_for(dir / ".env", {{"refresh-seconds", "30"}});
    BOOST_TEST(provider->fetch("meeting", deadline).refresh_after_s == 30U);
}

BOOST_AUTO_TEST_CASE(sdksign_check_reports_in_one_line_without_the_secret) {
    const ScratchDir dir;
    const fs::path file = dir / ".env";
    write_file(file, dotenv("check-key", "check-secret-value"));
    auto provider = provider_for(file);
    std::ostringstream good;
    BOOST_TEST(sdksign::cli::run_check(*provider, deadline, good) == 0);
    BOOST_TEST(good.str().starts_with("ok: "), good.str());
    BOOST_TEST(contains(good.str(), "check-key"));
    BOOST_TEST(!contains(good.str(), "check-secret-value"));

    write_file(file, "ZOOM_MEETING_SDK_KEY=check-key\nZOOM_MEETING_SDK_SECRET='check-secret-value\n");
    std::ostringstream bad;
    BOOST_TEST(sdksign::cli::run_check(*provider, deadline, bad) != 0);
    const std::string text = bad.str();
    BOOST_TEST(text.starts_with("not usable: "), text);
    BOOST_TEST(contains(text, file.string() + " line 2"), text);
    BOOST_TEST(std::count(text.begin(), text.end(), '\n') <= 2);
    BOOST_TEST(!contains(text, "check-secret-value"));
}

BOOST_AUTO_TEST_SUITE_END()

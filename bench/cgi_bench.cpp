// The cost of one CGI request, process start to exit: spawn the program with a CGI environment, write the
// body to its stdin, read its stdout to the end, wait for it. Programs are run in turn (A, B, A, B, ...) so
// that both see the same machine; prints "label<TAB>median_us<TAB>mean_us" per program, the label being the
// program's path, prefixed with the changes to its environment: --with NAME=VALUE gives the next program a
// variable (replacing the same variable of the environment cgi_bench was started with), --without NAME
// takes one away from it; each may be given more than once.
//
//   cgi_bench --requests N --body TEXT [--with NAME=VALUE | --without NAME]... PROGRAM [...]
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace {

/// One CGI request; returns false when the program cannot be run or does not exit 0.
bool run_once(const std::string& program, const std::vector<char*>& environment, std::string_view body) {
    std::array<int, 2> to_child{};
    std::array<int, 2> from_child{};
    if (::pipe(to_child.data()) != 0 || ::pipe(from_child.data()) != 0) {
        return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, to_child[1]);
    posix_spawn_file_actions_addclose(&actions, from_child[0]);
    // posix_spawn takes argv as char* const[]: a copy it may point into, rather than a const_cast.
    std::string argv0 = program;
    std::array<char*, 2> argv{argv0.data(), nullptr};
    pid_t pid = 0;
    const int spawned =
        ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environment.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    bool ok = spawned == 0;
    if (ok && ::write(to_child[1], body.data(), body.size()) != static_cast<ssize_t>(body.size())) {
        ok = false;
    }
    ::close(to_child[1]);
    std::array<char, 4096> buffer{};
    std::size_t received = 0;
    for (;;) {
        const ssize_t n = ::read(from_child[0], buffer.data(), buffer.size());
        if (n <= 0) {
            break;
        }
        received += static_cast<std::size_t>(n);
    }
    ::close(from_child[0]);
    int status = 0;
    if (spawned == 0 && ::waitpid(pid, &status, 0) != pid) {
        ok = false;
    }
    return ok && received > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

} // namespace

int main(int argc, char** argv) {
    long requests = 200;
    std::string body;
    struct Program {
        std::string path;
        std::vector<std::string> with; // NAME=VALUE, for this program only
        std::vector<std::string> without; // NAME, taken away for this program only
    };
    std::vector<Program> programs;
    Program next;
    for (int i = 1; i < argc; ++i) {
        const std::string_view argument = argv[i];
        if (argument == "--requests" && i + 1 < argc) {
            requests = std::max(1L, std::atol(argv[++i]));
        } else if (argument == "--body" && i + 1 < argc) {
            body = argv[++i];
        } else if (argument == "--with" && i + 1 < argc) {
            next.with.emplace_back(argv[++i]);
        } else if (argument == "--without" && i + 1 < argc) {
            next.without.emplace_back(argv[++i]);
        } else {
            next.path = argument;
            programs.push_back(std::move(next));
            next = Program{};
        }
    }
    if (programs.empty()) {
        std::cerr << "usage: cgi_bench --requests N --body TEXT PROGRAM...\n";
        return 2;
    }
    std::vector<std::string> variables = {
        "GATEWAY_INTERFACE=CGI/1.1",
        "REQUEST_METHOD=POST",
        "PATH_INFO=/",
        "SERVER_PROTOCOL=HTTP/1.1",
        "REMOTE_ADDR=127.0.0.1",
        "CONTENT_TYPE=application/json",
        "CONTENT_LENGTH=" + std::to_string(body.size()),
    };
    std::vector<char*> shared;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        shared.push_back(*entry);
    }
    for (auto& variable : variables) {
        shared.push_back(variable.data());
    }
    std::vector<std::vector<char*>> environments;
    for (auto& program : programs) {
        // A variable given replaces one of the same name: sdksign refuses an option given twice.
        std::vector<std::string> dropped;
        for (const auto& variable : program.with) {
            dropped.push_back(variable.substr(0, variable.find('=') + 1));
        }
        for (const auto& name : program.without) {
            dropped.push_back(name + "=");
        }
        environments.emplace_back();
        for (char* entry : shared) {
            const bool drop = std::any_of(dropped.begin(), dropped.end(), [&](const std::string& name) {
                return std::string_view(entry).starts_with(name);
            });
            if (!drop) {
                environments.back().push_back(entry);
            }
        }
        for (auto& variable : program.with) {
            environments.back().push_back(variable.data());
        }
        environments.back().push_back(nullptr);
    }

    std::vector<std::vector<double>> micros(programs.size());
    for (long r = 0; r < requests; ++r) {
        for (std::size_t p = 0; p < programs.size(); ++p) {
            const auto start = std::chrono::steady_clock::now();
            if (!run_once(programs[p].path, environments[p], body)) {
                std::cerr << "cgi_bench: " << programs[p].path << " failed\n";
                return 1;
            }
            micros[p].push_back(
                std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
        }
    }
    for (std::size_t p = 0; p < programs.size(); ++p) {
        auto& times = micros[p];
        const double mean =
            std::accumulate(times.begin(), times.end(), 0.0) / static_cast<double>(times.size());
        std::sort(times.begin(), times.end());
        std::string label;
        for (const auto& variable : programs[p].with) {
            label += variable + " ";
        }
        for (const auto& name : programs[p].without) {
            label += "-" + name + " ";
        }
        label += programs[p].path;
        std::printf("%s\t%.1f\t%.1f\n", label.c_str(), times[times.size() / 2], mean);
    }
    return 0;
}

#include "dotenv.hpp"

namespace sdksign::file_provider {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/// Walks the text keeping the line number; every error names the line it is on.
class Cursor {
public:
    explicit Cursor(std::string_view text) : text_(text) { }

    [[nodiscard]] bool done() const { return pos_ >= text_.size(); }
    [[nodiscard]] char peek() const { return done() ? '\0' : text_[pos_]; }
    [[nodiscard]] std::size_t line() const { return line_; }

    /// At a line end: "\n", "\r\n", a lone "\r" at the very end, or the end of the text.
    [[nodiscard]] bool at_line_end() const {
        return done() || text_[pos_] == '\n' ||
            (text_[pos_] == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n'));
    }

    char take() {
        const char c = text_[pos_++];
        if (c == '\n') {
            ++line_;
        }
        return c;
    }

    void skip_blanks() {
        while (!done() && is_blank(peek())) {
            ++pos_;
        }
    }

    /// Skips the rest of the line and its line end.
    void next_line() {
        while (!done() && peek() != '\n') {
            ++pos_;
        }
        if (!done()) {
            take();
        }
    }

    bool take_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) == word && pos_ + word.size() < text_.size() &&
            is_blank(text_[pos_ + word.size()])) {
            pos_ += word.size();
            return true;
        }
        return false;
    }

    std::string take_name() {
        const std::size_t start = pos_;
        if (!done() && is_name_start(peek())) {
            while (!done() && is_name_char(peek())) {
                ++pos_;
            }
        }
        return std::string(text_.substr(start, pos_ - start));
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
};

WipedBuffer quoted_value(Cursor& cursor) {
    const std::size_t first_line = cursor.line();
    const char quote = cursor.take();
    WipedBuffer value;
    for (;;) {
        if (cursor.done()) {
            throw ParseError(first_line,
                             "the quoted value has no closing " + std::string(1, quote) +
                                 " (is the file complete?)");
        }
        const char c = cursor.take();
        if (c == quote) {
            break;
        }
        if (c == '\r' && cursor.peek() == '\n') {
            continue; // dotenv turns CRLF into LF before it parses, inside quotes too
        }
        if (c == '\\' && quote == '"' && !cursor.done()) {
            // dotenv: \n and \r become line ends; \" does not end the value and stays as written.
            const char next = cursor.peek();
            if (next == 'n' || next == 'r') {
                cursor.take();
                value.push_back(next == 'n' ? '\n' : '\r');
                continue;
            }
            if (next == '"') {
                value.push_back(c);
                value.push_back(cursor.take());
                continue;
            }
        }
        value.push_back(c);
    }
    cursor.skip_blanks();
    if (cursor.peek() != '#' && !cursor.at_line_end()) {
        throw ParseError(cursor.line(), "unexpected text after the closing quote");
    }
    return value;
}

WipedBuffer unquoted_value(Cursor& cursor) {
    WipedBuffer value;
    while (!cursor.at_line_end() && cursor.peek() != '#') {
        value.push_back(cursor.take());
    }
    while (!value.empty() && is_blank(value.back())) {
        value.pop_back();
    }
    return value;
}

} // namespace

std::vector<Entry> parse_dotenv(std::string_view text) {
    std::vector<Entry> entries;
    Cursor cursor(text);
    while (!cursor.done()) {
        cursor.skip_blanks();
        if (cursor.at_line_end() || cursor.peek() == '#') {
            cursor.next_line();
            continue;
        }
        if (cursor.take_word("export")) {
            cursor.skip_blanks();
        }
        const std::size_t line = cursor.line();
        std::string name = cursor.take_name();
        cursor.skip_blanks();
        if (name.empty() || (cursor.peek() != '=' && cursor.peek() != ':')) {
            // The line is not echoed: it may be (part of) a secret.
            throw ParseError(line, "not a NAME=value line");
        }
        cursor.take();
        cursor.skip_blanks();
        const char first = cursor.peek();
        WipedBuffer value =
            (first == '"' || first == '\'' || first == '`') ? quoted_value(cursor) : unquoted_value(cursor);
        cursor.next_line(); // a comment after the value, the line end
        // A later definition wins, as in dotenv.parse; the earlier value is wiped as it goes.
        std::erase_if(entries, [&](const Entry& entry) { return entry.name == name; });
        entries.push_back({std::move(name), std::move(value), line});
    }
    return entries;
}

} // namespace sdksign::file_provider

#include "data/time_machine.hpp"

#include "core/error.hpp"

#include <stdexcept>

#include "core/file_io.hpp"

namespace xg::data {

std::vector<std::string> read_time_machine(const std::string& path) {
    const std::string text = read_file(path);
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\n' && text[i] != '\r') continue;
        lines.push_back(preprocess_time_machine_line(std::string_view(text).substr(start, i - start)));
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        start = i + 1;
    }
    if (start < text.size()) lines.push_back(preprocess_time_machine_line(std::string_view(text).substr(start)));
    return lines;
}

Corpus load_corpus_time_machine(const std::string& path, std::size_t max_tokens, TokenKind kind) {
    const auto tokens = tokenize(read_time_machine(path), kind);
    Corpus c{{}, Vocab(tokens)};
    for (const auto& line : tokens)
        for (const auto& t : line) {
            if (max_tokens > 0 && c.ids.size() == max_tokens) break;
            c.ids.push_back(c.vocab[t]);
        }
    if (c.ids.empty())
        throw FormatError("load_corpus_time_machine '" + path + "': no tokens (the file has no letters A-Z)");
    return c;
}

}  // namespace xg::data

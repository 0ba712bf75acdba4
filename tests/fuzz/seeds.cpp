// Writes the seed corpus of every fuzz target: small valid inputs made by xgrad's own
// writers, and damaged copies of them (cut short, a wrong field, a file missing), so the
// fuzzer starts past the first checks. Run after a format changes:
//   build-sanitize/tests/fuzz/fuzz_seeds tests/fuzz/corpus
// It overwrites the seeds it writes and leaves every other file (the findings) alone.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <xgrad.hpp>

#include "checkpoint_setup.hpp"

namespace fs = std::filesystem;
using namespace std::string_literals;  // "\0" inside seeds

namespace {

fs::path out_root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
    const fs::path dir = out_root / target;
    fs::create_directories(dir);
    xg::write_file_atomic((dir / name).string(), bytes);
}

// A safetensors file from a header and a data section, as the format lays them out.
std::string safetensors(const nlohmann::json& header, const std::string& data) {
    const std::string h = header.dump();
    std::string out(8, '\0');
    const std::uint64_t n = h.size();
    std::memcpy(out.data(), &n, 8);
    return out + h + data;
}

std::string bytes_of(const std::vector<std::uint8_t>& v) { return std::string(v.begin(), v.end()); }

void safetensors_seeds(const fs::path& tmp) {
    xg::manual_seed(0);
    xg::nn::Linear linear(xg::nn::LinearOptions(3, 2));
    const std::string path = (tmp / "linear.safetensors").string();
    xg::nn::save(linear, path);
    const std::string valid = xg::read_file(path);
    put("safetensors", "linear_f32.safetensors", valid);
    put("safetensors", "truncated.safetensors", valid.substr(0, valid.size() - 3));
    put("safetensors", "trailing_byte.safetensors", valid + "x");
    std::string long_header = valid;
    long_header[1] = 0x7f;  // the header length claims more than the file holds
    put("safetensors", "header_too_long.safetensors", long_header);

    // every dtype, a scalar and an empty tensor; F16 1.0 = 0x3c00, BF16 1.0 = 0x3f80
    nlohmann::json h = {
        {"__metadata__", {{"format", "pt"}}},
        {"f16", {{"dtype", "F16"}, {"shape", {2}}, {"data_offsets", {0, 4}}}},
        {"bf16", {{"dtype", "BF16"}, {"shape", {1}}, {"data_offsets", {4, 6}}}},
        {"u8", {{"dtype", "U8"}, {"shape", {2}}, {"data_offsets", {6, 8}}}},
        {"i32", {{"dtype", "I32"}, {"shape", {1, 1}}, {"data_offsets", {8, 12}}}},
        {"f64", {{"dtype", "F64"}, {"shape", nlohmann::json::array()}, {"data_offsets", {12, 20}}}},
        {"i64", {{"dtype", "I64"}, {"shape", {1}}, {"data_offsets", {20, 28}}}},
        {"empty", {{"dtype", "F32"}, {"shape", {0, 3}}, {"data_offsets", {28, 28}}}},
    };
    const std::string data = bytes_of({0x00, 0x3c, 0x01, 0x80, 0x80, 0x3f, 7, 255, 0xfe, 0xff, 0xff, 0xff,  //
                                       0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 5, 0, 0, 0, 0, 0, 0, 0x80});
    put("safetensors", "dtypes.safetensors", safetensors(h, data));
    put("safetensors", "empty_header.safetensors", safetensors(nlohmann::json::object(), ""));

    auto broken = [&](const char* name, const nlohmann::json& tensor, const std::string& data) {
        put("safetensors", name, safetensors({{"weight", tensor}}, data));
    };
    broken("overlap.safetensors", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}, std::string(4, '\0'));
    broken("negative_shape.safetensors", {{"dtype", "F32"}, {"shape", {-1}}, {"data_offsets", {0, 4}}}, std::string(4, '\0'));
    broken("huge_shape.safetensors",
           {{"dtype", "F32"}, {"shape", {0, 4611686018427387904ull, 4}}, {"data_offsets", {0, 0}}}, "");
    broken("float_offset.safetensors", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4.5}}}, std::string(4, '\0'));
    broken("unknown_dtype.safetensors", {{"dtype", "F8"}, {"shape", {1}}, {"data_offsets", {0, 1}}}, "x");
    put("safetensors", "not_an_object.safetensors", safetensors({1, 2}, ""));
}

// A checkpoint folder as fuzz.hpp's archive: "==> name <==" lines, each followed by the file.
std::string archive(const fs::path& dir, const std::vector<std::string>& skip = {}, const std::string& extra = "") {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    std::string out;
    for (const auto& n : names) {
        if (std::find(skip.begin(), skip.end(), n) != skip.end()) continue;
        out += (out.empty() ? "" : "\n") + std::string("==> ") + n + " <==\n" + xg::read_file((dir / n).string());
    }
    return out + extra;
}

void checkpoint_seeds(const fs::path& tmp) {
    const char* names[fuzz::kSetups] = {"sgd_steplr", "adam_cosine", "adamw_sequential", "rmsprop_plateau", "adagrad"};
    for (int k = 0; k < fuzz::kSetups; ++k) {
        fuzz::Setup s = fuzz::make_setup(k);
        s.step();
        s.step();
        const fs::path dir = tmp / names[k];
        const xg::data::Vocab vocab(std::vector<std::string>{"a", "b", "a"});
        nlohmann::json meta = {{"program", "fuzz"}, {"epoch", 2}};
        if (k == fuzz::kSetups - 1) meta["generator"] = xg::generator_state();  // 6 kB of text: in one seed only
        xg::optim::save_checkpoint(dir.string(), *s.model, *s.optimizer, meta,
                                   [&](const std::string& d) { vocab.save(d + "/vocab.json"); }, s.scheduler.get());
        put("checkpoint", std::string(names[k]) + ".txt", archive(dir));
        if (k == 1) {  // damaged copies of one of them
            put("checkpoint", "no_optimizer.txt", archive(dir, {"optimizer.safetensors"}));
            put("checkpoint", "no_meta.txt", archive(dir, {"checkpoint.json"}));
            put("checkpoint", "extra_file.txt", archive(dir, {}, "\n==> notes.txt <==\nhello"));
            put("checkpoint", "model_is_folder.txt", archive(dir, {"model.safetensors"}, "\n==> model.safetensors/ <==\n"));
            put("checkpoint", "bad_meta.txt", archive(dir, {"checkpoint.json"}, "\n==> checkpoint.json <==\n{\"epoch\": "));
        }
    }
}

void vocab_seeds(const fs::path& tmp) {
    const xg::data::Vocab vocab(std::vector<std::string>{"the", "time", "the", "machine", "é", "the"}, 0, {"<pad>"});
    const std::string path = (tmp / "vocab.json").string();
    vocab.save(path);
    put("vocab", "valid.json", xg::read_file(path));
    put("vocab", "duplicate.json",
        R"({"format": "xgrad.vocab", "version": 1, "idx_to_token": ["<unk>", "a", "a"], "token_freqs": [["a", 2]]})");
    put("vocab", "no_unk.json", R"({"format": "xgrad.vocab", "version": 1, "idx_to_token": ["a"], "token_freqs": []})");
    put("vocab", "bad_count.json",
        R"({"format": "xgrad.vocab", "version": 1, "idx_to_token": ["<unk>"], "token_freqs": [["a", -1]]})");
    put("vocab", "version2.json", R"({"format": "xgrad.vocab", "version": 2, "idx_to_token": ["<unk>"], "token_freqs": []})");
}

void imdb_seeds() {
    put("imdb", "small.txt",
        "==> train/pos/0_9.txt <==\nA moving, brilliant film.<br /><br />See it!\n"
        "==> train/pos/12_7.txt <==\nGood\xc2\xa0" "fun\xc2\x85 really\n"
        "==> train/neg/3_2.txt <==\nDull. I didn't like it\n"
        "==> test/pos/1_10.txt <==\nsuperb\n"
        "==> test/neg/2_1.txt <==\nawful, awful\n"
        "==> test/neg/.DS_Store <==\n\x00\x01"s);
    put("imdb", "bad_name.txt", "==> train/pos/review.txt <==\nhi\n==> train/neg/1_1.txt <==\nbye");
    put("imdb", "no_neg.txt", "==> train/pos/0_9.txt <==\nfine");
    put("imdb", "folder_review.txt", "==> train/pos/5_5.txt/ <==\n\n==> train/neg/1_1.txt <==\nbye");
    put("imdb", "empty_review.txt", "==> train/pos/0_9.txt <==\n\n==> train/neg/1_1.txt <==\n");
}

void text_seeds() {
    const std::vector<std::pair<const char*, std::string>> texts = {
        {"review.txt", "A <br /><br />great film! Don't miss it... 10/10"},
        {"unicode.txt", "caf\xc3\xa9 na\xc3\xafve\xc2\xa0space\xe2\x80\x83wide \xf0\x9f\x8e\xac end"},
        {"invalid_utf8.txt", "ok \xff\xfe \xc3 \xe2\x82 tail\x80"},
        {"whitespace.txt", "\t a\x1c b\x1f\r\n c\x0b\x0c d  "},
        {"html.txt", "<BR>x<br/>y<Br />z<br"},
    };
    for (const auto& [name, text] : texts) put("tokenizer", name, text);
    const std::string book = xg::read_file(std::string(XG_SOURCE_ROOT) + "/data/corpora/timemachine.txt");
    put("time_machine", "book_start.txt", book.substr(0, 600));
    put("time_machine", "crlf.txt", "The Time\r\nTraveller\rsaid\n\nFILBY 1898");
    put("time_machine", "no_letters.txt", "1898 -- 42\n\n");
    put("time_machine", "one_word.txt", "traveller");
}

void flag_seeds() {
    auto args = [](std::initializer_list<const char*> a) {
        std::string s;
        for (const char* x : a) s += (s.empty() ? "" : std::string(1, '\0')) + x;
        return s;
    };
    put("flags_time_machine", "lstmp.txt", args({"--model", "lstmp", "--hidden", "8", "--epochs", "2", "--lr", "0.5"}));
    put("flags_time_machine", "generate.txt", args({"generate", "--checkpoint", "tm.ckpt", "--temperature", "0.7", "--length", "5"}));
    put("flags_time_machine", "help.txt", args({"--help"}));
    put("flags_time_machine", "bad_numbers.txt", args({"--epochs", "-5", "--lr", "nan", "--threads", "999"}));
    put("flags_time_machine", "resume.txt", args({"--resume", "x", "--proj", "3", "--model=scratch", "--random-iter"}));
    put("flags_imdb_sentiment", "train.txt",
        args({"--model", "last", "--embed", "4", "--dropout", "0.2", "--schedule", "cosine", "--tokenizer", "clean"}));
    put("flags_imdb_sentiment", "predict.txt", args({"predict", "--checkpoint", "c", "a fine film", "another"}));
    put("flags_imdb_sentiment", "help.txt", args({"-h"}));
    put("flags_imdb_sentiment", "recipe.txt", args({"--recipe", "d2l", "--model", "pool", "--lr", "0.02", "--epochs", "2"}));
    put("flags_imdb_sentiment", "bad.txt", args({"--dropout", "1", "--weight-decay", "-1", "--limit", "1e3", "stray"}));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_seeds CORPUS_DIR   (e.g. tests/fuzz/corpus)\n");
        return 2;
    }
    out_root = argv[1];
    const fs::path tmp = fs::temp_directory_path() / ("xgrad-seeds-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    safetensors_seeds(tmp);
    checkpoint_seeds(tmp);
    vocab_seeds(tmp);
    imdb_seeds();
    text_seeds();
    flag_seeds();
    fs::remove_all(tmp);
    std::printf("seeds written under %s\n", out_root.c_str());
    return 0;
}

// Safetensors I/O: save/load round trips, a state_dict written by PyTorch's side
// (tests/fixtures/make_nn_fixtures.py) loading into an LSTM, every error with its
// message and the module unchanged after it, strict=false, and atomic writes.
#define BOOST_TEST_MODULE nn_serialize
#include "common.hpp"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

using namespace test;
namespace nn = xg::nn;
namespace fs = std::filesystem;

namespace {

// A fresh folder per test case, removed afterwards.
struct TempDir {
    fs::path dir;
    TempDir() {
        static int count = 0;
        dir = fs::temp_directory_path() / ("xgrad_nn_serialize_" + std::to_string(::getpid()) + "_" + std::to_string(count++));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string operator/(const std::string& name) const { return (dir / name).string(); }
    std::vector<std::string> files() const {
        std::vector<std::string> out;
        for (auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

// A safetensors file by hand: 8-byte little-endian header length, the header, the data.
std::string raw_file(const std::string& header, const std::string& data, std::uint64_t claimed_length = 0) {
    std::string out(8, '\0');
    const std::uint64_t n = claimed_length ? claimed_length : header.size();
    std::memcpy(out.data(), &n, 8);
    return out + header + data;
}

template <class T>
std::string bytes_of(std::initializer_list<T> values) {
    std::string out;
    for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof(T));
    return out;
}

struct Model : nn::Module {
    nn::Embedding embed{nn::EmbeddingOptions(7, 3).padding_idx(0)};
    nn::LSTM rnn{nn::LSTMOptions(3, 5).num_layers(2).bidirectional(true).proj_size(2)};
    std::shared_ptr<nn::Linear> head = std::make_shared<nn::Linear>(nn::LinearOptions(4, 2));
    Model() {
        register_module("embed", embed);
        register_module("rnn", rnn);
        register_module("head", head);
    }
};

using Values = std::vector<std::pair<std::string, xt::xarray<float>>>;

Values values_of(const nn::Module& m) {
    Values out;
    for (auto& [n, p] : m.named_parameters()) out.emplace_back(n, p.value());
    return out;
}

// Exactly the same names, shapes and values.
void check_same(const Values& a, const Values& b) {
    BOOST_TEST_REQUIRE(a.size() == b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
        BOOST_TEST(a[k].first == b[k].first);
        BOOST_TEST((a[k].second == b[k].second), a[k].first << " differs");
    }
}

// An LSTM's parameters as a writer, to edit before writing.
nn::SafetensorsWriter writer_for(const nn::Module& m, const std::string& skip = "") {
    nn::SafetensorsWriter w;
    for (auto& [n, p] : m.named_parameters())
        if (n != skip) w.add(n, p.value());
    return w;
}

// load() throws an xg::Error (IOError or FormatError) mentioning the file and `part`, and leaves m as it was.
void check_load_fails(nn::Module& m, const std::string& path, const std::string& part, bool strict = true) {
    const Values before = values_of(m);
    BOOST_CHECK_EXCEPTION(nn::load(m, path, strict), xg::Error, [&](const xg::Error& e) {
        const std::string what = e.what();
        const bool ok = what.find(part) != std::string::npos && what.find(path) != std::string::npos;
        if (!ok) BOOST_TEST_MESSAGE("message was: " << what);
        return ok;
    });
    check_same(values_of(m), before);
}

}  // namespace

// ---- round trips ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(save_load_round_trip_of_a_nested_model) {
    TempDir tmp;
    xg::manual_seed(1);
    Model a;
    nn::save(a, tmp / "model.safetensors");
    BOOST_TEST(tmp.files() == std::vector<std::string>{"model.safetensors"});

    // the file: torch's dotted names in order, F32, the metadata safetensors.torch writes
    nn::SafetensorsReader r(tmp / "model.safetensors");
    std::vector<std::string> names;
    for (auto& [n, p] : a.named_parameters()) names.push_back(n);
    BOOST_TEST(r.names() == names, boost::test_tools::per_element());
    BOOST_TEST(r.contains("rnn.weight_hr_l1_reverse"));
    BOOST_TEST(r.dtype("rnn.weight_ih_l1") == "F32");
    BOOST_TEST((r.shape("rnn.weight_ih_l1") == Shape{20, 4}));
    BOOST_TEST(r.metadata().at("format") == "pt");
    // the data starts 8-byte aligned, as the reference writer's does
    std::uint64_t n = 0;
    std::memcpy(&n, read_bytes(tmp / "model.safetensors").data(), 8);
    BOOST_TEST(n % 8 == 0u);

    xg::manual_seed(2);
    Model b;
    BOOST_TEST(!(values_of(a)[1].second == values_of(b)[1].second));
    nn::load(b, tmp / "model.safetensors");
    check_same(values_of(b), values_of(a));
    // the loaded module computes what the saved one did
    const xg::IndexArray ids = {{1, 2}, {0, 6}, {3, 3}};
    a.eval();
    b.eval();
    auto run = [&](Model& m) { return m.head->forward(m.rnn.forward(m.embed(ids)).output).value(); };
    BOOST_TEST(run(a) == run(b));
    // a loaded parameter is still the module's tensor and still trains
    BOOST_TEST(b.rnn.parameter("weight_ih_l0").requires_grad());
    BOOST_TEST(b.parameter("head.weight").is_same(b.head->weight));
}

BOOST_AUTO_TEST_CASE(double_modules_write_f64_and_load_into_float) {
    TempDir tmp;
    xg::manual_seed(3);
    nn::LinearT<double> d(nn::LinearOptions(3, 2));
    nn::save(d, tmp / "d.safetensors");
    nn::SafetensorsReader r(tmp / "d.safetensors");
    BOOST_TEST(r.dtype("weight") == "F64");
    nn::Linear f(nn::LinearOptions(3, 2));
    nn::load(f, tmp / "d.safetensors");
    CHECK_CLOSE_ARRAYS(f.weight.value(), d.weight.value(), 1e-7, 0);
    CHECK_CLOSE_ARRAYS(f.bias.value(), d.bias.value(), 1e-7, 0);
    nn::LinearT<double> d2(nn::LinearOptions(3, 2));
    nn::save(f, tmp / "f.safetensors");
    nn::load(d2, tmp / "f.safetensors");
    BOOST_TEST(d2.weight.value() == xt::xarray<double>(f.weight.value()));
}

// PyTorch -> xgrad: an LSTM state_dict written as safetensors.torch.save_file does
// (tests/fixtures/make_nn_fixtures.py), loaded strictly, computes torch's outputs.
BOOST_AUTO_TEST_CASE(loads_a_pytorch_state_dict) {
    nn::LSTM lstm(nn::LSTMOptions(4, 6).num_layers(2).bidirectional(true).proj_size(3));
    nn::SafetensorsReader sd(test::fixture("nn_torch_lstm.safetensors"));
    BOOST_TEST(sd.metadata().at("module") == lstm.repr());
    std::vector<std::string> file_names = sd.names(), ours;
    for (auto& [n, p] : lstm.named_parameters()) ours.push_back(n);
    BOOST_TEST(file_names == ours, boost::test_tools::per_element());  // torch's state_dict order

    nn::load(lstm, test::fixture("nn_torch_lstm.safetensors"));  // strict
    for (auto& [n, p] : lstm.named_parameters()) BOOST_TEST((p.value() == sd.get<float>(n)), n);
    nn::SafetensorsReader io(test::fixture("nn_torch_lstm_io.safetensors"));
    auto t = [&](const char* n) { return xg::from_array(io.get<float>(n)); };
    auto [out, state] = lstm.forward(t("x"), {t("h0"), t("c0")});
    CHECK_CLOSE_ARRAYS(out.value(), io.get<float>("out"), 1e-4, 1e-5);
    CHECK_CLOSE_ARRAYS(state.h.value(), io.get<float>("h_n"), 1e-4, 1e-5);
    CHECK_CLOSE_ARRAYS(state.c.value(), io.get<float>("c_n"), 1e-4, 1e-5);
}

// ---- errors: each names the problem and the file, and leaves the module unchanged ----------

BOOST_AUTO_TEST_CASE(missing_unexpected_and_wrong_shape) {
    TempDir tmp;
    xg::manual_seed(4);
    nn::LSTM src(nn::LSTMOptions(3, 4).num_layers(2));
    nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2));

    writer_for(src, "weight_hh_l1").write(tmp / "missing.safetensors");
    check_load_fails(lstm, tmp / "missing.safetensors", "cannot load into LSTM: missing tensor(s) \"weight_hh_l1\"");

    auto extra = writer_for(src);
    extra.add("weight_ih_l2", xt::xarray<float>::from_shape({16, 4}));
    extra.add("encoder.bias", xt::xarray<float>{1, 2});
    extra.write(tmp / "unexpected.safetensors");
    check_load_fails(lstm, tmp / "unexpected.safetensors",
                     "cannot load into LSTM: unexpected tensor(s) \"weight_ih_l2\", \"encoder.bias\"");

    auto both = writer_for(src, "bias_ih_l0");
    both.add("bias_ih_l0_reverse", xt::xarray<float>::from_shape({16}));
    both.write(tmp / "both.safetensors");
    check_load_fails(lstm, tmp / "both.safetensors",
                     "missing tensor(s) \"bias_ih_l0\"; unexpected tensor(s) \"bias_ih_l0_reverse\"");

    // a wrong shape late in the file: nothing before it is copied either
    auto shape = writer_for(src, "bias_hh_l1");
    shape.add("bias_hh_l1", xt::xarray<float>::from_shape({12}));
    shape.write(tmp / "shape.safetensors");
    check_load_fails(lstm, tmp / "shape.safetensors",
                     "size mismatch for \"bias_hh_l1\": the file has shape (12), the module LSTM expects (16)");
    auto transposed = writer_for(src, "weight_ih_l0");
    transposed.add("weight_ih_l0", xt::xarray<float>::from_shape({3, 16}));
    transposed.write(tmp / "transposed.safetensors");
    check_load_fails(lstm, tmp / "transposed.safetensors",
                     "size mismatch for \"weight_ih_l0\": the file has shape (3, 16), the module LSTM expects (16, 3)");

    auto integer = writer_for(src, "bias_hh_l1");
    integer.add("bias_hh_l1", xt::xarray<std::int64_t>::from_shape({16}));
    integer.write(tmp / "integer.safetensors");
    check_load_fails(lstm, tmp / "integer.safetensors",
                     "tensor \"bias_hh_l1\" has dtype I64, expected a floating-point type");

    // and after all that, a good file still loads
    writer_for(src).write(tmp / "good.safetensors");
    nn::load(lstm, tmp / "good.safetensors");
    check_same(values_of(lstm), values_of(src));
}

BOOST_AUTO_TEST_CASE(truncated_files) {
    TempDir tmp;
    xg::manual_seed(5);
    nn::GRU src(nn::GRUOptions(2, 3).bidirectional(true));
    nn::GRU gru(nn::GRUOptions(2, 3).bidirectional(true));
    nn::save(src, tmp / "good.safetensors");
    const std::string bytes = read_bytes(tmp / "good.safetensors");
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    const std::size_t end = bytes.size();
    struct Cut {
        std::size_t at;
        std::string part;
    };
    const std::vector<Cut> cuts = {
        {0, "not a safetensors file: 0 bytes, too short for a header"},
        {5, "not a safetensors file: 5 bytes, too short for a header"},
        {8, "truncated or not a safetensors file: the header claims"},
        {8 + n / 2, "truncated or not a safetensors file: the header claims " + std::to_string(n) + " bytes"},
        {8 + n - 1, "truncated or not a safetensors file"},
        {8 + n, "truncated or corrupt: tensor"},  // the header alone
        {8 + n + 5, "truncated or corrupt: tensor"},
        {(8 + n + end) / 2, "truncated or corrupt: tensor"},
        {end - 4, "truncated or corrupt: tensor"},
        {end - 1, "truncated or corrupt: tensor"},
    };
    for (const auto& cut : cuts) {
        BOOST_TEST_CONTEXT("file cut at byte " << cut.at << " of " << end) {
            const std::string path = tmp / ("cut" + std::to_string(cut.at) + ".safetensors");
            write_bytes(path, bytes.substr(0, cut.at));
            check_load_fails(gru, path, cut.part);
            BOOST_CHECK_THROW(nn::SafetensorsReader{path}, xg::FormatError);
        }
    }
    // the message says which tensor and how much is there
    const std::string path = tmp / "last.safetensors";
    write_bytes(path, bytes.substr(0, end - 1));
    const std::size_t data = end - 8 - n;
    check_load_fails(gru, path, "tensor \"bias_hh_l0_reverse\" has data offsets [" + std::to_string(data - 36) + ", " +
                                    std::to_string(data) + ") but the data section has " + std::to_string(data - 1) +
                                    " bytes");
}

BOOST_AUTO_TEST_CASE(corrupt_headers) {
    TempDir tmp;
    nn::Linear lin(nn::LinearOptions(2, 2).bias(false));  // weight (2, 2): 16 bytes
    const std::string data = bytes_of<float>({1, 2, 3, 4});
    auto check = [&](const std::string& name, const std::string& bytes, const std::string& part) {
        BOOST_TEST_CONTEXT(name) {
            const std::string path = tmp / (name + ".safetensors");
            write_bytes(path, bytes);
            check_load_fails(lin, path, part);
        }
    };
    const std::string good = R"({"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
    write_bytes(tmp / "good.safetensors", raw_file(good, data));
    nn::Linear probe(nn::LinearOptions(2, 2).bias(false));
    nn::load(probe, tmp / "good.safetensors");  // the hand-made file is valid
    BOOST_TEST(probe.weight.value() == (xt::xarray<float>{{1, 2}, {3, 4}}));

    std::string broken = good;
    broken[0] = '#';
    check("not_json", raw_file(broken, data), "corrupt safetensors header: ");
    check("cut_json", raw_file(good.substr(0, 30), data), "corrupt safetensors header: ");
    check("not_object", raw_file("[1, 2, 3]", data), "corrupt safetensors header: not a JSON object");
    check("no_dtype", raw_file(R"({"weight":{"shape":[2,2],"data_offsets":[0,16]}})", data),
          "corrupt safetensors header for tensor \"weight\"");
    check("bad_shape", raw_file(R"({"weight":{"dtype":"F32","shape":"2x2","data_offsets":[0,16]}})", data),
          "corrupt safetensors header for tensor \"weight\"");
    check("three_offsets", raw_file(R"({"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8,16]}})", data),
          "data_offsets must have two numbers");
    check("bad_metadata", raw_file(R"({"__metadata__":[1],"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})", data),
          "__metadata__ is not an object");
    check("unknown_dtype", raw_file(R"({"weight":{"dtype":"F8","shape":[2,2],"data_offsets":[0,16]}})", data),
          "tensor \"weight\" has unsupported dtype F8");
    // header length beyond the file
    check("long_header", raw_file(good, data, good.size() + data.size() + 1),
          "the header claims " + std::to_string(good.size() + data.size() + 1) + " bytes but the file has " +
              std::to_string(8 + good.size() + data.size()));
    check("huge_header", raw_file(good, data, ~std::uint64_t(0)), "truncated or not a safetensors file");
    // data offsets outside the data, reversed, or not matching the shape
    check("offsets_out", raw_file(R"({"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]}})", data),
          "tensor \"weight\" has data offsets [16, 32) but the data section has 16 bytes");
    check("offsets_reversed", raw_file(R"({"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[16,0]}})", data),
          "tensor \"weight\" has data offsets [16, 0)");
    check("offsets_size", raw_file(R"({"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", data),
          "corrupt: tensor \"weight\" of shape (2, 2) and dtype F32 needs 16 bytes, the file gives 12");
    // sizes must be whole non-negative numbers, and the shape's byte count must not overflow
    check("fraction_shape", raw_file(R"({"weight":{"dtype":"F32","shape":[2,2.5],"data_offsets":[0,16]}})", data),
          "shape holds 2.5, not a size");
    check("negative_shape", raw_file(R"({"weight":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}})", data),
          "shape holds -2, not a size");
    check("negative_offset", raw_file(R"({"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[-16,0]}})", data),
          "data_offsets holds -16, not a size");
    check("overflow", raw_file(R"({"weight":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}})", data),
          "tensor \"weight\" of shape (4611686018427387904, 4) is too large");
    // an empty tensor whose other dimensions overflow xtensor's signed strides (found by tests/fuzz)
    check("empty_overflow", raw_file(R"({"weight":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}})", ""),
          "tensor \"weight\" of shape (0, 4611686018427387904, 4) is too large");
    // the tensors tile the data exactly: no overlap, gap or trailing bytes
    check("overlap", raw_file(R"({"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                              R"("other":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", data),
          "tensors overlap or leave a gap");
    check("gap", raw_file(R"({"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[4,20]}})", data + "abcd"),
          "tensor \"weight\" starts at byte 4 of the data, expected 0");
    check("trailing", raw_file(good, data + "abcd"), "corrupt: 4 bytes after the last tensor");
    check("empty", "", "too short for a header");
}

// Floats read as integers only when whole and in range (a cast out of range is undefined
// behaviour; found by tests/fuzz).
BOOST_AUTO_TEST_CASE(floats_as_integers) {
    const std::string header = R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})";
    auto reader = [&](std::initializer_list<float> v) { return nn::SafetensorsReader::from_bytes(raw_file(header, bytes_of<float>(v)), "mem"); };
    BOOST_TEST(reader({-3, 0, 1e18f}).get<std::int64_t>("w") == (xt::xarray<std::int64_t>{-3, 0, 999999984306749440}));
    CHECK_THROWS_WITH(reader({1, 2, 1.6e19f}).get<std::int64_t>("w"),
                      "mem: tensor \"w\" of dtype F32 cannot be read as integers: element 2 is 1.59999997e+19, not a whole number");
    CHECK_THROWS_WITH(reader({std::nanf(""), 2, 3}).get<std::int64_t>("w"), "element 0 is nan, not a whole number");
    CHECK_THROWS_WITH(reader({1, -0.302f, 3}).get<std::int64_t>("w"), "element 1 is -0.301999986, not a whole number");
    BOOST_TEST(reader({1, 2.5f, 3}).get<double>("w")(1) == 2.5);
}

BOOST_AUTO_TEST_CASE(missing_file) {
    TempDir tmp;
    nn::Linear lin(nn::LinearOptions(2, 2));
    check_load_fails(lin, tmp / "nothing.safetensors", "no such file");
    check_load_fails(lin, tmp / "no_folder/nothing.safetensors", "no such file");
    CHECK_THROWS_WITH(nn::SafetensorsReader(tmp / "nothing.safetensors"), "nothing.safetensors: no such file");
    BOOST_CHECK_THROW(nn::SafetensorsReader(tmp / "nothing.safetensors"), xg::IOError);  // missing: I/O, not format
}

BOOST_AUTO_TEST_CASE(strict_false) {
    TempDir tmp;
    xg::manual_seed(6);
    nn::LSTM src(nn::LSTMOptions(3, 4));
    nn::LSTM lstm(nn::LSTMOptions(3, 4));
    const Values before = values_of(lstm);
    auto w = writer_for(src, "bias_hh_l0");  // missing bias_hh_l0
    w.add("weight_ih_l9", xt::xarray<float>::from_shape({2}));  // unexpected, any shape
    w.write(tmp / "partial.safetensors");
    check_load_fails(lstm, tmp / "partial.safetensors", "missing tensor(s) \"bias_hh_l0\"");
    nn::load(lstm, tmp / "partial.safetensors", /*strict=*/false);
    for (auto& [n, p] : lstm.named_parameters()) {
        const auto& want = n == "bias_hh_l0" ? before[3].second : src.parameter(n).value();
        BOOST_TEST((p.value() == want), n);
    }
    // shapes are still checked, and nothing is copied when one is wrong
    nn::LSTM fresh(nn::LSTMOptions(3, 4));
    auto bad = writer_for(src, "weight_hh_l0");
    bad.add("weight_hh_l0", xt::xarray<float>::from_shape({16, 5}));
    bad.write(tmp / "bad.safetensors");
    check_load_fails(fresh, tmp / "bad.safetensors", "size mismatch for \"weight_hh_l0\"", /*strict=*/false);
    // a file with none of the names loads nothing, without error
    nn::SafetensorsWriter other;
    other.add("something_else", xt::xarray<float>{1});
    other.write(tmp / "other.safetensors");
    const Values fresh_before = values_of(fresh);
    nn::load(fresh, tmp / "other.safetensors", false);
    check_same(values_of(fresh), fresh_before);
}

// ---- the reader and the writer ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reader_and_writer) {
    TempDir tmp;
    nn::SafetensorsWriter w;
    w.add("b", xt::xarray<float>{{1, 2, 3}});
    w.add("a", xt::xarray<double>{0.5, -1.25});
    w.add("ids", xt::xarray<std::int64_t>{{7, 0}, {-3, 4}});
    w.add("scalar", xt::xarray<float>(2.5f));
    w.set_metadata("note", "hello");
    CHECK_THROWS_WITH(w.add("b", xt::xarray<float>{1}), "safetensors: tensor \"b\" added twice");
    CHECK_THROWS_WITH(w.add("__metadata__", xt::xarray<float>{1}), "invalid tensor name \"__metadata__\"");
    CHECK_THROWS_WITH(w.add("", xt::xarray<float>{1}), "invalid tensor name \"\"");
    w.write(tmp / "t.safetensors");
    nn::SafetensorsReader r(tmp / "t.safetensors");
    BOOST_TEST(r.names() == (std::vector<std::string>{"b", "a", "ids", "scalar"}), boost::test_tools::per_element());
    BOOST_TEST(r.dtype("a") == "F64");
    BOOST_TEST(r.dtype("ids") == "I64");
    BOOST_TEST((r.shape("b") == Shape{1, 3}));
    BOOST_TEST((r.shape("scalar") == Shape{}));
    BOOST_TEST(r.metadata().at("note") == "hello");
    BOOST_TEST(r.get<float>("b") == (xt::xarray<float>{{1, 2, 3}}));
    BOOST_TEST(r.get<double>("a") == (xt::xarray<double>{0.5, -1.25}));
    BOOST_TEST(r.get<float>("a") == (xt::xarray<float>{0.5f, -1.25f}));
    BOOST_TEST(r.get<std::int64_t>("ids") == (xt::xarray<std::int64_t>{{7, 0}, {-3, 4}}));
    BOOST_TEST(r.get<float>("scalar")() == 2.5f);
    BOOST_TEST(!r.contains("c"));
    CHECK_THROWS_WITH(r.get<float>("c"), "t.safetensors: no tensor named \"c\"");
    CHECK_THROWS_WITH(r.shape("c"), "no tensor named \"c\"");

    // half precision from other writers: F16 (with a subnormal and infinity) and BF16
    const std::string header =
        R"({"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},"bf":{"dtype":"BF16","shape":[2],"data_offsets":[10,14]}})";
    const std::string data = bytes_of<std::uint16_t>({0x3C00, 0xC000, 0x3800, 0x0001, 0x7C00}) +
                             bytes_of<std::uint16_t>({0x3F80, 0xC0A0});
    write_bytes(tmp / "half.safetensors", raw_file(header, data));
    nn::SafetensorsReader h(tmp / "half.safetensors");
    auto hv = h.get<float>("h");
    BOOST_TEST(hv(0) == 1.0f);
    BOOST_TEST(hv(1) == -2.0f);
    BOOST_TEST(hv(2) == 0.5f);
    BOOST_TEST(hv(3) == std::ldexp(1.0f, -24));
    BOOST_TEST(std::isinf(hv(4)));
    BOOST_TEST(h.get<float>("bf") == (xt::xarray<float>{1.0f, -5.0f}));
}

// ---- atomic writes -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(atomic_write) {
    TempDir tmp;
    const std::string path = tmp / "file.bin";
    xg::write_file_atomic(path, "first version");
    BOOST_TEST(read_bytes(path) == "first version");
    BOOST_TEST(tmp.files() == std::vector<std::string>{"file.bin"});  // no temporary left behind
    xg::write_file_atomic(path, "second");  // replaces, shorter
    BOOST_TEST(read_bytes(path) == "second");
    BOOST_TEST(tmp.files() == std::vector<std::string>{"file.bin"});
    xg::write_file_atomic(path, std::string());
    BOOST_TEST(fs::file_size(path) == 0u);

    // a missing folder: a clear error, nothing created
    const std::string missing = tmp / "no_such_folder/file.bin";
    CHECK_THROWS_WITH(xg::write_file_atomic(missing, "x"), missing + ": cannot write: folder ");
    CHECK_THROWS_WITH(xg::write_file_atomic(missing, "x"), "does not exist");
    BOOST_CHECK_THROW(xg::write_file_atomic(missing, "x"), xg::IOError);
    BOOST_TEST(!fs::exists(tmp / "no_such_folder"));

    // save() goes through it: replacing a model file leaves one complete file
    xg::manual_seed(7);
    nn::Linear a(nn::LinearOptions(3, 2)), b(nn::LinearOptions(3, 2));
    const std::string model = tmp / "model.safetensors";
    nn::save(a, model);
    nn::save(b, model);
    BOOST_TEST(tmp.files() == (std::vector<std::string>{"file.bin", "model.safetensors"}));
    nn::Linear c(nn::LinearOptions(3, 2));
    nn::load(c, model);
    check_same(values_of(c), values_of(b));
    CHECK_THROWS_WITH(nn::save(a, tmp / "no_such_folder/model.safetensors"), "cannot write: folder");
    // a relative path in the working folder needs no folder part
    TempDir cwd;
    const fs::path old = fs::current_path();
    fs::current_path(cwd.dir);
    xg::write_file_atomic("plain.bin", "ok");
    fs::current_path(old);
    BOOST_TEST(read_bytes(cwd / "plain.bin") == "ok");
    BOOST_TEST(cwd.files() == std::vector<std::string>{"plain.bin"});
}

#include "optim/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "autograd/file_io.hpp"
#include "nn/serialize.hpp"

namespace xg::optim {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw std::runtime_error(path + ": " + what); }

void fsync_path(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

std::filesystem::path check_checkpoint_target(const std::string& dir) {
    fs::path target = fs::absolute(dir).lexically_normal();
    if (target.filename().empty()) target = target.parent_path();  // "ckpt/" names the folder ckpt
    if (fs::exists(target)) {
        if (!fs::is_directory(target)) fail(dir, "cannot save a checkpoint: a file of that name exists");
        if (!fs::is_empty(target) && !fs::exists(target / "checkpoint.json"))
            fail(dir, "cannot save a checkpoint: the folder exists and is not a checkpoint (no checkpoint.json)");
    }
    const fs::path parent = target.parent_path();
    if (!fs::is_directory(parent)) fail(dir, "cannot save a checkpoint: folder " + parent.string() + " does not exist");
    if (::access(parent.c_str(), W_OK | X_OK) != 0)
        fail(dir, "cannot save a checkpoint: folder " + parent.string() + " is not writable");
    return target;
}

void save_checkpoint(const std::string& dir, const nn::Module& model, const Optimizer& optimizer,
                     const nlohmann::json& meta, const std::function<void(const std::string&)>& extra,
                     const ScheduleState* scheduler) {
    const fs::path target = check_checkpoint_target(dir), parent = target.parent_path();
    const fs::path tmp = parent / hidden_sibling_name(target, ".tmp-");
    fs::remove_all(tmp);
    fs::create_directory(tmp);
    try {
        nn::save(model, (tmp / "model.safetensors").string());
        nn::SafetensorsWriter w;
        optimizer.save_state(w);
        if (scheduler) scheduler->save_state(w);
        w.write((tmp / "optimizer.safetensors").string());
        write_file_atomic((tmp / "checkpoint.json").string(), meta.dump(2) + "\n");
        if (extra) extra(tmp.string());
    } catch (...) {
        fs::remove_all(tmp);
        throw;
    }
    fsync_path(tmp);
    if (!fs::exists(target)) {
        fs::rename(tmp, target);
    } else if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
        fs::remove_all(tmp);  // now holds the previous checkpoint
    } else {
        // no atomic exchange on this file system: move the old one aside first
        const fs::path old = parent / hidden_sibling_name(target, ".old-");
        fs::remove_all(old);
        fs::rename(target, old);
        fs::rename(tmp, target);
        fs::remove_all(old);
    }
    fsync_path(parent);
}

nlohmann::json read_checkpoint_meta(const std::string& dir) {
    if (!fs::is_directory(dir)) fail(dir, fs::exists(dir) ? "not a checkpoint folder" : "no such checkpoint folder");
    const fs::path p = fs::path(dir) / "checkpoint.json";
    std::ifstream in(p);
    if (!in) fail(p.string(), "missing: not a checkpoint written by save_checkpoint");
    try {
        return nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        fail(p.string(), std::string("corrupt checkpoint metadata: ") + e.what());
    }
}

void load_checkpoint(const std::string& dir, nn::Module& model, Optimizer* optimizer, ScheduleState* scheduler) {
    read_checkpoint_meta(dir);  // is it a checkpoint at all
    const fs::path opt_path = fs::path(dir) / "optimizer.safetensors";
    std::unique_ptr<nn::SafetensorsReader> state;
    if (optimizer || scheduler) state = std::make_unique<nn::SafetensorsReader>(opt_path.string());  // read before changing anything
    nn::load(model, (fs::path(dir) / "model.safetensors").string());
    if (optimizer) optimizer->load_state(*state);
    if (scheduler) scheduler->load_state(*state);
}

}  // namespace xg::optim

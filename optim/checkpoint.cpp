#include "optim/checkpoint.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "core/file_io.hpp"
#include "nn/serialize.hpp"

namespace xg::optim {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw IOError(path + ": " + what); }

void fsync_path(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// The temporary folders of saves whose process died (killed mid-save: each holds a full copy
// of a model) are removed by the next save to the same target. A live process's temporary, a
// concurrent save's, is left alone; so are ".old-" folders (a save killed on a file system
// without an atomic exchange may have left the only copy there). Processes are looked up in
// this pid namespace: folders shared between containers may see a live saver's removed.
void remove_dead_temporaries(const fs::path& target) {
    const std::string prefix = hidden_sibling_name(target, ".tmp-");
    const std::string stem = prefix.substr(0, prefix.size() - std::to_string(::getpid()).size());
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(target.parent_path(), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() <= stem.size() || name.compare(0, stem.size(), stem) != 0) continue;
        const std::string digits = name.substr(stem.size());
        if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(digits));
        if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
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
    remove_dead_temporaries(target);
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
        std::error_code ec;  // keep the first error: on a read-only disk the removal fails too
        fs::remove_all(tmp, ec);
        throw;
    }
    fsync_path(tmp);
    if (!fs::exists(target)) {
        fs::rename(tmp, target);
    } else if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
        // tmp now holds the previous checkpoint. The save has succeeded: a failed removal
        // (the folder turned read-only just now) leaves it for the next save to remove.
        std::error_code ec;
        fs::remove_all(tmp, ec);
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
    if (!fs::exists(p)) fail(p.string(), "missing: not a checkpoint written by save_checkpoint");
    const std::string text = read_file(p.string());  // refuses a FIFO rather than waiting on it
    try {
        return nlohmann::json::parse(text);
    } catch (const std::exception& e) {
        throw FormatError(p.string() + ": corrupt checkpoint metadata: " + e.what());
    }
}

void load_checkpoint(const std::string& dir, nn::Module& model, Optimizer* optimizer, ScheduleState* scheduler) {
    read_checkpoint_meta(dir);  // is it a checkpoint at all
    // All or nothing. Both files are read and the weights checked before anything changes;
    // the schedule and the optimizer each check their state before they change, and the
    // schedule (a few numbers) is put back if the optimizer's state then fails; the weights
    // go in last.
    const fs::path opt_path = fs::path(dir) / "optimizer.safetensors";
    std::unique_ptr<nn::SafetensorsReader> state;
    if (optimizer || scheduler) state = std::make_unique<nn::SafetensorsReader>(opt_path.string());
    auto weights = nn::stage_load(model, nn::SafetensorsReader((fs::path(dir) / "model.safetensors").string()));
    if (scheduler) {
        nn::SafetensorsWriter before;
        scheduler->save_state(before);
        const auto undo = nn::SafetensorsReader::from_bytes(before.bytes(), "the schedule's state before loading " + dir);
        scheduler->load_state(*state);
        if (optimizer) {
            try {
                optimizer->load_state(*state);
            } catch (...) {
                scheduler->load_state(undo);
                throw;
            }
        }
    } else if (optimizer) {
        optimizer->load_state(*state);
    }
    weights.commit();
}

}  // namespace xg::optim

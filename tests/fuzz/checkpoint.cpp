// Checkpoint folders: the input is cut into the folder's files (fuzz.hpp's format), so
// files go missing, come twice, turn into folders or come extra. Each optimizer setup
// loads it (read_checkpoint_meta, load_checkpoint with optimizer and schedule) and, when
// that succeeds, trains a step. Errors must be xg::Error; a load that fails must
// leave the model unchanged.
#include <xgrad.hpp>

#include "checkpoint_setup.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts = fuzz::split_parts(fuzz::text(data, size));
    const auto dir = fuzz::Scratch::get().fresh("checkpoint");
    fuzz::write_parts(dir, parts);
    try {
        const auto meta = xg::optim::read_checkpoint_meta(dir.string());
        // the examples restore the random stream from it (an xg::Error if it is not one)
        if (meta.is_object() && meta.contains("generator") && meta["generator"].is_string()) {
            try {
                xg::set_generator_state(meta["generator"].get<std::string>());
            } catch (const xg::Error&) {
            }
        }
    } catch (const xg::Error&) {
    }
    for (int kind = 0; kind < fuzz::kSetups; ++kind) {
        fuzz::Setup s = fuzz::make_setup(kind);
        const xt::xarray<float> before = s.model->weight.value();
        try {
            xg::optim::load_checkpoint(dir.string(), *s.model, s.optimizer.get(), s.scheduler.get());
        } catch (const xg::Error&) {
            FUZZ_CHECK(s.model->weight.value() == before, "a failed load changed the model");
            continue;
        }
        s.step();
    }
    // the examples keep their vocabulary in the checkpoint too
    try {
        (void)xg::data::Vocab::load((dir / "vocab.json").string());
    } catch (const xg::Error&) {
    }
    return 0;
}

// Optimizer and schedule state in checkpoints (round trip, errors for wrong files),
// option checks, and what step() and zero_grad() do with parameters without gradients.
#define BOOST_TEST_MODULE optim_checkpoint
#include "common.hpp"

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include "optim/optim.hpp"

using namespace test;
using xg::Tensor;
namespace optim = xg::optim;
namespace fs = std::filesystem;

namespace {

// Two parameters with fixed values; each call gives fresh copies of the same values.
std::vector<Tensor> fresh_params() {
    xt::xarray<float> a = xt::xarray<float>::from_shape({3, 4}), b = xt::xarray<float>::from_shape({5});
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = std::sin(0.7f * float(i) + 0.3f);
    for (std::size_t i = 0; i < b.size(); ++i) b.data()[i] = std::cos(1.3f * float(i));
    return {xg::from_array(a, true), xg::from_array(b, true)};
}

// A deterministic gradient for step k (parameter 1 gets none at step 1).
void set_grads(const std::vector<Tensor>& ps, int k) {
    for (std::size_t i = 0; i < ps.size(); ++i) {
        if (k == 1 && i == 1) {
            ps[i].clear_grad();
            continue;
        }
        xt::xarray<float> g = xt::xarray<float>::from_shape(ps[i].shape());
        for (std::size_t j = 0; j < g.size(); ++j) g.data()[j] = std::sin(float(k * 31 + j * 7 + i)) * float(k + 1);
        ps[i].set_grad(g);
    }
}

// A file in the system's temporary folder, removed at the end of the test.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& name)
        : path((fs::temp_directory_path() / ("xgrad_optim_" + std::to_string(::getpid()) + "_" + name)).string()) {}
    ~TempFile() { fs::remove(path); }
};

using Make = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

template <class O, class Options>
Make make(Options o) {
    return [o](std::vector<Tensor> ps) { return std::make_unique<O>(std::move(ps), o); };
}

const std::vector<std::pair<std::string, Make>>& all_optimizers() {
    static const std::vector<std::pair<std::string, Make>> all = {
        {"SGD", make<optim::SGD>(optim::SGDOptions(0.1))},
        {"SGD momentum", make<optim::SGD>(optim::SGDOptions(0.1).momentum(0.9).dampening(0.1))},
        {"Adam", make<optim::Adam>(optim::AdamOptions(0.05).weight_decay(0.01))},
        {"Adam amsgrad", make<optim::Adam>(optim::AdamOptions(0.05).amsgrad(true))},
        {"AdamW", make<optim::AdamW>(optim::AdamWOptions(0.05))},
        {"RMSprop centered", make<optim::RMSprop>(optim::RMSpropOptions(0.01).momentum(0.9).centered(true))},
        {"Adagrad", make<optim::Adagrad>(optim::AdagradOptions(0.1).lr_decay(0.01).initial_accumulator_value(0.1))},
    };
    return all;
}

bool same_values(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].value() != b[i].value()) return false;
    return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(state_round_trip_continues_exactly) {
    // train 5 steps uninterrupted, or 3 steps, save, load into a fresh optimizer over
    // fresh copies of the parameters, 2 more steps: the same values, bit for bit
    for (const auto& [name, make_optimizer] : all_optimizers()) BOOST_TEST_CONTEXT(name) {
            auto straight = fresh_params();
            auto opt = make_optimizer(straight);
            optim::StepLR sched(*opt, 2, 0.5);
            for (int k = 0; k < 5; ++k) {
                set_grads(straight, k);
                opt->step();
                sched.step();
            }

            auto first = fresh_params();
            auto opt1 = make_optimizer(first);
            optim::StepLR sched1(*opt1, 2, 0.5);
            for (int k = 0; k < 3; ++k) {
                set_grads(first, k);
                opt1->step();
                sched1.step();
            }
            TempFile file("round_trip.safetensors");
            {
                xg::nn::SafetensorsWriter w;
                for (std::size_t i = 0; i < first.size(); ++i) w.add("model." + std::to_string(i), first[i].value());
                opt1->save_state(w);
                sched1.save_state(w);
                w.write(file.path);
            }

            auto resumed = fresh_params();
            auto opt2 = make_optimizer(resumed);
            optim::StepLR sched2(*opt2, 2, 0.5);
            xg::nn::SafetensorsReader r(file.path);
            for (std::size_t i = 0; i < resumed.size(); ++i) resumed[i].value() = r.get<float>("model." + std::to_string(i));
            opt2->load_state(r);
            sched2.load_state(r);
            BOOST_TEST(sched2.last_epoch() == 3);
            BOOST_TEST(opt2->lr() == opt1->lr());
            for (std::size_t i = 0; i < resumed.size(); ++i) {
                BOOST_TEST(opt2->state(i).initialized == opt1->state(i).initialized);
                BOOST_TEST(opt2->state(i).step == opt1->state(i).step);
            }
            for (int k = 3; k < 5; ++k) {
                set_grads(resumed, k);
                opt2->step();
                sched2.step();
            }
            BOOST_TEST(same_values(resumed, straight));
            BOOST_TEST(opt2->lr() == opt->lr());
        }
}

BOOST_AUTO_TEST_CASE(state_uses_torch_names) {
    auto ps = fresh_params();
    optim::Adam opt(ps, optim::AdamOptions(0.01).amsgrad(true));
    set_grads(ps, 1);  // parameter 1 has no gradient: no state, as in PyTorch
    opt.step();
    xg::nn::SafetensorsWriter w;
    opt.save_state(w);
    TempFile file("names.safetensors");
    w.write(file.path);
    xg::nn::SafetensorsReader r(file.path);
    const std::vector<std::string> want = {"optimizer.param_groups.0.lr",          "optimizer.param_groups.0.params",
                                           "optimizer.state.0.step",               "optimizer.state.0.exp_avg",
                                           "optimizer.state.0.exp_avg_sq",         "optimizer.state.0.max_exp_avg_sq"};
    BOOST_TEST(r.names() == want, boost::test_tools::per_element());
    BOOST_TEST(r.get<std::int64_t>("optimizer.state.0.step")() == 1);
    BOOST_TEST(r.shape("optimizer.state.0.exp_avg") == (xg::Shape{3, 4}), boost::test_tools::per_element());
}

namespace {

// Saves a trained Adam's state, lets `edit` change the tensors, writes them to a file.
std::string broken_state_file(const TempFile& file,
                              const std::function<void(std::map<std::string, xt::xarray<double>>&)>& edit) {
    auto ps = fresh_params();
    optim::Adam opt(ps, optim::AdamOptions(0.01));
    set_grads(ps, 0);
    opt.step();
    TempFile tmp("broken_source.safetensors");
    xg::nn::SafetensorsWriter w;
    opt.save_state(w);
    w.write(tmp.path);
    xg::nn::SafetensorsReader r(tmp.path);
    std::map<std::string, xt::xarray<double>> tensors;
    for (const auto& n : r.names()) tensors[n] = r.get<double>(n);
    edit(tensors);
    xg::nn::SafetensorsWriter out;
    for (const auto& [n, t] : tensors) out.add(n, t);
    out.write(file.path);
    return file.path;
}

// Loading the file into a trained Adam throws with `message` and changes nothing.
void check_load_fails(const std::string& path, const std::string& message) {
    auto ps = fresh_params();
    optim::Adam opt(ps, optim::AdamOptions(0.01));
    for (int k = 0; k < 3; ++k) {
        set_grads(ps, k);
        opt.step();
    }
    const auto before0 = opt.state(0), before1 = opt.state(1);
    const double lr = opt.lr();
    xg::nn::SafetensorsReader r(path);
    BOOST_CHECK_EXCEPTION(opt.load_state(r), xg::FormatError, message_has(message));
    BOOST_CHECK_EXCEPTION(opt.load_state(r), xg::FormatError, message_has(path));
    BOOST_TEST(opt.lr() == lr);
    BOOST_TEST(opt.state(0).step == before0.step);
    BOOST_TEST(opt.state(1).step == before1.step);
    BOOST_TEST(opt.state(0).buffers[0] == before0.buffers[0]);
    BOOST_TEST(opt.state(1).buffers[1] == before1.buffers[1]);
}

}  // namespace

BOOST_AUTO_TEST_CASE(load_state_rejects_a_missing_tensor) {
    TempFile file("missing.safetensors");
    broken_state_file(file, [](auto& t) { t.erase("optimizer.state.0.exp_avg_sq"); });
    check_load_fails(file.path, "missing tensor \"optimizer.state.0.exp_avg_sq\"");

    TempFile no_lr("missing_lr.safetensors");
    broken_state_file(no_lr, [](auto& t) { t.erase("optimizer.param_groups.0.lr"); });
    check_load_fails(no_lr.path, "missing tensor \"optimizer.param_groups.0.lr\"");
}

BOOST_AUTO_TEST_CASE(load_state_rejects_a_wrong_shape) {
    TempFile file("shape.safetensors");
    broken_state_file(file, [](auto& t) { t["optimizer.state.1.exp_avg"] = xt::zeros<double>({6}); });
    check_load_fails(file.path, "size mismatch for \"optimizer.state.1.exp_avg\": the file has shape (6), parameter 1 has shape (5)");
}

BOOST_AUTO_TEST_CASE(load_state_rejects_unexpected_tensors_and_other_models) {
    TempFile file("unexpected.safetensors");
    broken_state_file(file, [](auto& t) { t["optimizer.state.0.max_exp_avg_sq"] = xt::zeros<double>({3, 4}); });
    check_load_fails(file.path, "unexpected tensor \"optimizer.state.0.max_exp_avg_sq\"");

    TempFile count("count.safetensors");
    broken_state_file(count, [](auto& t) { t["optimizer.param_groups.0.params"] = xt::xarray<double>{0, 1, 2}; });
    check_load_fails(count.path, "the file's optimizer has 3 parameters");
}

BOOST_AUTO_TEST_CASE(load_state_rejects_another_optimizers_state) {
    TempFile file("sgd.safetensors");
    {
        auto ps = fresh_params();
        optim::SGD sgd(ps, optim::SGDOptions(0.1).momentum(0.9));
        set_grads(ps, 0);
        sgd.step();
        xg::nn::SafetensorsWriter w;
        sgd.save_state(w);
        w.write(file.path);
    }
    check_load_fails(file.path, "unexpected tensor \"optimizer.state.0.momentum_buffer\"");
}

BOOST_AUTO_TEST_CASE(scheduler_load_state_checks_names) {
    auto ps = fresh_params();
    optim::SGD opt(ps, 0.1);
    optim::ExponentialLR sched(opt, 0.9);
    sched.step();
    TempFile file("sched.safetensors");
    xg::nn::SafetensorsWriter w;
    opt.save_state(w);
    w.write(file.path);  // no scheduler state in it
    xg::nn::SafetensorsReader r(file.path);
    CHECK_THROWS_WITH(sched.load_state(r), "missing tensor \"scheduler.last_epoch\"");
    BOOST_TEST(sched.last_epoch() == 1);
}

BOOST_AUTO_TEST_CASE(sequential_lr_round_trip) {
    auto run = [](int from, int to, optim::Optimizer& opt, optim::LRScheduler& s) {
        for (int e = from; e < to; ++e) {
            opt.step();
            s.step();
        }
    };
    auto make_sched = [](optim::Optimizer& o) {
        std::vector<std::shared_ptr<optim::LRScheduler>> parts{std::make_shared<optim::LinearLR>(o, 0.1, 1.0, 3),
                                                                std::make_shared<optim::CosineAnnealingLR>(o, 8)};
        return std::make_unique<optim::SequentialLR>(o, parts, std::vector<std::int64_t>{3});
    };
    optim::SGD a(fresh_params(), 0.1);
    auto sa = make_sched(a);
    run(0, 10, a, *sa);

    optim::SGD b(fresh_params(), 0.1);
    auto sb = make_sched(b);
    run(0, 5, b, *sb);
    TempFile file("sequential.safetensors");
    xg::nn::SafetensorsWriter w;
    b.save_state(w);
    sb->save_state(w);
    w.write(file.path);

    optim::SGD c(fresh_params(), 0.1);
    auto sc = make_sched(c);
    xg::nn::SafetensorsReader r(file.path);
    c.load_state(r);
    sc->load_state(r);
    BOOST_TEST(sc->last_epoch() == 5);
    run(5, 10, c, *sc);
    BOOST_TEST(c.lr() == a.lr());
    BOOST_TEST(sc->get_last_lr() == sa->get_last_lr());
}

BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_round_trip) {
    // stop inside a patience window (after 4 epochs) and inside a cooldown (after 5): the
    // restored schedule must reduce at the same epochs as the one that never stopped
    const std::vector<double> metrics{1.0, 0.9, 0.95, 0.96, 0.97, 0.99, 0.7, 0.8, 0.8, 0.8, 0.8};
    const auto options = optim::ReduceLROnPlateauOptions().factor(0.5).patience(2).cooldown(2);
    optim::SGD a(fresh_params(), 0.1);
    optim::ReduceLROnPlateau pa(a, options);
    std::vector<double> lrs;
    for (double m : metrics) {
        pa.step(m);
        lrs.push_back(a.lr());
    }
    BOOST_TEST(a.lr() < 0.05);  // it reduced twice
    for (std::size_t stop : {4, 5}) {
        BOOST_TEST_CONTEXT("stopped after " << stop) {
            optim::SGD b(fresh_params(), 0.1), c(fresh_params(), 0.1);
            optim::ReduceLROnPlateau pb(b, options), pc(c, options);
            for (std::size_t e = 0; e < stop; ++e) pb.step(metrics[e]);
            BOOST_TEST(pb.cooldown_counter() == (stop == 5 ? 2 : 0));
            TempFile file("plateau.safetensors");
            xg::nn::SafetensorsWriter w;
            b.save_state(w);
            pb.save_state(w);
            w.write(file.path);
            xg::nn::SafetensorsReader r(file.path);
            c.load_state(r);
            pc.load_state(r);
            BOOST_TEST(pc.last_epoch() == std::int64_t(stop));
            BOOST_TEST(pc.cooldown_counter() == pb.cooldown_counter());
            BOOST_TEST(pc.num_bad_epochs() == pb.num_bad_epochs());
            BOOST_TEST(pc.best() == 0.9);
            for (std::size_t e = stop; e < metrics.size(); ++e) {
                pc.step(metrics[e]);
                BOOST_TEST(c.lr() == lrs[e]);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_in_a_checkpoint_folder) {
    const fs::path dir = fs::temp_directory_path() / ("xg_plateau_" + std::to_string(::getpid()));
    xg::nn::Linear lin(xg::nn::LinearOptions(2, 2));
    optim::SGD o(lin.parameters(), 0.1);
    optim::ReduceLROnPlateau p(o, optim::ReduceLROnPlateauOptions().patience(3));
    p.step(1.0);
    p.step(2.0);
    optim::save_checkpoint(dir.string(), lin, o, {{"epoch", 2}}, {}, &p);
    optim::SGD o2(lin.parameters(), 0.1);
    optim::ReduceLROnPlateau p2(o2, optim::ReduceLROnPlateauOptions().patience(3));
    optim::load_checkpoint(dir.string(), lin, &o2, &p2);
    BOOST_TEST(p2.last_epoch() == 2);
    BOOST_TEST(p2.best() == 1.0);
    BOOST_TEST(p2.num_bad_epochs() == 1);
    fs::remove_all(dir);
}

// A checkpoint that fails to load changes nothing: not the model, not the optimizer, not
// the schedule (found by tests/fuzz: the model used to be loaded before the optimizer's
// state was checked, and the optimizer's before the schedule's).
BOOST_AUTO_TEST_CASE(a_failed_load_changes_nothing) {
    const fs::path dir = fs::temp_directory_path() / ("xg_all_or_nothing_" + std::to_string(::getpid()));
    xg::manual_seed(3);
    xg::nn::Linear saved(xg::nn::LinearOptions(2, 2));
    optim::Adam adam(saved.parameters(), optim::AdamOptions(0.1));
    optim::StepLR adam_steps(adam, 2);
    set_grads(saved.parameters(), 0);
    adam.step();
    adam_steps.step();
    optim::save_checkpoint(dir.string(), saved, adam, {{"epoch", 1}}, {}, &adam_steps);

    xg::nn::Linear lin(xg::nn::LinearOptions(2, 2));
    const xt::xarray<float> weight = lin.weight.value();
    // another optimizer: the weights would fit, the optimizer's state does not
    optim::SGD sgd(lin.parameters(), optim::SGDOptions(0.5).momentum(0.9));
    optim::StepLR sgd_steps(sgd, 2);
    CHECK_THROWS_WITH(optim::load_checkpoint(dir.string(), lin, &sgd, &sgd_steps), "cannot load the SGD state");
    BOOST_TEST(lin.weight.value() == weight);
    BOOST_TEST(sgd_steps.last_epoch() == 0);  // the schedule's state loaded first, then put back
    BOOST_TEST(sgd.lr() == 0.5);
    // the right optimizer, another schedule: the optimizer and the weights stay as they were
    optim::Adam adam2(lin.parameters(), optim::AdamOptions(0.3));
    optim::ReduceLROnPlateau plateau(adam2);
    BOOST_CHECK_THROW(optim::load_checkpoint(dir.string(), lin, &adam2, &plateau), xg::Error);
    BOOST_TEST(lin.weight.value() == weight);
    BOOST_TEST(adam2.lr() == 0.3);
    BOOST_TEST(!adam2.state(0).initialized);
    // and it all loads where it fits
    optim::Adam adam3(lin.parameters(), optim::AdamOptions(0.3));
    optim::StepLR adam3_steps(adam3, 2);
    optim::load_checkpoint(dir.string(), lin, &adam3, &adam3_steps);
    BOOST_TEST(lin.weight.value() == saved.weight.value());
    BOOST_TEST(adam3_steps.last_epoch() == 1);
    fs::remove_all(dir);
}

// ---- parameter groups in checkpoints ----------------------------------------------

namespace {

using optim::ParamGroup;

// Each optimizer with parameter 0 in group 0 and parameter 1 in group 1, the groups
// differing in lr and in what state they keep (momentum, amsgrad, centered).
const std::vector<std::pair<std::string, Make>>& grouped_optimizers() {
    auto groups = [](const std::vector<Tensor>& ps, ParamGroup second) {
        return std::vector<ParamGroup>{ParamGroup({ps[0]}), std::move(second.lr(0.02))};
    };
    static const std::vector<std::pair<std::string, Make>> all = {
        {"SGD", [=](std::vector<Tensor> ps) {
             return std::make_unique<optim::SGD>(groups(ps, ParamGroup({ps[1]}).momentum(0)), optim::SGDOptions(0.1).momentum(0.9));
         }},
        {"Adam", [=](std::vector<Tensor> ps) {
             return std::make_unique<optim::Adam>(groups(ps, ParamGroup({ps[1]}).amsgrad(true).betas({0.8, 0.9})),
                                                  optim::AdamOptions(0.05));
         }},
        {"AdamW", [=](std::vector<Tensor> ps) {
             return std::make_unique<optim::AdamW>(groups(ps, ParamGroup({ps[1]}).weight_decay(0.1)), optim::AdamWOptions(0.05));
         }},
        {"RMSprop", [=](std::vector<Tensor> ps) {
             return std::make_unique<optim::RMSprop>(groups(ps, ParamGroup({ps[1]}).momentum(0.9).centered(true)),
                                                     optim::RMSpropOptions(0.01));
         }},
        {"Adagrad", [=](std::vector<Tensor> ps) {
             return std::make_unique<optim::Adagrad>(groups(ps, ParamGroup({ps[1]}).lr_decay(0.1).initial_accumulator_value(0.3)),
                                                     optim::AdagradOptions(0.1));
         }},
    };
    return all;
}

}  // namespace

BOOST_AUTO_TEST_CASE(groups_round_trip_continues_exactly) {
    // as state_round_trip_continues_exactly, with two groups and a cosine schedule on both
    for (const auto& [name, make_optimizer] : grouped_optimizers()) BOOST_TEST_CONTEXT(name) {
            auto straight = fresh_params();
            auto opt = make_optimizer(straight);
            optim::CosineAnnealingLR sched(*opt, 4, 0.001);
            for (int k = 0; k < 5; ++k) {
                set_grads(straight, k);
                opt->step();
                sched.step();
            }

            auto first = fresh_params();
            auto opt1 = make_optimizer(first);
            optim::CosineAnnealingLR sched1(*opt1, 4, 0.001);
            for (int k = 0; k < 3; ++k) {
                set_grads(first, k);
                opt1->step();
                sched1.step();
            }
            TempFile file("groups_round_trip.safetensors");
            {
                xg::nn::SafetensorsWriter w;
                for (std::size_t i = 0; i < first.size(); ++i) w.add("model." + std::to_string(i), first[i].value());
                opt1->save_state(w);
                sched1.save_state(w);
                w.write(file.path);
            }
            xg::nn::SafetensorsReader r(file.path);
            BOOST_TEST(r.get<std::int64_t>("optimizer.param_groups.1.params") == xt::xarray<std::int64_t>{1});
            BOOST_TEST(r.get<double>("optimizer.param_groups.1.initial_lr")() == 0.02);
            BOOST_TEST(r.shape("scheduler.base_lrs") == (xg::Shape{2}), boost::test_tools::per_element());

            auto resumed = fresh_params();
            auto opt2 = make_optimizer(resumed);
            optim::CosineAnnealingLR sched2(*opt2, 4, 0.001);
            for (std::size_t i = 0; i < resumed.size(); ++i) resumed[i].value() = r.get<float>("model." + std::to_string(i));
            opt2->load_state(r);
            sched2.load_state(r);
            for (std::size_t g = 0; g < 2; ++g) {
                BOOST_TEST(opt2->lr(g) == opt1->lr(g));
                BOOST_TEST(*opt2->initial_lr(g) == *opt1->initial_lr(g));
                BOOST_TEST(sched2.base_lr(g) == sched1.base_lr(g));
            }
            BOOST_TEST(opt2->lr(0) != opt2->lr(1));
            for (std::size_t i = 0; i < resumed.size(); ++i) {
                BOOST_TEST(opt2->state(i).step == opt1->state(i).step);
                BOOST_TEST(opt2->state(i).buffers.size() == opt1->state(i).buffers.size());
            }
            for (int k = 3; k < 5; ++k) {
                set_grads(resumed, k);
                opt2->step();
                sched2.step();
            }
            BOOST_TEST(same_values(resumed, straight));
            BOOST_TEST(opt2->lr(1) == opt->lr(1));
        }
}

BOOST_AUTO_TEST_CASE(a_pytorch_state_dict_with_two_groups_resumes) {
    // fixtures/optim.safetensors holds torch's Adam state_dict (two groups, amsgrad in
    // group 1 only) and StepLR's after 3 steps: continuing here ends where torch ended
    const xg::nn::SafetensorsReader fx(test::fixture("optim.safetensors"));
    std::vector<Tensor> ps;
    for (int i = 0; i < 2; ++i) ps.push_back(xg::from_array(fx.get<float>("resume.model." + std::to_string(i)), true));
    optim::Adam opt({ParamGroup({ps[0]}), ParamGroup({ps[1]}).lr(0.01).betas({0.8, 0.99}).weight_decay(0.1).amsgrad(true)},
                    optim::AdamOptions(0.05));
    optim::StepLR sched(opt, 2, 0.5);
    opt.load_state(fx, "resume.optimizer.");
    sched.load_state(fx, "resume.scheduler.");
    BOOST_TEST(opt.state(1).step == 2);  // parameter 1 had no gradient at step 2
    BOOST_TEST(std::abs(opt.lr(1) - 0.005) < 1e-15);
    for (int k = 3; k < 6; ++k) {
        for (int i = 0; i < 2; ++i) {
            const std::string g = "grad." + std::to_string(k) + "." + std::to_string(i);
            if (fx.contains(g)) ps[i].set_grad(fx.get<float>(g));
            else ps[i].clear_grad();
        }
        opt.step();
        sched.step();
    }
    for (int i = 0; i < 2; ++i)
        CHECK_CLOSE_ARRAYS(ps[i].value(), fx.get<float>("resume.final." + std::to_string(i)), 1e-4, 1e-5);
}

BOOST_AUTO_TEST_CASE(an_old_single_group_checkpoint_loads) {
    // the names and dtypes a checkpoint had before parameter groups, written by hand:
    // it loads into today's one-group Adam and StepLR
    TempFile file("old_format.safetensors");
    {
        xg::nn::SafetensorsWriter w;
        w.add("optimizer.param_groups.0.lr", xt::xarray<double>(0.025));
        w.add("optimizer.param_groups.0.initial_lr", xt::xarray<double>(0.05));
        w.add("optimizer.param_groups.0.params", xt::xarray<std::int64_t>{0, 1});
        w.add("optimizer.state.0.step", xt::xarray<std::int64_t>(3));
        w.add("optimizer.state.0.exp_avg", xt::xarray<float>(xt::ones<float>({3, 4})));
        w.add("optimizer.state.0.exp_avg_sq", xt::xarray<float>(xt::ones<float>({3, 4}) * 2.f));
        w.add("scheduler.last_epoch", xt::xarray<std::int64_t>(3));
        w.add("scheduler.base_lrs", xt::xarray<double>{0.05});
        w.add("scheduler._last_lr", xt::xarray<double>{0.025});
        w.add("scheduler._step_count", xt::xarray<std::int64_t>(4));
        w.write(file.path);
    }
    auto ps = fresh_params();
    optim::Adam opt(ps, optim::AdamOptions(0.05));
    optim::StepLR sched(opt, 2, 0.5);
    xg::nn::SafetensorsReader r(file.path);
    opt.load_state(r);
    sched.load_state(r);
    BOOST_TEST(opt.lr() == 0.025);
    BOOST_TEST(*opt.initial_lr() == 0.05);
    BOOST_TEST(opt.state(0).step == 3);
    BOOST_TEST(opt.state(0).buffers[1](2, 3) == 2.f);
    BOOST_TEST(!opt.state(1).initialized);
    BOOST_TEST(sched.last_epoch() == 3);
    sched.step();  // epoch 4: halved
    BOOST_TEST(opt.lr() == 0.0125);

    // into two groups it does not fit, and says so
    auto qs = fresh_params();
    optim::Adam grouped({ParamGroup({qs[0]}), ParamGroup({qs[1]})}, optim::AdamOptions(0.05));
    BOOST_CHECK_EXCEPTION(grouped.load_state(r), xg::FormatError,
                          message_has(file.path + ": cannot load the Adam state: the file's optimizer has 1 parameter "
                                                  "group, this Adam has 2"));
    optim::StepLR grouped_sched(grouped, 2, 0.5);
    BOOST_CHECK_EXCEPTION(grouped_sched.load_state(r), xg::FormatError,
                          message_has("\"scheduler.base_lrs\" of shape (1) holds 1 value, one per parameter group, and "
                                      "the optimizer has 2 groups"));
    BOOST_TEST(grouped_sched.last_epoch() == 0);
}

BOOST_AUTO_TEST_CASE(load_state_rejects_other_groups) {
    // a file with groups of sizes (1, 1) into optimizers grouped (2) and (1, 1) but
    // otherwise different: the error names the file and what differs; nothing changes
    TempFile file("groups.safetensors");
    auto ps = fresh_params();
    optim::SGD saved({ParamGroup({ps[0]}), ParamGroup({ps[1]}).lr(0.01)}, optim::SGDOptions(0.1).momentum(0.9));
    set_grads(ps, 0);
    saved.step();
    {
        xg::nn::SafetensorsWriter w;
        saved.save_state(w);
        w.write(file.path);
    }
    xg::nn::SafetensorsReader r(file.path);

    auto qs = fresh_params();
    optim::SGD one_group(qs, optim::SGDOptions(0.3).momentum(0.9));
    BOOST_CHECK_EXCEPTION(one_group.load_state(r), xg::FormatError,
                          message_has(file.path + ": cannot load the SGD state: the file's optimizer has 2 parameter "
                                                  "groups, this SGD has 1"));
    BOOST_TEST(one_group.lr() == 0.3);

    // the same two groups in a three-parameter model, split (2, 1): group 0's size differs
    Tensor extra = xg::zeros({2}, true);
    optim::SGD resized({ParamGroup({qs[0], extra}), ParamGroup({qs[1]}).lr(0.5)}, optim::SGDOptions(0.3).momentum(0.9));
    BOOST_CHECK_EXCEPTION(resized.load_state(r), xg::FormatError,
                          message_has("parameter group 0 has 1 parameter in the file (tensor "
                                      "\"optimizer.param_groups.0.params\" of shape (1)), 2 in this SGD"));
    BOOST_TEST(resized.lr(1) == 0.5);
    BOOST_TEST(!resized.state(0).initialized);

    // group 1 keeps a momentum buffer in the file, not in this optimizer
    optim::SGD no_momentum({ParamGroup({qs[0]}), ParamGroup({qs[1]}).momentum(0)}, optim::SGDOptions(0.3).momentum(0.9));
    BOOST_CHECK_EXCEPTION(no_momentum.load_state(r), xg::FormatError,
                          message_has("unexpected tensor \"optimizer.state.1.momentum_buffer\""));
    BOOST_TEST(!no_momentum.state(0).initialized);

    // the right shape: it loads, lrs and all
    optim::SGD same({ParamGroup({qs[0]}), ParamGroup({qs[1]})}, optim::SGDOptions(0.3).momentum(0.9));
    same.load_state(r);
    BOOST_TEST(same.lr(0) == 0.1);
    BOOST_TEST(same.lr(1) == 0.01);
    BOOST_TEST(same.state(1).buffers[0] == saved.state(1).buffers[0]);
}

BOOST_AUTO_TEST_CASE(groups_in_a_checkpoint_folder) {
    // PyTorch's fine-tuning recipe: the bias learns faster than the weight
    const fs::path dir = fs::temp_directory_path() / ("xg_groups_" + std::to_string(::getpid()));
    xg::nn::Linear lin(xg::nn::LinearOptions(3, 2));
    const auto named = lin.named_parameters();
    std::vector<Tensor> weights, biases;
    for (const auto& [n, p] : named) (n == "bias" ? biases : weights).push_back(p);
    optim::Adam adam({weights, ParamGroup(biases).lr(0.01).weight_decay(0)}, optim::AdamOptions(1e-3).weight_decay(0.01));
    optim::ExponentialLR sched(adam, 0.5);
    sched.step();
    optim::save_checkpoint(dir.string(), lin, adam, {{"epoch", 1}}, {}, &sched);

    optim::Adam adam2({weights, ParamGroup(biases).lr(0.01).weight_decay(0)}, optim::AdamOptions(1e-3).weight_decay(0.01));
    optim::ExponentialLR sched2(adam2, 0.5);
    optim::load_checkpoint(dir.string(), lin, &adam2, &sched2);
    BOOST_TEST(adam2.lr(0) == 5e-4);
    BOOST_TEST(adam2.lr(1) == 0.005);
    BOOST_TEST(sched2.get_last_lr(1) == 0.005);
    BOOST_TEST(adam2.param_groups()[1].options.weight_decay() == 0);
    fs::remove_all(dir);
}

// ---- options ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bad_options_are_errors) {
    auto ps = fresh_params();
    using xg::Error;
    BOOST_CHECK_EXCEPTION(optim::SGD(ps, -0.1), Error, message_has("SGD: invalid learning rate: -0.1"));
    BOOST_CHECK_EXCEPTION(optim::SGD(ps, optim::SGDOptions(0.1).nesterov(true)), Error,
                          message_has("SGD: Nesterov momentum requires a momentum and zero dampening"));
    BOOST_CHECK_EXCEPTION(optim::SGD(ps, optim::SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)), Error,
                          message_has("zero dampening (got momentum=0.9, dampening=0.1)"));
    BOOST_CHECK_EXCEPTION(optim::SGD(ps, optim::SGDOptions(0.1).momentum(-1)), Error, message_has("invalid momentum value: -1"));
    BOOST_CHECK_EXCEPTION(optim::SGD(ps, optim::SGDOptions(0.1).weight_decay(-1)), Error,
                          message_has("invalid weight_decay value: -1"));
    BOOST_CHECK_EXCEPTION(optim::Adam(ps, optim::AdamOptions(0.1).betas({1.0, 0.999})), Error,
                          message_has("Adam: invalid beta parameter at index 0: 1 (must be in [0, 1))"));
    BOOST_CHECK_EXCEPTION(optim::AdamW(ps, optim::AdamWOptions(0.1).betas({0.9, -0.1})), Error,
                          message_has("AdamW: invalid beta parameter at index 1: -0.1"));
    BOOST_CHECK_EXCEPTION(optim::Adam(ps, optim::AdamOptions(0.1).eps(-1e-8)), Error, message_has("invalid epsilon value"));
    BOOST_CHECK_EXCEPTION(optim::RMSprop(ps, optim::RMSpropOptions().alpha(-0.5)), Error,
                          message_has("RMSprop: invalid alpha value: -0.5"));
    BOOST_CHECK_EXCEPTION(optim::Adagrad(ps, optim::AdagradOptions().lr_decay(-1)), Error,
                          message_has("Adagrad: invalid lr_decay value: -1"));
    BOOST_CHECK_EXCEPTION(optim::SGD({}, 0.1), Error, message_has("optimizer got an empty parameter list"));
    BOOST_CHECK_EXCEPTION(optim::SGD({ps[0], ps[1], ps[0]}, 0.1), Error, message_has("parameter 2 appears twice"));

    optim::SGD sgd(ps, 0.1);
    BOOST_CHECK_EXCEPTION(sgd.set_lr(-1), Error, message_has("SGD: invalid learning rate: -1"));
    BOOST_CHECK_EXCEPTION(optim::StepLR(sgd, 0), Error, message_has("StepLR: step_size must be positive, got 0"));
    BOOST_CHECK_EXCEPTION(optim::CosineAnnealingLR(sgd, 0), Error, message_has("T_max must be positive"));
    BOOST_CHECK_EXCEPTION(optim::LinearLR(sgd, 0.0), Error, message_has("starting multiplicative factor expected to be in (0, 1]"));
    BOOST_CHECK_EXCEPTION(optim::LinearLR(sgd, 0.5, 1.5), Error, message_has("ending multiplicative factor"));
    auto warm = std::make_shared<optim::LinearLR>(sgd, 0.5);
    optim::SGD other(fresh_params(), 0.1);
    auto foreign = std::make_shared<optim::StepLR>(other, 2);
    BOOST_CHECK_EXCEPTION(optim::SequentialLR(sgd, {warm, foreign}, {2}), Error,
                          message_has("scheduler 1 (StepLR) drives a different one"));
    BOOST_CHECK_EXCEPTION(optim::SequentialLR(sgd, {warm}, {2}), Error, message_has("one milestone fewer than schedulers"));
}

BOOST_AUTO_TEST_CASE(options_read_back_and_print) {
    auto ps = fresh_params();
    optim::Adam adam(ps, optim::AdamOptions(1e-3).betas({0.9, 0.98}).weight_decay(0.01));
    BOOST_TEST(std::get<1>(adam.options().betas()) == 0.98);
    adam.set_lr(5e-4);
    BOOST_TEST(adam.options().lr() == 5e-4);
    BOOST_TEST(adam.repr() == "Adam(lr=0.0005, betas=(0.9, 0.98), eps=1e-08, weight_decay=0.01, amsgrad=false, maximize=false)");
    optim::AdamW adamw(ps);
    BOOST_TEST(adamw.options().weight_decay() == 1e-2);  // AdamW's default, unlike Adam's 0
    std::ostringstream os;
    os << optim::SGD(ps, optim::SGDOptions(0.1).momentum(0.9));
    BOOST_TEST(os.str() == "SGD(lr=0.1, momentum=0.9, dampening=0, weight_decay=0, nesterov=false, maximize=false)");
}

// ---- step and zero_grad ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parameters_without_gradient_are_skipped) {
    for (const auto& [name, make_optimizer] : all_optimizers()) BOOST_TEST_CONTEXT(name) {
            auto ps = fresh_params();
            const xt::xarray<float> before = ps[1].value();
            auto opt = make_optimizer(ps);
            set_grads(ps, 0);
            ps[1].clear_grad();
            opt->step();
            BOOST_TEST(ps[1].value() == before);  // untouched, bit for bit
            BOOST_TEST(!ps[1].has_grad());        // and no gradient made up for it
            BOOST_TEST(opt->state(1).step == 0);
            BOOST_TEST(ps[0].value() != fresh_params()[0].value());
        }
}

BOOST_AUTO_TEST_CASE(a_gradient_of_the_wrong_shape_is_an_error) {
    auto ps = fresh_params();
    optim::Adam opt(ps);
    ps[1].mutable_grad() = xt::zeros<float>({4});
    CHECK_THROWS_WITH(opt.step(), "Adam: parameter 1 has shape (5) but its gradient has shape (4)");
}

BOOST_AUTO_TEST_CASE(zero_grad_zeros_or_drops_gradients) {
    auto ps = fresh_params();
    optim::SGD opt(ps, 0.1);
    set_grads(ps, 0);
    opt.zero_grad();
    BOOST_TEST(ps[0].has_grad());
    BOOST_TEST(xt::all(xt::equal(ps[0].mutable_grad(), 0.f)));
    opt.zero_grad(/*set_to_none=*/true);
    BOOST_TEST(!ps[0].has_grad());
    BOOST_TEST(!ps[1].has_grad());
}

BOOST_AUTO_TEST_CASE(step_records_nothing_and_trains) {
    // minimise sum((w - 3)^2) through the tape: the loop every example runs
    Tensor w = xg::zeros({4}, true);
    optim::Adam opt({w}, optim::AdamOptions(0.1));
    for (int i = 0; i < 300; ++i) {
        opt.zero_grad();
        Tensor d = w - 3.f;
        xg::sum(d * d).backward();
        opt.step();
        BOOST_TEST(xg::tape_size() == 0u);
    }
    CHECK_CLOSE_ARRAYS(w.value(), xt::xarray<float>({3.f, 3.f, 3.f, 3.f}), 0, 1e-2);
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_edge_cases) {
    auto ps = fresh_params();
    // no gradients: total 0, nothing to do
    BOOST_TEST(optim::clip_grad_norm(ps, 1.0) == 0.f);
    // below the limit: untouched
    ps[0].mutable_grad() = xt::zeros<float>({3, 4});
    ps[0].mutable_grad()(0, 0) = 3.f;
    ps[0].mutable_grad()(1, 1) = 4.f;
    BOOST_TEST(optim::clip_grad_norm(ps, 10.0) == 5.f);
    BOOST_TEST(ps[0].mutable_grad()(1, 1) == 4.f);
    // above: scaled to max_norm / (5 + 1e-6)
    BOOST_TEST(optim::clip_grad_norm(ps, 1.0) == 5.f);
    BOOST_TEST(std::abs(ps[0].mutable_grad()(1, 1) - 0.8f) < 1e-6);
    BOOST_TEST(optim::clip_grad_norm(ps, 1.0, optim::inf) == ps[0].mutable_grad()(1, 1));
    // nan: reported, and an error when asked
    ps[0].mutable_grad()(2, 2) = std::nanf("");
    BOOST_TEST(std::isnan(optim::clip_grad_norm(ps, 1.0, optim::inf)));
    CHECK_THROWS_WITH(optim::clip_grad_norm(ps, 1.0, 2.0, /*error_if_nonfinite=*/true), "is nan, so it cannot be clipped");
    CHECK_THROWS_WITH(optim::clip_grad_norm(ps, 1.0, -1.0), "norm_type must be positive or inf");
}

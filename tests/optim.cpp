// Optimizers, gradient clipping and lr schedules against PyTorch 1.13: the same initial
// values and gradients (fixtures/optim.safetensors, made by
// fixtures/make_optim_fixtures.py) must give the same parameters after every step.
#define BOOST_TEST_MODULE optim
#include "common.hpp"

#include <functional>
#include <limits>
#include <map>
#include <memory>

#include <xtensor/xbuilder.hpp>
#include <xtensor/xview.hpp>

#include "optim/optim.hpp"

using namespace test;
using xg::Tensor;
namespace optim = xg::optim;

namespace {

constexpr double fixture_rtol = 1e-4, fixture_atol = 1e-5;
constexpr int steps = 6, num_params = 2, epochs = 12;

const xg::nn::SafetensorsReader& fixtures() {
    static const xg::nn::SafetensorsReader r(test::fixture("optim.safetensors"));
    return r;
}

std::string key(const std::string& a, int k, int i) { return a + "." + std::to_string(k) + "." + std::to_string(i); }

// Fresh parameters with the fixture's initial values.
std::vector<Tensor> fresh_params() {
    std::vector<Tensor> ps;
    for (int i = 0; i < num_params; ++i)
        ps.push_back(xg::from_array(fixtures().get<float>("init." + std::to_string(i)), true));
    return ps;
}

// Step k's gradients; a parameter the fixture gives none gets none.
void set_grads(const std::vector<Tensor>& ps, int k) {
    for (int i = 0; i < num_params; ++i) {
        const std::string name = key("grad", k, i);
        if (fixtures().contains(name)) {
            ps[i].set_grad(fixtures().get<float>(name));
        } else {
            ps[i].clear_grad();
        }
    }
}

using Make = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

template <class O, class Options>
Make make(Options o) {
    return [o](std::vector<Tensor> ps) { return std::make_unique<O>(std::move(ps), o); };
}

// Replays the fixture's gradients and compares the parameters after every step.
void check_against_torch(const std::string& name, const Make& make_optimizer, double clip = 0) {
    BOOST_TEST_CONTEXT("case " << name) {
        auto ps = fresh_params();
        auto opt = make_optimizer(ps);
        for (int k = 0; k < steps; ++k) {
            set_grads(ps, k);
            if (clip > 0) optim::clip_grad_norm(ps, clip);
            opt->step();
            for (int i = 0; i < num_params; ++i) BOOST_TEST_CONTEXT("step " << k << ", parameter " << i) {
                    CHECK_CLOSE_ARRAYS(ps[i].value(), fixtures().get<float>(name + ".step." + std::to_string(k) + "." +
                                                                            std::to_string(i)),
                                       fixture_rtol, fixture_atol);
                }
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(fixture_file_is_there) {
    BOOST_TEST(fixtures().contains("init.0"));
    BOOST_TEST(!fixtures().contains("grad.2.1"));  // the skipped gradient every case sees
}

BOOST_AUTO_TEST_CASE(sgd_matches_torch) {
    check_against_torch("sgd_plain", make<optim::SGD>(optim::SGDOptions(0.1)));
    check_against_torch("sgd_momentum_dampening", make<optim::SGD>(optim::SGDOptions(0.1).momentum(0.9).dampening(0.3)));
    check_against_torch("sgd_nesterov", make<optim::SGD>(optim::SGDOptions(0.05).momentum(0.9).nesterov(true)));
    check_against_torch("sgd_weight_decay", make<optim::SGD>(optim::SGDOptions(0.1).momentum(0.5).weight_decay(0.1)));
    check_against_torch("sgd_maximize", make<optim::SGD>(optim::SGDOptions(0.1).weight_decay(0.1).maximize(true)));
}

// A big parameter's update runs in blocks over the threads (optim/elementwise.hpp): any
// thread count gives the bits of the same values updated as small parameters (one block each).
BOOST_AUTO_TEST_CASE(updates_in_blocks_give_the_bits_of_small_parameters) {
    using Make = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;
    const std::map<std::string, Make> makers = {
        {"SGD", [](std::vector<Tensor> p) { return std::make_unique<optim::SGD>(p, optim::SGDOptions(0.1).weight_decay(0.01)); }},
        {"SGD momentum", [](std::vector<Tensor> p) {
             return std::make_unique<optim::SGD>(p, optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
         }},
        {"Adam", [](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(p, optim::AdamOptions(0.01).amsgrad(true)); }},
        {"AdamW", [](std::vector<Tensor> p) { return std::make_unique<optim::AdamW>(p, optim::AdamWOptions(0.01)); }},
        {"RMSprop", [](std::vector<Tensor> p) {
             return std::make_unique<optim::RMSprop>(p, optim::RMSpropOptions(0.01).centered(true).momentum(0.5));
         }},
        {"Adagrad", [](std::vector<Tensor> p) { return std::make_unique<optim::Adagrad>(p, optim::AdagradOptions(0.1).weight_decay(0.01)); }},
    };
    const std::size_t n = 3 * 32768 + 1001, piece = 1024;  // several blocks, a ragged end; pieces of whole vectors
    auto train = [](optim::Optimizer& opt, const std::vector<Tensor>& params) {
        for (int step = 0; step < 3; ++step) {
            opt.zero_grad();
            for (const Tensor& p : params) xg::sum(p * p * p).backward();
            opt.step();
        }
    };
    for (const auto& [name, make] : makers)
        BOOST_TEST_CONTEXT(name) {
            xg::manual_seed(4);
            const xt::xarray<float> start = xg::uniform({n}, -1.f, 1.f).value();
            std::vector<Tensor> pieces;
            for (std::size_t i = 0; i < n; i += piece) {
                const std::size_t len = std::min(piece, n - i);
                pieces.push_back(xg::from_array(xt::xarray<float>(xt::view(start, xt::range(i, i + len))), true));
            }
            auto small = make(pieces);
            train(*small, pieces);
            for (int threads : {1, 2, 3})
                BOOST_TEST_CONTEXT(threads << " threads") {
                    xg::set_num_threads(threads);
                    Tensor big = xg::from_array(start, true);
                    auto opt = make({big});
                    train(*opt, {big});
                    bool same = true;
                    for (std::size_t i = 0; i < n; ++i) same = same && big.value()(i) == pieces[i / piece].value()(i % piece);
                    BOOST_TEST(same);
                    BOOST_TEST(big.value()(n - 1) != start(n - 1));
                }
            xg::set_num_threads(0);
        }
}

// PyTorch: a parameter in no graph has grad None, so SGD with weight decay leaves it at 1,
// however often someone printed its .grad.
BOOST_AUTO_TEST_CASE(a_parameter_whose_grad_was_only_read_is_not_stepped) {
    Tensor p = xg::from_array(xt::xarray<float>{1.f}, true);
    Tensor q = xg::from_array(xt::xarray<float>{1.f}, true);
    BOOST_TEST(p.grad()(0) == 0.f);
    optim::SGD sgd({p, q}, optim::SGDOptions(0.5).weight_decay(0.1));
    xg::sum(q * 2.f).backward();
    const float before = p.grad()(0);
    BOOST_TEST(before == 0.f);
    BOOST_TEST(optim::clip_grad_norm({p, q}, 1.0) == 2.f);
    sgd.step();
    BOOST_TEST(p.value()(0) == 1.f);
    BOOST_TEST(!p.has_grad());
    BOOST_TEST(std::abs(q.value()(0) - (1.f - 0.5f * (1.f + 0.1f))) < 1e-5f);  // clipped to norm 1, plus decay
}

BOOST_AUTO_TEST_CASE(sgd_with_clipped_gradients_matches_torch) {
    check_against_torch("sgd_clipped", make<optim::SGD>(optim::SGDOptions(0.5).momentum(0.9)), /*clip=*/1.0);
}

BOOST_AUTO_TEST_CASE(adam_matches_torch) {
    check_against_torch("adam_default", make<optim::Adam>(optim::AdamOptions(0.05)));
    check_against_torch("adam_weight_decay",
                        make<optim::Adam>(optim::AdamOptions(0.05).betas({0.8, 0.99}).eps(1e-6).weight_decay(0.1)));
    check_against_torch("adam_amsgrad", make<optim::Adam>(optim::AdamOptions(0.05).weight_decay(0.05).amsgrad(true)));
    check_against_torch("adam_large_eps", make<optim::Adam>(optim::AdamOptions(0.05).eps(0.1)));
}

BOOST_AUTO_TEST_CASE(adamw_matches_torch) {
    check_against_torch("adamw_default", make<optim::AdamW>(optim::AdamWOptions(0.05)));
    check_against_torch("adamw_amsgrad_maximize",
                        make<optim::AdamW>(optim::AdamWOptions(0.05).weight_decay(0.1).amsgrad(true).maximize(true).eps(0.01)));
}

BOOST_AUTO_TEST_CASE(rmsprop_matches_torch) {
    check_against_torch("rmsprop_plain", make<optim::RMSprop>(optim::RMSpropOptions(0.01)));
    check_against_torch("rmsprop_centered_momentum",
                        make<optim::RMSprop>(
                            optim::RMSpropOptions(0.01).alpha(0.9).momentum(0.9).centered(true).weight_decay(0.01).eps(0.05)));
}

BOOST_AUTO_TEST_CASE(adagrad_matches_torch) {
    check_against_torch("adagrad_default", make<optim::Adagrad>(optim::AdagradOptions(0.1)));
    check_against_torch("adagrad_decay", make<optim::Adagrad>(optim::AdagradOptions(0.1).lr_decay(0.05).weight_decay(0.01)
                                                                  .initial_accumulator_value(0.1).eps(0.1)));
}

// ---- parameter groups: parameter 0 in group 0, parameter 1 in group 1 --------------

namespace {

// Each fixture parameter in its own group: group 0 with `first`'s overrides, group 1 with `second`'s.
template <class O, class Options>
Make make_groups(Options defaults, optim::ParamGroup (*first)(optim::ParamGroup),
                 optim::ParamGroup (*second)(optim::ParamGroup)) {
    return [=](std::vector<Tensor> ps) {
        return std::make_unique<O>(std::vector<optim::ParamGroup>{first(optim::ParamGroup({ps[0]})), second(optim::ParamGroup({ps[1]}))}, defaults);
    };
}

optim::ParamGroup as_is(optim::ParamGroup g) { return g; }

}  // namespace

BOOST_AUTO_TEST_CASE(sgd_groups_match_torch) {
    // group 1 without momentum: no momentum_buffer for it
    check_against_torch("sgd_groups", make_groups<optim::SGD>(optim::SGDOptions(0.1).momentum(0.9).dampening(0.3), as_is,
                                                              [](optim::ParamGroup g) {
                                                                  return g.lr(0.05).momentum(0).weight_decay(0.1);
                                                              }));
    check_against_torch("sgd_groups_nesterov",
                        make_groups<optim::SGD>(
                            optim::SGDOptions(0.1).momentum(0.9), [](optim::ParamGroup g) { return g.weight_decay(0.05); },
                            [](optim::ParamGroup g) { return g.lr(0.02).momentum(0.5).nesterov(true).maximize(true); }));
}

BOOST_AUTO_TEST_CASE(adam_and_adamw_groups_match_torch) {
    check_against_torch("adam_groups", make_groups<optim::Adam>(optim::AdamOptions(0.05), as_is, [](optim::ParamGroup g) {
                            return g.lr(0.01).betas({0.8, 0.99}).weight_decay(0.1).amsgrad(true);
                        }));
    check_against_torch("adamw_groups",
                        make_groups<optim::AdamW>(
                            optim::AdamWOptions(0.05), [](optim::ParamGroup g) { return g.weight_decay(0); },
                            [](optim::ParamGroup g) { return g.lr(0.02).betas({0.85, 0.95}).weight_decay(0.2).eps(1e-3); }));
}

BOOST_AUTO_TEST_CASE(rmsprop_and_adagrad_groups_match_torch) {
    check_against_torch("rmsprop_groups", make_groups<optim::RMSprop>(optim::RMSpropOptions(0.01), as_is, [](optim::ParamGroup g) {
                            return g.lr(0.02).alpha(0.9).momentum(0.9).centered(true).weight_decay(0.01);
                        }));
    check_against_torch("adagrad_groups",
                        make_groups<optim::Adagrad>(optim::AdagradOptions(0.1).initial_accumulator_value(0.2), as_is,
                                                    [](optim::ParamGroup g) {
                                                        return g.lr(0.05).lr_decay(0.1).weight_decay(0.01).eps(0.01);
                                                    }));
    // a group's own initial_accumulator_value fills its sums (torch 1.13 would take the constructor's)
    auto ps = fresh_params();
    optim::Adagrad adagrad({optim::ParamGroup({ps[0]}), optim::ParamGroup({ps[1]}).initial_accumulator_value(0.5)},
                           optim::AdagradOptions(0.1).initial_accumulator_value(0.2));
    BOOST_TEST(adagrad.state(0).buffers[0](0, 0) == 0.2f);
    BOOST_TEST(adagrad.state(1).buffers[0](0) == 0.5f);
}

BOOST_AUTO_TEST_CASE(groups_read_back) {
    auto ps = fresh_params();
    // the initializer-list form, as torch.optim.SGD([{"params": ...}, {...}], ...)
    optim::SGD sgd({optim::ParamGroup({ps[0]}), optim::ParamGroup({ps[1]}).lr(0.01).nesterov(true)},
                   optim::SGDOptions(0.1).momentum(0.9));
    BOOST_TEST(sgd.num_param_groups() == 2u);
    BOOST_TEST(sgd.parameters().size() == 2u);
    BOOST_TEST(sgd.parameters(1)[0].is_same(ps[1]));
    BOOST_TEST(sgd.group_of(1) == 1u);
    BOOST_TEST(sgd.lr() == 0.1);  // group 0's
    BOOST_TEST(sgd.lr(1) == 0.01);
    const auto groups = sgd.param_groups();
    BOOST_TEST(groups.size() == 2u);
    BOOST_TEST(groups[1].options.momentum() == 0.9);  // the constructor's default
    BOOST_TEST(groups[1].options.nesterov());
    BOOST_TEST(!groups[0].options.nesterov());
    BOOST_TEST(groups[1].params.size() == 1u);
    sgd.set_lr(1, 0.02);
    BOOST_TEST(sgd.options(1).lr() == 0.02);
    BOOST_TEST(sgd.lr() == 0.1);
    sgd.set_lr(0.3);  // every group
    BOOST_TEST(sgd.lr(0) == 0.3);
    BOOST_TEST(sgd.lr(1) == 0.3);
    BOOST_TEST(sgd.repr() ==
               "SGD(group 0: lr=0.3, momentum=0.9, dampening=0, weight_decay=0, nesterov=false, maximize=false; "
               "group 1: lr=0.3, momentum=0.9, dampening=0, weight_decay=0, nesterov=true, maximize=false)");
    BOOST_TEST(sgd.state_names(0) == std::vector<std::string>{"momentum_buffer"}, boost::test_tools::per_element());
    optim::Adam adam({ps[0], ps[1]});  // a plain list is still one group
    BOOST_TEST(adam.num_param_groups() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_groups_are_errors) {
    auto ps = fresh_params();
    using xg::Error;
    using optim::ParamGroup;
    BOOST_CHECK_EXCEPTION(optim::SGD({ParamGroup({ps[0], ps[1]}), ParamGroup({ps[1]})}, 0.1), Error,
                          message_has("some parameters appear in more than one parameter group (parameter 0 of group 1 "
                                      "is parameter 1 of group 0)"));
    BOOST_CHECK_EXCEPTION(optim::SGD({ParamGroup({ps[0]}), ParamGroup({ps[1], ps[1]})}, 0.1), Error,
                          message_has("parameter 1 of group 1 appears twice in the parameter list"));
    BOOST_CHECK_EXCEPTION(optim::SGD({ParamGroup({ps[0]}), ParamGroup(std::vector<Tensor>{})}, 0.1), Error,
                          message_has("parameter group 1 has no parameters"));
    BOOST_CHECK_EXCEPTION(optim::SGD({ParamGroup({ps[0]}), ParamGroup({ps[1]}).betas({0.9, 0.99})}, 0.1), Error,
                          message_has("SGD: parameter group 1 sets betas, which SGD does not have"));
    BOOST_CHECK_EXCEPTION(optim::Adam({ParamGroup({ps[0]}).momentum(0.9), ParamGroup({ps[1]})}), Error,
                          message_has("Adam: parameter group 0 sets momentum, which Adam does not have"));
    BOOST_CHECK_EXCEPTION(optim::Adam({ParamGroup({ps[0]}), ParamGroup({ps[1]}).betas({0.9, 1.0})}), Error,
                          message_has("Adam: invalid beta parameter at index 1: 1 (must be in [0, 1)) (parameter group 1)"));
    BOOST_CHECK_EXCEPTION(optim::SGD({ParamGroup({ps[0]}), ParamGroup({ps[1]}).lr(-1)}, 0.1), Error,
                          message_has("SGD: invalid learning rate: -1 (must be finite and >= 0) (parameter group 1)"));
    // An infinite rate would turn every parameter into inf or NaN on the first step.
    const double inf = std::numeric_limits<double>::infinity();
    BOOST_CHECK_EXCEPTION(optim::SGD(std::vector<Tensor>{ps[0]}, inf), Error, message_has("SGD: invalid learning rate: inf"));
    BOOST_CHECK_EXCEPTION(optim::Adam(std::vector<Tensor>{ps[0]}, optim::AdamOptions(inf)), Error,
                          message_has("Adam: invalid learning rate: inf"));
    BOOST_CHECK_EXCEPTION(optim::AdamW(std::vector<Tensor>{ps[0]}, optim::AdamWOptions(inf)), Error,
                          message_has("AdamW: invalid learning rate: inf"));
    BOOST_CHECK_EXCEPTION(optim::RMSprop(std::vector<Tensor>{ps[0]}, optim::RMSpropOptions(inf)), Error,
                          message_has("RMSprop: invalid learning rate: inf"));
    BOOST_CHECK_EXCEPTION(optim::Adagrad(std::vector<Tensor>{ps[0]}, optim::AdagradOptions(inf)), Error,
                          message_has("Adagrad: invalid learning rate: inf"));
    BOOST_CHECK_EXCEPTION(optim::RMSprop({ParamGroup({ps[0]}), ParamGroup({ps[1]}).alpha(-1)}), Error,
                          message_has("(parameter group 1)"));
    optim::SGD sgd({ParamGroup({ps[0]}), ParamGroup({ps[1]})}, 0.1);
    BOOST_CHECK_EXCEPTION(sgd.set_lr(1, -0.5), Error, message_has("SGD: invalid learning rate: -0.5 (must be finite and >= 0) (parameter group 1)"));
    BOOST_CHECK_EXCEPTION(optim::ReduceLROnPlateau(sgd, optim::ReduceLROnPlateauOptions().min_lrs({0.1})), Error,
                          message_has("ReduceLROnPlateau: expected 2 min_lrs, got 1"));
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_matches_torch) {
    for (const std::string c : {"norm2", "norm_inf", "norm1", "norm3"}) {
        const auto config = fixtures().get<double>("clip." + c + ".config");  // max_norm, norm_type
        for (int k = 0; k < steps; ++k) BOOST_TEST_CONTEXT(c << ", gradients of step " << k) {
                auto ps = fresh_params();
                set_grads(ps, k);
                const float total = optim::clip_grad_norm(ps, config(0), config(1));
                const double expected = fixtures().get<double>("clip." + c + ".total." + std::to_string(k))();
                BOOST_TEST(std::abs(total - expected) <= fixture_atol + fixture_rtol * std::abs(expected),
                           "total norm " << total << " vs torch " << expected);
                for (int i = 0; i < num_params; ++i) {
                    const std::string name = key("clip." + c + ".grad", k, i);
                    BOOST_TEST(ps[i].has_grad() == fixtures().contains(name));
                    if (ps[i].has_grad()) CHECK_CLOSE_ARRAYS(ps[i].grad(), fixtures().get<float>(name), fixture_rtol, fixture_atol);
                }
            }
    }
}

// Squares past float's range: PyTorch sums them in double on the CPU, so the norm is finite
// and the gradients are scaled, not zeroed.
BOOST_AUTO_TEST_CASE(clip_grad_norm_of_huge_gradients_is_finite) {
    for (const std::size_t n : {std::size_t(3), std::size_t(3000)}) BOOST_TEST_CONTEXT(n << " elements") {
            Tensor p = xg::from_array(xt::xarray<float>(xt::ones<float>({n})), true);
            xg::sum(p * 4e19f).backward();
            const float total = optim::clip_grad_norm({p}, 1.0);
            const double expected = 4e19 * std::sqrt(double(n));
            BOOST_TEST(std::abs(total - expected) <= 1e-5 * expected);
            BOOST_TEST(std::abs(p.grad()(0) - 1 / std::sqrt(double(n))) < 1e-5);
        }
}

// The norm is summed over the threads in chunks, then in chunk order: every thread count gives
// the bits of one thread, and the value of a sum in double; the scaled gradients too.
BOOST_AUTO_TEST_CASE(clip_grad_norm_is_the_same_on_any_thread_count) {
    const std::vector<std::size_t> sizes = {200001, 7, 70000};  // many chunks a block, a ragged end, a small one
    for (const double norm_type : {2.0, 1.0, 3.0, optim::inf})
        BOOST_TEST_CONTEXT("norm type " << norm_type) {
            std::vector<xt::xarray<float>> clipped;
            std::vector<float> totals;
            double expected = 0;
            for (int threads : {1, 2, 3}) {
                xg::set_num_threads(threads);
                xg::manual_seed(5);
                std::vector<Tensor> ps;
                for (const std::size_t n : sizes) {
                    ps.push_back(xg::from_array(xg::uniform({n}, -1.f, 1.f).value(), true));
                    xg::sum(ps.back() * ps.back() * 2.f).backward();  // grad 4 p
                }
                if (threads == 1) {
                    expected = 0;
                    for (const Tensor& p : ps)
                        for (const float g : p.grad())
                            expected = std::isinf(norm_type) ? std::max(expected, std::abs(double(g)))
                                                             : expected + std::pow(std::abs(double(g)), norm_type);
                    if (!std::isinf(norm_type)) expected = std::pow(expected, 1 / norm_type);
                }
                totals.push_back(optim::clip_grad_norm(ps, 1.0, norm_type));
                clipped.push_back(xt::concatenate(xt::xtuple(ps[0].grad(), ps[1].grad(), ps[2].grad())));
            }
            xg::set_num_threads(0);
            BOOST_TEST(std::abs(totals[0] - expected) <= 1e-5 * expected, totals[0] << " vs " << expected);
            for (std::size_t t = 1; t < totals.size(); ++t) {
                BOOST_TEST(totals[t] == totals[0]);
                BOOST_TEST((clipped[t] == clipped[0]), "gradients scaled on " << t + 1 << " threads differ");
            }
            const double norm_after = std::isinf(norm_type) ? double(xt::amax(xt::abs(clipped[0]))())
                                                            : std::pow(double(xt::sum(xt::pow(xt::abs(xt::cast<double>(clipped[0])), norm_type))()), 1 / norm_type);
            BOOST_TEST(std::abs(norm_after - 1.0) < 1e-4, "norm after clipping " << norm_after);
        }
}

// A tensor listed twice counts twice in the norm and is scaled twice, one pass after the
// other (torch does the same), also when its scaling is spread over the threads.
BOOST_AUTO_TEST_CASE(clip_grad_norm_scales_a_tensor_listed_twice_twice) {
    xg::set_num_threads(2);
    xg::manual_seed(6);
    Tensor w = xg::from_array(xg::uniform({std::size_t(100000)}, -1.f, 1.f).value(), true);
    xg::sum(w * w).backward();
    const xt::xarray<float> g0 = w.grad();
    const float once = optim::clip_grad_norm({w}, 1e9);  // nothing scaled: the norm alone
    const float twice = optim::clip_grad_norm({w, w}, 1.0);
    xg::set_num_threads(0);
    BOOST_TEST(std::abs(twice - std::sqrt(2.f) * once) <= 1e-5f * twice);
    const float scale = 1.f / (twice + 1e-6f);
    bool same = true;
    for (std::size_t i = 0; i < g0.size(); ++i) same = same && w.grad()(i) == g0(i) * scale * scale;
    BOOST_TEST(same);
}

BOOST_AUTO_TEST_CASE(clip_grad_value_matches_torch) {
    auto ps = fresh_params();
    set_grads(ps, 0);
    optim::clip_grad_value(ps, 0.5);
    for (int i = 0; i < num_params; ++i)
        CHECK_CLOSE_ARRAYS(ps[i].grad(), fixtures().get<float>("clip.value.grad." + std::to_string(i)), fixture_rtol, fixture_atol);
}

// ---- lr schedules: the lr at construction and after each of 12 epochs -------------

namespace {

using MakeSchedule = std::function<std::shared_ptr<optim::LRScheduler>(optim::Optimizer&)>;

void check_schedule(const std::string& name, const MakeSchedule& make_schedule) {
    BOOST_TEST_CONTEXT("schedule " << name) {
        optim::SGD opt(fresh_params(), 0.1);
        auto sched = make_schedule(opt);
        const auto expected = fixtures().get<double>("sched." + name + ".lr");
        BOOST_REQUIRE(expected.size() == std::size_t(epochs + 1));
        std::vector<double> got{sched->get_last_lr()};
        for (int e = 0; e < epochs; ++e) {
            opt.step();
            sched->step();
            BOOST_TEST(opt.lr() == sched->get_last_lr());
            got.push_back(sched->get_last_lr());
        }
        BOOST_TEST(sched->last_epoch() == epochs);
        // both sides compute in double: far tighter than the float tolerance
        CHECK_CLOSE_ARRAYS(got, expected, 1e-12, 1e-15);
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(step_lr_matches_torch) {
    check_schedule("step", [](optim::Optimizer& o) { return std::make_shared<optim::StepLR>(o, 3, 0.5); });
}

BOOST_AUTO_TEST_CASE(exponential_lr_matches_torch) {
    check_schedule("exponential", [](optim::Optimizer& o) { return std::make_shared<optim::ExponentialLR>(o, 0.9); });
}

BOOST_AUTO_TEST_CASE(cosine_annealing_lr_matches_torch) {
    // 12 epochs with T_max 5: past the minimum and back up, as PyTorch's recursive form goes
    check_schedule("cosine", [](optim::Optimizer& o) { return std::make_shared<optim::CosineAnnealingLR>(o, 5, 0.001); });
}

BOOST_AUTO_TEST_CASE(linear_lr_matches_torch) {
    check_schedule("linear", [](optim::Optimizer& o) { return std::make_shared<optim::LinearLR>(o, 0.25, 1.0, 4); });
}

BOOST_AUTO_TEST_CASE(sequential_lr_matches_torch) {
    check_schedule("sequential", [](optim::Optimizer& o) {
        auto warmup = std::make_shared<optim::LinearLR>(o, 0.1, 1.0, 3);
        auto cosine = std::make_shared<optim::CosineAnnealingLR>(o, 8);
        return std::make_shared<optim::SequentialLR>(o, std::vector<std::shared_ptr<optim::LRScheduler>>{warmup, cosine},
                                                     std::vector<std::int64_t>{3});
    });
}

BOOST_AUTO_TEST_CASE(multi_step_lr_matches_torch) {
    // milestones unsorted and one listed twice: gamma twice at epoch 5
    check_schedule("multistep", [](optim::Optimizer& o) {
        return std::make_shared<optim::MultiStepLR>(o, std::vector<std::int64_t>{5, 2, 9, 5}, 0.5);
    });
}

BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_matches_torch) {
    const auto metrics = fixtures().get<double>("plateau.metrics");
    auto check = [&](const std::string& name, const optim::ReduceLROnPlateauOptions& options) {
        BOOST_TEST_CONTEXT("plateau " << name) {
            optim::SGD opt(fresh_params(), 0.1);
            optim::ReduceLROnPlateau plateau(opt, options);
            std::vector<double> got;
            for (double m : metrics) {
                opt.step();
                plateau.step(m);
                got.push_back(opt.lr());
            }
            CHECK_CLOSE_ARRAYS(got, fixtures().get<double>("plateau." + name + ".lr"), 1e-12, 1e-15);
        }
    };
    check("min_rel", optim::ReduceLROnPlateauOptions().factor(0.5).patience(1).threshold(0.01).cooldown(1).min_lr(0.02));
    check("max_abs", optim::ReduceLROnPlateauOptions()
                         .mode(optim::PlateauMode::max)
                         .factor(0.3)
                         .patience(0)
                         .threshold(0.05)
                         .threshold_mode(optim::ThresholdMode::abs));
    optim::SGD opt(fresh_params(), 0.1);
    CHECK_THROWS_WITH(optim::ReduceLROnPlateau(opt, optim::ReduceLROnPlateauOptions().factor(1.0)),
                      "ReduceLROnPlateau: factor should be in [0, 1), got 1");
}

// Two groups with lrs 0.1 and 0.02: every schedule drives both, each from its own initial_lr.
BOOST_AUTO_TEST_CASE(schedules_drive_every_group_as_torch) {
    const std::map<std::string, MakeSchedule> schedules = {
        {"step", [](optim::Optimizer& o) { return std::make_shared<optim::StepLR>(o, 3, 0.5); }},
        {"exponential", [](optim::Optimizer& o) { return std::make_shared<optim::ExponentialLR>(o, 0.9); }},
        {"cosine", [](optim::Optimizer& o) { return std::make_shared<optim::CosineAnnealingLR>(o, 5, 0.001); }},
        {"linear", [](optim::Optimizer& o) { return std::make_shared<optim::LinearLR>(o, 0.25, 1.0, 4); }},
        {"multistep",
         [](optim::Optimizer& o) {
             return std::make_shared<optim::MultiStepLR>(o, std::vector<std::int64_t>{5, 2, 9, 5}, 0.5);
         }},
        {"sequential",
         [](optim::Optimizer& o) {
             auto warmup = std::make_shared<optim::LinearLR>(o, 0.1, 1.0, 3);
             auto cosine = std::make_shared<optim::CosineAnnealingLR>(o, 8);
             return std::make_shared<optim::SequentialLR>(
                 o, std::vector<std::shared_ptr<optim::LRScheduler>>{warmup, cosine}, std::vector<std::int64_t>{3});
         }},
    };
    for (const auto& [name, make_schedule] : schedules) BOOST_TEST_CONTEXT("schedule " << name) {
            auto ps = fresh_params();
            optim::SGD opt({optim::ParamGroup({ps[0]}), optim::ParamGroup({ps[1]}).lr(0.02)}, 0.1);
            auto sched = make_schedule(opt);
            BOOST_TEST(*opt.initial_lr(1) == 0.02);
            BOOST_TEST(sched->base_lr(1) == 0.02);
            const auto expected = fixtures().get<double>("sched.groups." + name + ".lr");  // (epochs + 1, 2)
            BOOST_REQUIRE((expected.dimension() == 2 && expected.shape(0) == epochs + 1 && expected.shape(1) == 2));
            xt::xarray<double> got = xt::zeros<double>(expected.shape());
            for (int e = 0; e <= epochs; ++e) {
                if (e > 0) {
                    opt.step();
                    sched->step();
                }
                for (std::size_t g = 0; g < 2; ++g) {
                    BOOST_TEST(opt.lr(g) == sched->get_last_lr(g));
                    got(e, g) = opt.lr(g);
                }
            }
            CHECK_CLOSE_ARRAYS(got, expected, 1e-12, 1e-15);
        }
}

BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_reduces_every_group_as_torch) {
    auto ps = fresh_params();
    optim::SGD opt({optim::ParamGroup({ps[0]}), optim::ParamGroup({ps[1]}).lr(0.03)}, 0.1);
    optim::ReduceLROnPlateau plateau(opt, optim::ReduceLROnPlateauOptions().factor(0.5).patience(1).min_lrs({0.02, 0.01}));
    const auto metrics = fixtures().get<double>("plateau.metrics");
    const auto expected = fixtures().get<double>("plateau.groups.lr");  // (metrics, 2)
    xt::xarray<double> got = xt::zeros<double>(expected.shape());
    for (std::size_t e = 0; e < metrics.size(); ++e) {
        opt.step();
        plateau.step(metrics(e));
        for (std::size_t g = 0; g < 2; ++g) got(e, g) = plateau.get_last_lr(g);
    }
    CHECK_CLOSE_ARRAYS(got, expected, 1e-12, 1e-15);
}

BOOST_AUTO_TEST_CASE(chained_schedules_match_torch) {
    // two schedules on one optimizer: each scales the lr the other set
    optim::SGD opt(fresh_params(), 0.1);
    optim::StepLR decay(opt, 3, 0.5);
    optim::LinearLR warmup(opt, 0.5, 1.0, 4);
    std::vector<double> got{opt.lr()};
    for (int e = 0; e < epochs; ++e) {
        opt.step();
        decay.step();
        warmup.step();
        got.push_back(opt.lr());
    }
    CHECK_CLOSE_ARRAYS(got, fixtures().get<double>("sched.chained.lr"), 1e-12, 1e-15);
}

BOOST_AUTO_TEST_CASE(closed_form_agrees_with_the_recursive_form) {
    // step(epoch) jumps with the closed form; within one cosine period both forms agree
    optim::SGD a(fresh_params(), 0.1), b(fresh_params(), 0.1);
    optim::CosineAnnealingLR ra(a, 10, 0.01), rb(b, 10, 0.01);
    for (int e = 1; e <= 10; ++e) {
        ra.step();
        rb.step(e);
        BOOST_TEST(std::abs(ra.get_last_lr() - rb.get_last_lr()) < 1e-12);
    }
    optim::SGD c(fresh_params(), 0.1), d(fresh_params(), 0.1);
    optim::StepLR sc(c, 3, 0.5), sd(d, 3, 0.5);
    optim::LinearLR lc(c, 0.5, 1.0, 4);  // chained: both act on c's lr
    for (int e = 1; e <= 8; ++e) {
        sc.step();
        lc.step();
    }
    sd.step(8);
    // step 0.1 * 0.5^2 = 0.025 times the finished warm-up factor 1
    BOOST_TEST(std::abs(c.lr() - 0.025) < 1e-12);
    BOOST_TEST(std::abs(d.lr() - 0.025) < 1e-12);
}

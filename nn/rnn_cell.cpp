#include "nn/rnn_cell.hpp"

#include <cmath>
#include <sstream>

#include "autograd/arithmetic.hpp"
#include "autograd/factory.hpp"
#include "autograd/matmul.hpp"
#include "autograd/pointwise.hpp"
#include "autograd/shape_ops.hpp"
#include "core/sizes.hpp"
#include "nn/init.hpp"

namespace xg::nn {

namespace {
// gate k of a (B, G*H) block of stacked gates
template <class T>
TensorT<T> gate(const TensorT<T>& a, long k, long H) {
    return narrow(a, 1, k * H, H);
}
}  // namespace

template <class T>
std::pair<TensorT<T>, TensorT<T>> lstm_cell(const TensorT<T>& x, const TensorT<T>& h, const TensorT<T>& c,
                                            const TensorT<T>& w_ih, const TensorT<T>& w_hh, const TensorT<T>& b_ih,
                                            const TensorT<T>& b_hh, const TensorT<T>& w_hr) {
    const long H = long(w_ih.shape()[0] / 4);
    TensorT<T> a = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh);
    TensorT<T> i = sigmoid(gate(a, 0, H)), f = sigmoid(gate(a, 1, H)), g = tanh(gate(a, 2, H)), o = sigmoid(gate(a, 3, H));
    TensorT<T> c2 = f * c + i * g;
    TensorT<T> h2 = o * tanh(c2);
    if (w_hr.defined()) h2 = linear(h2, w_hr);
    return {h2, c2};
}

template <class T>
TensorT<T> gru_cell(const TensorT<T>& x, const TensorT<T>& h, const TensorT<T>& w_ih, const TensorT<T>& w_hh,
                    const TensorT<T>& b_ih, const TensorT<T>& b_hh) {
    const long H = long(w_ih.shape()[0] / 3);
    TensorT<T> ax = linear(x, w_ih, b_ih), ah = linear(h, w_hh, b_hh);
    TensorT<T> r = sigmoid(gate(ax, 0, H) + gate(ah, 0, H));
    TensorT<T> z = sigmoid(gate(ax, 1, H) + gate(ah, 1, H));
    TensorT<T> n = tanh(gate(ax, 2, H) + r * gate(ah, 2, H));
    return (T(1) - z) * n + z * h;
}

template <class T>
TensorT<T> rnn_cell(const TensorT<T>& x, const TensorT<T>& h, const TensorT<T>& w_ih, const TensorT<T>& w_hh,
                    const TensorT<T>& b_ih, const TensorT<T>& b_hh, const std::string& nonlinearity) {
    XG_CHECK(nonlinearity == "tanh" || nonlinearity == "relu",
             "rnn_cell: unknown nonlinearity '" << nonlinearity << "', expected 'tanh' or 'relu'");
    TensorT<T> a = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh);
    return nonlinearity == "relu" ? relu(a) : tanh(a);
}

// ---- modules --------------------------------------------------------------------------

template <class T>
CellBaseT<T>::CellBaseT(const char* name, std::int64_t input_size, std::int64_t hidden_size, bool bias, std::size_t gates)
    : name_(name), input_size_(input_size), hidden_size_(hidden_size), bias_(bias) {
    XG_CHECK(input_size > 0 && hidden_size > 0,
             name << ": input_size and hidden_size must be positive, got " << input_size << " and " << hidden_size);
    const std::size_t I = std::size_t(input_size), H = std::size_t(hidden_size);
    const std::size_t GH = checked_mul(gates, H, std::string(name) + ": hidden_size");
    weight_ih = this->register_parameter("weight_ih", zeros<T>({GH, I}));
    weight_hh = this->register_parameter("weight_hh", zeros<T>({GH, H}));
    if (bias) {
        bias_ih = this->register_parameter("bias_ih", zeros<T>({GH}));
        bias_hh = this->register_parameter("bias_hh", zeros<T>({GH}));
    }
    const double stdv = 1.0 / std::sqrt(double(H));
    for (auto& p : this->parameters()) init::uniform_(p, -stdv, stdv);
}

template <class T>
TensorT<T> CellBaseT<T>::check_input(const TensorT<T>& x, bool& batched) const {
    XG_CHECK(x.defined() && (x.dim() == 1 || x.dim() == 2),
             name_ << ": expected input of shape (batch, " << input_size_ << ") or (" << input_size_ << "), got "
                   << (x.defined() ? shape_str(x.shape()) : "(empty)"));
    XG_CHECK(x.shape().back() == std::size_t(input_size_),
             name_ << ": input has inconsistent input_size: got " << x.shape().back() << " expected " << input_size_);
    batched = x.dim() == 2;
    return batched ? x : unsqueeze(x, 0);
}

template <class T>
TensorT<T> CellBaseT<T>::check_state(const TensorT<T>& s, std::size_t batch, bool batched, const char* what) const {
    const std::size_t H = std::size_t(hidden_size_);
    if (!s.defined()) return zeros<T>({batch, H});
    const Shape want = batched ? Shape{batch, H} : Shape{H};
    XG_CHECK(s.shape() == want, name_ << ": expected " << what << " of shape " << shape_str(want) << ", got "
                                      << shape_str(s.shape()));
    return batched ? s : unsqueeze(s, 0);
}

template <class T>
RecurrentStateT<T> CellBaseT<T>::forward_with_cell_state(
    const TensorT<T>& x_in, const RecurrentStateT<T>& state,
    const std::function<RecurrentStateT<T>(const TensorT<T>&, const RecurrentStateT<T>&)>& step) const {
    XG_CHECK(state.h.defined() == state.c.defined(), name_ << ": pass both h and c, or neither");
    bool batched = true;
    TensorT<T> x = check_input(x_in, batched);
    TensorT<T> h = check_state(state.h, x.shape()[0], batched, "hidden state");
    TensorT<T> c = check_state(state.c, x.shape()[0], batched, "cell state");
    RecurrentStateT<T> r = step(x, {h, c});
    if (!batched) return {squeeze(r.h, 0), squeeze(r.c, 0)};
    return r;
}

template <class T>
std::string CellBaseT<T>::extra_repr() const {
    std::ostringstream os;
    os << input_size_ << ", " << hidden_size_;
    if (!bias_) os << ", bias=False";
    return os.str();
}

template <class T>
RNNCellT<T>::RNNCellT(const RNNCellOptions& o)
    : CellBaseT<T>("RNNCell", o.input_size(), o.hidden_size(), o.bias(), 1), options_(o) {
    XG_CHECK(o.nonlinearity() == "tanh" || o.nonlinearity() == "relu",
             "RNNCell: unknown nonlinearity '" << o.nonlinearity() << "', expected 'tanh' or 'relu'");
}

template <class T>
TensorT<T> RNNCellT<T>::forward(const TensorT<T>& x_in, const TensorT<T>& h_in) {
    bool batched = true;
    TensorT<T> x = this->check_input(x_in, batched);
    TensorT<T> h = this->check_state(h_in, x.shape()[0], batched, "hidden state");
    TensorT<T> y = rnn_cell(x, h, this->weight_ih, this->weight_hh, this->bias_ih, this->bias_hh, options_.nonlinearity());
    return batched ? y : squeeze(y, 0);
}

template <class T>
std::string RNNCellT<T>::extra_repr() const {
    std::string s = CellBaseT<T>::extra_repr();
    if (options_.nonlinearity() != "tanh") s += ", nonlinearity='" + options_.nonlinearity() + "'";
    return s;
}

template <class T>
GRUCellT<T>::GRUCellT(const GRUCellOptions& o) : CellBaseT<T>("GRUCell", o.input_size(), o.hidden_size(), o.bias(), 3) {}

template <class T>
TensorT<T> GRUCellT<T>::forward(const TensorT<T>& x_in, const TensorT<T>& h_in) {
    bool batched = true;
    TensorT<T> x = this->check_input(x_in, batched);
    TensorT<T> h = this->check_state(h_in, x.shape()[0], batched, "hidden state");
    TensorT<T> y = gru_cell(x, h, this->weight_ih, this->weight_hh, this->bias_ih, this->bias_hh);
    return batched ? y : squeeze(y, 0);
}

template <class T>
LSTMCellT<T>::LSTMCellT(const LSTMCellOptions& o) : CellBaseT<T>("LSTMCell", o.input_size(), o.hidden_size(), o.bias(), 4) {}

template <class T>
CellStateT<T> LSTMCellT<T>::forward(const TensorT<T>& x, const CellStateT<T>& state) {
    return this->forward_with_cell_state(x, state, [this](const TensorT<T>& xb, const CellStateT<T>& s) {
        auto [h2, c2] = lstm_cell(xb, s.h, s.c, this->weight_ih, this->weight_hh, this->bias_ih, this->bias_hh);
        return CellStateT<T>{h2, c2};
    });
}

XG_DEFINE_OPS(XG_CELL_FUNCTIONS)
XG_DEFINE_CLASS(CellBaseT) XG_DEFINE_CLASS(RNNCellT) XG_DEFINE_CLASS(GRUCellT) XG_DEFINE_CLASS(LSTMCellT)

}  // namespace xg::nn

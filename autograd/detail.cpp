#include "autograd/detail.hpp"

namespace xg::detail {

std::size_t norm_dim(const char* op, long d, std::size_t rank) {
    const long r = static_cast<long>(rank);
    XG_CHECK(rank > 0, op << ": dimension " << d << " given for a 0-d tensor, which has none");
    XG_CHECK(d >= -r && d < r, op << ": dimension " << d << " is out of range for a tensor of rank " << rank
                                  << " (expected [" << -r << ", " << r - 1 << "])");
    return static_cast<std::size_t>(d < 0 ? d + r : d);
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
    const std::size_t r = std::max(a.size(), b.size());
    Shape out(r);
    for (std::size_t i = 0; i < r; ++i) {
        const std::size_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
        const std::size_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
        XG_CHECK(da == db || da == 1 || db == 1, op << ": shapes " << shape_str(a) << " and " << shape_str(b)
                                                    << " cannot be broadcast (dimension " << i << ": " << da << " vs "
                                                    << db << ")");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

}  // namespace xg::detail

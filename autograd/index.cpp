#include "autograd/index.hpp"

#include "core/sizes.hpp"

namespace xg {

namespace detail {

IndexArray make_index_array(std::vector<std::int64_t> values, const Shape& shape) {
    const std::size_t n = checked_numel(shape, sizeof(std::int64_t), "long_tensor");
    XG_CHECK(n == values.size(), "long_tensor: " << values.size() << " values do not fill shape " << shape_str(shape));
    IndexArray out = IndexArray::from_shape(shape);
    std::copy(values.begin(), values.end(), out.data());
    return out;
}

}  // namespace detail

std::size_t size(const IndexArray& ids, long d) {
    const long n = static_cast<long>(ids.dimension());
    XG_CHECK(d >= -n && d < n, "size: dim " << d << " is out of range for an index array of " << n << " dims");
    return ids.shape()[static_cast<std::size_t>(d < 0 ? d + n : d)];
}

std::int64_t item(const IndexArray& ids) {
    XG_CHECK(ids.size() == 1, "item: the index array has " << ids.size() << " elements, not one");
    return ids.data()[0];
}

}  // namespace xg

/// \file
/// XG_ARG: libtorch-style option fields with a chainable setter and a getter:
///   struct LinearOptions { XG_ARG(bool, bias) = true; };
///   LinearOptions(4, 5).bias(false).bias()  ->  false
#pragma once

#define XG_ARG(TYPE, NAME)                                   \
public:                                                      \
    auto NAME(const TYPE& new_##NAME)->decltype(*this) {     \
        this->NAME##_ = new_##NAME;                          \
        return *this;                                        \
    }                                                        \
    const TYPE& NAME() const noexcept { return this->NAME##_; } \
                                                             \
private:                                                     \
    TYPE NAME##_

/// \file
/// XG_ARG: libtorch-style option fields with a chainable setter and a getter:
///   struct LinearOptions { XG_ARG(bool, bias) = true; };
///   LinearOptions(4, 5).bias(false).bias()  ->  false
#pragma once

/// Declares a private field NAME_ of type TYPE, a setter NAME(value) that returns *this and
/// a getter NAME(); `= value` after it sets the default. Leaves the access at private.
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

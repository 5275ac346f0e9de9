#include "core/error.h"

#include <gtest/gtest.h>

#include <iomanip>

namespace occ {
namespace {

TEST(Error, ExitCodesFollowTheKind) {
  EXPECT_EQ(Error("x").exit_code(), 1);
  EXPECT_EQ(IoError("x").exit_code(), 1);
  EXPECT_EQ(SchemaError("x").exit_code(), 1);
  EXPECT_EQ(UsageError("x").exit_code(), 2);
  EXPECT_EQ(InterruptedError("x").exit_code(), 130);
}

TEST(Error, QuotedUsesSingleQuotesEvenWhereStdQuotedIsVisible) {
  std::string name = "val.h5";  // non-const: std::quoted(string&) is a candidate through ADL
  const std::string constant = "a.h5";
  EXPECT_EQ(quoted(name), "'val.h5'");
  EXPECT_EQ(quoted(constant), "'a.h5'");
  EXPECT_EQ(quoted(std::string("t")), "'t'");
  EXPECT_EQ(quoted("literal"), "'literal'");
}

}  // namespace
}  // namespace occ

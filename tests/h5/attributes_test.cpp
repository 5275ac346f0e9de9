#include "h5/attributes.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "h5/dataset.h"
#include "support/temp_dir.h"

namespace occ::h5 {
namespace {

TEST(Attributes, EveryKindRoundTripsOnRootAndDatasets) {
  test::TempDir dir;
  const std::string path = dir.file("a.h5");
  {
    File file = File::create(path, path);
    write(file, "/x", std::vector<float>{1, 2}, {2});
    write_attribute(file, "/", "text", std::string("scène ünïcode"));
    write_attribute(file, "/", "empty_text", std::string());
    write_attribute(file, "/", "count", int64_t{-42});
    write_attribute(file, "/", "scale", 0.4);
    write_attribute(file, "/", "names", std::vector<std::string>{"car", "", "truck"});
    write_attribute(file, "/", "grid", std::vector<int64_t>{200, 200, 16});
    write_attribute(file, "/", "origin", std::vector<double>{-40, -40, -1});
    write_attribute(file, "/", "no_values", std::vector<double>{});
    write_attribute(file, "/x", "unit", std::string("m"));
    write_attribute(file, "/", "count", int64_t{7});  // rewriting replaces
    file.close();
  }
  const File file = File::open(path);
  EXPECT_EQ(read_string_attribute(file, "/", "text"), "scène ünïcode");
  EXPECT_EQ(read_string_attribute(file, "/", "empty_text"), "");
  EXPECT_EQ(read_int_attribute(file, "/", "count"), 7);
  EXPECT_DOUBLE_EQ(read_float_attribute(file, "/", "scale"), 0.4);
  EXPECT_DOUBLE_EQ(read_float_attribute(file, "/", "count"), 7.0) << "integers are acceptable floats";
  EXPECT_EQ(read_string_list_attribute(file, "/", "names"), (std::vector<std::string>{"car", "", "truck"}));
  EXPECT_EQ(read_int_list_attribute(file, "/", "grid"), (std::vector<int64_t>{200, 200, 16}));
  EXPECT_EQ(read_float_list_attribute(file, "/", "origin"), (std::vector<double>{-40, -40, -1}));
  EXPECT_EQ(read_float_list_attribute(file, "/", "grid"), (std::vector<double>{200, 200, 16}));
  EXPECT_TRUE(read_float_list_attribute(file, "/", "no_values").empty());
  EXPECT_EQ(read_string_attribute(file, "/x", "unit"), "m");
  const auto all = list_attributes(file, "/");
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all.front().first, "count") << "name order";
  EXPECT_TRUE(has_attribute(file, "/", "grid"));
  EXPECT_FALSE(has_attribute(file, "/", "nope"));
  EXPECT_FALSE(has_attribute(file, "/no/such/object", "x"));
}

TEST(Attributes, WrongKindOrMissingNamesFileObjectAndAttribute) {
  test::TempDir dir;
  const std::string path = dir.file("a.h5");
  {
    File file = File::create(path, path);
    write_attribute(file, "/", "count", int64_t{3});
    file.close();
  }
  const File file = File::open(path);
  try {
    read_string_attribute(file, "/", "count");
    FAIL();
  } catch (const FormatError& error) {
    EXPECT_EQ(std::string(error.what()), "attribute 'count' of '" + path + "' is int, expected string");
  }
  try {
    read_int_attribute(file, "/", "missing");
    FAIL();
  } catch (const FormatError& error) {
    EXPECT_EQ(std::string(error.what()), "'" + path + "' has no attribute 'missing'");
  }
}

TEST(Attributes, TextForms) {
  EXPECT_EQ(attribute_text(AttributeValue(std::vector<int64_t>{1, 2})), "[1, 2]");
  EXPECT_EQ(attribute_text(AttributeValue(0.25)), "0.25");
  EXPECT_EQ(attribute_kind(AttributeValue(std::vector<std::string>{})), "string[]");
}

}  // namespace
}  // namespace occ::h5

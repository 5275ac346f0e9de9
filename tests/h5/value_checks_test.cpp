// The value checks a schema declares: each bad value is found, named by
// dataset and first bad row; "when": "validate" checks run only when asked;
// malformed check declarations are schema errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/schema.h"
#include "support/temp_dir.h"

namespace occ::h5 {
namespace {

const char* kSchema = R"({
  "schema": "occ.test",
  "version": 1,
  "datasets": {
    "/names": {"dtype": "string", "shape": ["S"]},
    "/scene": {"dtype": "int32", "shape": ["N"], "checks": [{"check": "row_index", "of": "/names"}]},
    "/prev": {"dtype": "int32", "shape": ["N"],
              "checks": [{"check": "row_index", "of": "/scene", "allow_none": true}]},
    "/time": {"dtype": "int64", "shape": ["N"],
              "checks": [{"check": "increasing_within_scene", "of": "/scene"}]},
    "/pose": {"dtype": "float64", "shape": ["N", 4, 4], "checks": ["finite", "rotation"]},
    "/k": {"dtype": "float64", "shape": ["N", 2, 3, 3], "checks": ["finite"]},
    "/offsets": {"dtype": "int64", "shape": ["N+1"], "checks": [{"check": "offsets", "of": "/points"}]},
    "/points": {"dtype": "float32", "shape": ["P", 4], "checks": [{"check": "finite", "when": "validate"}]}
  }
})";

const Schema& schema() {
  static const Schema parsed = Schema::parse(kSchema, "test");
  return parsed;
}

std::vector<double> identity_poses(int n) {
  std::vector<double> values;
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 16; ++k) values.push_back(k % 5 == 0 ? 1.0 : 0.0);
  }
  return values;
}

// A valid file of 4 frames in two scenes (rows 0, 1 in scene 0; 2, 3 in 1),
// then `change` applied to the values before writing.
struct Values {
  std::vector<int32_t> scene{0, 0, 1, 1}, prev{-1, 0, -1, 2};
  std::vector<int64_t> time{100, 200, 50, 60};
  std::vector<double> pose = identity_poses(4);
  std::vector<double> k = std::vector<double>(4 * 2 * 9, 1.0);
  std::vector<int64_t> offsets{0, 2, 2, 5, 6};
  std::vector<float> points = std::vector<float>(6 * 4, 0.5f);
};

std::vector<std::string> problems(const Values& values, bool all = true) {
  test::TempDir dir;
  const std::string path = dir.file("t.h5");
  File file = File::create(path, path);
  write_strings(file, "/names", {"a", "b"});
  write(file, "/scene", values.scene, {4});
  write(file, "/prev", values.prev, {4});
  write(file, "/time", values.time, {4});
  write(file, "/pose", values.pose, {4, 4, 4});
  write(file, "/k", values.k, {4, 2, 3, 3});
  write(file, "/offsets", values.offsets, {5});
  write(file, "/points", values.points, {static_cast<int64_t>(values.points.size() / 4), 4});
  return check_values(file, schema(), all);
}

std::string only(const std::vector<std::string>& found) {
  EXPECT_EQ(found.size(), 1u) << ::testing::PrintToString(found);
  return found.empty() ? "" : found.front();
}

TEST(ValueChecks, AValidFileHasNoProblems) {
  EXPECT_TRUE(problems(Values{}).empty()) << ::testing::PrintToString(problems(Values{}));
}

TEST(ValueChecks, NonFiniteGeometryNamesDatasetRowAndElement) {
  Values values;
  values.k[1 * 18 + 9 + 4] = std::numeric_limits<double>::infinity();  // frame 1, camera 1, (1, 1)
  EXPECT_EQ(only(problems(values)), "dataset '/k' row 1 is not finite (inf at [1, 1, 1, 1])");
  values = Values{};
  values.pose[2 * 16 + 3] = std::nan("");
  const auto found = problems(values);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.front(), "dataset '/pose' row 2 is not finite (nan at [2, 0, 3])");
}

TEST(ValueChecks, RotationPartsMustBeOrthonormalAndProper) {
  Values values;
  values.pose[3 * 16 + 0] = 1.1;  // row 3 stretched along x
  EXPECT_NE(only(problems(values))
                .find("dataset '/pose' row 3: the rotation part of matrix [3] is not orthonormal"),
            std::string::npos);
  values = Values{};
  values.pose[1 * 16 + 10] = -1.0;  // a mirror
  EXPECT_NE(only(problems(values)).find("dataset '/pose' row 1: matrix [1] has a reflection"),
            std::string::npos);
  values = Values{};
  values.pose[0 * 16 + 1] = 1e-5;  // within the tolerance
  EXPECT_TRUE(problems(values).empty());
}

TEST(ValueChecks, TimestampsIncreaseWithinEachScene) {
  Values values;
  values.time = {100, 200, 50, 50};  // scene 1 starts before scene 0 ends: fine; a repeat is not
  EXPECT_EQ(only(problems(values)),
            "dataset '/time' row 3: 50 is not after 50 of row 2 in the same scene ('/scene' 1)");
}

TEST(ValueChecks, OffsetsTileTheirRows) {
  Values values;
  values.points.resize(5 * 4);  // one row shorter than the offsets say
  EXPECT_EQ(only(problems(values)),
            "dataset '/offsets' row 4: the last offset is 6, but '/points' has 5 rows");
  values = Values{};
  values.offsets = {0, 3, 2, 5, 6};
  EXPECT_EQ(only(problems(values)),
            "dataset '/offsets' row 2: 2 is less than 3 of row 1 (offsets never decrease)");
  values = Values{};
  values.offsets = {1, 2, 2, 5, 6};
  EXPECT_EQ(only(problems(values)), "dataset '/offsets' row 0: 1, expected 0 (the first row of '/points')");
}

TEST(ValueChecks, RowIndicesStayInRange) {
  Values values;
  values.scene = {0, 0, 1, 2};
  values.time = {100, 200, 50, 60};
  const auto found = problems(values);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.front(), "dataset '/scene' row 3: 2 is not a row of '/names' (it has 2 rows)");
  values = Values{};
  values.prev = {-1, 0, -1, 4};
  EXPECT_EQ(only(problems(values)),
            "dataset '/prev' row 3: 4 is not a row of '/scene' (it has 4 rows; -1 means none)");
  values = Values{};
  values.prev = {-2, 0, -1, 2};
  EXPECT_EQ(only(problems(values)).find("dataset '/prev' row 0: -2"), 0u);
}

TEST(ValueChecks, ValidateOnlyChecksRunWhenAsked) {
  Values values;
  values.points[9] = std::nanf("");
  EXPECT_TRUE(problems(values, false).empty());
  EXPECT_EQ(only(problems(values, true)), "dataset '/points' row 2 is not finite (nan at [2, 1])");
}

TEST(ValueChecks, MalformedDeclarationsAreSchemaErrors) {
  auto parse = [](const std::string& dataset) {
    return std::string(
               R"({"schema": "occ.t", "version": 1, "datasets": {"/o": {"dtype": "int64", "shape": ["N"]}, )") +
           dataset + "}}";
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("/x": {"dtype": "float32", "shape": ["N"], "checks": ["sorted"]})", "unknown check 'sorted'"},
      {R"("/x": {"dtype": "int32", "shape": ["N"], "checks": ["finite"]})", "needs a float dtype"},
      {R"("/x": {"dtype": "float64", "shape": ["N", 3], "checks": ["rotation"]})",
       "shape ending in 3, 3 or 4, 4"},
      {R"("/x": {"dtype": "int64", "shape": ["N"], "checks": [{"check": "offsets"}]})", "\"of\""},
      {R"("/x": {"dtype": "int64", "shape": ["N"], "checks": [{"check": "offsets", "of": "/y"}]})",
       "refers to '/y', which the schema does not declare"},
      {R"("/x": {"dtype": "int64", "shape": ["N"], "checks": [{"check": "row_index", "of": "/o", "al": 1}]})",
       "unknown key 'al'"},
      {R"("/x": {"dtype": "float32", "shape": ["N"], "checks": [{"check": "finite", "when": "later"}]})",
       "\"when\""},
      {R"("/x": {"dtype": "float32", "shape": ["N"], "checks": ["range"]})", "\"min\", \"max\" or \"below\""},
      {R"("/x": {"dtype": "float32", "shape": ["N"], "checks": [{"check": "range", "min": 2, "max": 1}]})",
       "min <= max"},
      {R"("/x": {"dtype": "float32", "shape": ["N"], "checks": [{"check": "range", "min": "0"}]})",
       "min is a number"},
      {R"("/x": {"dtype": "uint8", "shape": ["N"], "checks": [{"check": "range", "below": "K"}]})",
       "no attribute binds that symbol"},
      {R"("/x": {"dtype": "float32", "shape": ["N"], "checks": [{"check": "below_count", "of": "/o"}]})",
       "needs an integer dtype"},
      {R"("/x": {"dtype": "uint16", "shape": ["N"], "checks": ["below_count"]})", "the dataset of counts"},
  };
  for (const auto& [dataset, expected] : cases) {
    try {
      Schema::parse(parse(dataset), "s.json");
      ADD_FAILURE() << dataset << " parsed";
    } catch (const FormatError& error) {
      EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("s.json"), std::string::npos) << error.what();
    }
  }
}

// Ranges (probabilities in [0, 1], class ids below the class count K that an
// attribute binds) and segment ids below their map's count.
const char* kRangeSchema = R"({
  "schema": "occ.test",
  "version": 1,
  "attributes": {"names": {"type": "string[]", "required": true, "length_binds": "K"}},
  "datasets": {
    "/p": {"dtype": "float32", "shape": ["N", 2], "checks": [{"check": "range", "min": 0, "max": 1}]},
    "/class": {"dtype": "uint8", "shape": ["N", 3], "checks": [{"check": "range", "below": "K"}]},
    "/count": {"dtype": "int32", "shape": ["N", 2], "checks": [{"check": "range", "min": 0}]},
    "/labels": {"dtype": "uint16", "shape": ["N", 2, 3], "checks": [{"check": "below_count", "of": "/count"}]}
  }
})";

struct RangeValues {
  std::vector<float> p{0.0f, 1.0f, 0.5f, 0.25f};
  std::vector<uint8_t> classes{0, 1, 2, 2, 1, 0};
  std::vector<int32_t> count{3, 1, 2, 0};
  // Map [0, 0] has 3 segments, [0, 1] one, [1, 0] two, [1, 1] none (all 0).
  std::vector<uint16_t> labels{0, 1, 2, 0, 0, 0, 1, 0, 1, 0, 0, 0};
};

std::vector<std::string> range_problems(const RangeValues& values) {
  static const Schema parsed = Schema::parse(kRangeSchema, "test");
  test::TempDir dir;
  const std::string path = dir.file("r.h5");
  File file = File::create(path, path);
  write_attribute(file, "/", "names", std::vector<std::string>{"a", "b", "c"});
  write(file, "/p", values.p, {2, 2});
  write(file, "/class", values.classes, {2, 3});
  write(file, "/count", values.count, {2, 2});
  write(file, "/labels", values.labels, {2, 2, 3});
  return check_values(file, parsed, true);
}

TEST(ValueChecks, ValuesInTheirRangesHaveNoProblems) {
  EXPECT_TRUE(range_problems(RangeValues{}).empty())
      << ::testing::PrintToString(range_problems(RangeValues{}));
}

TEST(ValueChecks, RangesNameTheValueAndItsPlace) {
  RangeValues above;
  above.p[3] = 1.5f;
  EXPECT_EQ(only(range_problems(above)), "dataset '/p' row 1: 1.5 at [1, 1] is outside [0, 1]");
  RangeValues nan;
  nan.p[0] = std::nanf("");
  EXPECT_EQ(only(range_problems(nan)), "dataset '/p' row 0: nan at [0, 0] is outside [0, 1]");
  RangeValues negative;
  negative.count[1] = -1;
  const auto found = range_problems(negative);
  ASSERT_EQ(found.size(), 2u) << ::testing::PrintToString(found);
  EXPECT_EQ(found[0], "dataset '/count' row 0: -1 at [0, 1] is outside >= 0");
  EXPECT_EQ(found[1],
            "dataset '/labels' row 0: id 0 at [0, 1, 0] is not below the count -1 of '/count' [0, 1]");
}

TEST(ValueChecks, ClassIdsStayBelowTheClassCount) {
  RangeValues values;
  values.classes[4] = 3;  // three names: ids 0, 1, 2
  EXPECT_EQ(only(range_problems(values)), "dataset '/class' row 1: 3 at [1, 1] is outside < K = 3");
}

TEST(ValueChecks, SegmentIdsStayBelowTheirMapsCount) {
  RangeValues values;
  values.labels[3] = 1;  // map [0, 1] has one segment
  EXPECT_EQ(only(range_problems(values)),
            "dataset '/labels' row 0: id 1 at [0, 1, 0] is not below the count 1 of '/count' [0, 1]");
  RangeValues empty_map;
  empty_map.labels[10] = 1;  // map [1, 1] holds no segments
  EXPECT_EQ(only(range_problems(empty_map)),
            "dataset '/labels' row 1: id 1 at [1, 1, 1] is not below the count 0 of '/count' [1, 1]");
}

}  // namespace
}  // namespace occ::h5

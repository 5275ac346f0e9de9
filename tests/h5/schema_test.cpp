#include "h5/schema.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/schema_registry.h"
#include "support/temp_dir.h"

namespace occ::h5 {
namespace {

const char* kTestSchema = R"({
  "schema": "occ.test",
  "version": 2,
  "attributes": {
    "grid_shape": {"type": "int[]", "required": true, "binds": ["X", "Y"]},
    "names": {"type": "string[]", "required": false, "length_binds": "K"}
  },
  "datasets": {
    "/a": {"dtype": "uint8", "shape": ["N", "X", "Y"], "required": true},
    "/b": {"dtype": ["float32", "float16"], "shape": ["N", 3], "required": true},
    "/offsets": {"dtype": "int64", "shape": ["N+1"], "required": false},
    "/probabilities": {"dtype": "float32", "shape": ["N", "K"], "required": false},
    "/weights/*": {"dtype": "float32", "shape": "any", "required": false}
  }
})";

// A file that follows kTestSchema; `mutate` then breaks one thing.
std::vector<std::string> problems_after(const std::function<void(File&)>& mutate) {
  test::TempDir dir;
  const std::string path = dir.file("f.h5");
  File file = File::create(path, path);
  write_attribute(file, "/", "schema", std::string("occ.test"));
  write_attribute(file, "/", "schema_version", int64_t{2});
  for (const char* name : {"uuid", "occ_version", "created_by", "created_at", "options"}) {
    write_attribute(file, "/", name, std::string("x"));
  }
  write_attribute(file, "/", "grid_shape", std::vector<int64_t>{4, 5});
  mutate(file);
  const Schema schema = Schema::parse(kTestSchema, "test.json");
  return validate(file, schema);
}

void write_valid_datasets(File& file, int64_t frames = 2) {
  write(file, "/a", std::vector<uint8_t>(frames * 20), {frames, 4, 5});
  write(file, "/b", std::vector<float>(frames * 3), {frames, 3});
}

std::string joined(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& problem : problems) text += problem + "\n";
  return text;
}

TEST(Schema, ValidFileHasNoProblems) {
  EXPECT_EQ(joined(problems_after([](File& file) {
              write_valid_datasets(file);
              write(file, "/offsets", std::vector<int64_t>{0, 1, 3}, {3});
              write(file, "/weights/layer1/w", std::vector<float>(6), {2, 3});
            })),
            "");
}

TEST(Schema, MissingDataset) {
  EXPECT_EQ(joined(problems_after([](File& file) {
              write(file, "/a", std::vector<uint8_t>(40), {2, 4, 5});
            })),
            "dataset '/b' is missing\n");
}

TEST(Schema, WrongDtype) {
  EXPECT_EQ(joined(problems_after([](File& file) {
              write(file, "/a", std::vector<uint8_t>(40), {2, 4, 5});
              write(file, "/b", std::vector<double>(6), {2, 3});
            })),
            "dataset '/b' has dtype float64, expected float32 or float16\n");
}

TEST(Schema, WrongRank) {
  EXPECT_EQ(joined(problems_after([](File& file) {
              write(file, "/a", std::vector<uint8_t>(40), {2, 20});
              write(file, "/b", std::vector<float>(6), {2, 3});
            })),
            "dataset '/a' has rank 2 (2, 20), expected rank 3 (N, X, Y)\n");
}

TEST(Schema, InconsistentSymbols) {
  EXPECT_EQ(joined(problems_after([](File& file) {
              write(file, "/a", std::vector<uint8_t>(40), {2, 4, 5});
              write(file, "/b", std::vector<float>(9), {3, 3});
            })),
            "dataset '/b' has N = 3 (axis 0), but dataset '/a' has N = 2\n");
  EXPECT_EQ(joined(problems_after([](File& file) {
              write_valid_datasets(file);
              write(file, "/offsets", std::vector<int64_t>{0, 1}, {2});
            })),
            "dataset '/offsets' has N = 1 (axis 0), but dataset '/a' has N = 2\n");
  EXPECT_EQ(joined(problems_after([](File& file) {
              write(file, "/a", std::vector<uint8_t>(48), {2, 4, 6});
              write(file, "/b", std::vector<float>(6), {2, 3});
            })),
            "dataset '/a' has Y = 6 (axis 2), but root attribute 'grid_shape' has Y = 5\n");
  EXPECT_EQ(joined(problems_after([](File& file) {
              write_valid_datasets(file);
              write_attribute(file, "/", "names", std::vector<std::string>{"a", "b"});
              write(file, "/probabilities", std::vector<float>(6), {2, 3});
            })),
            "dataset '/probabilities' has K = 3 (axis 1), but root attribute 'names' has K = 2\n");
}

TEST(Schema, FixedSizesAndVersionAndAttributes) {
  EXPECT_EQ(joined(problems_after([](File& file) {
              write(file, "/a", std::vector<uint8_t>(40), {2, 4, 5});
              write(file, "/b", std::vector<float>(8), {2, 4});
            })),
            "dataset '/b' has size 4 on axis 1, expected 3\n");
  EXPECT_EQ(joined(problems_after([](File& file) {
              write_valid_datasets(file);
              write_attribute(file, "/", "schema_version", int64_t{3});
            })),
            "root attribute 'schema_version' is 3, this occ reads occ.test version 2\n");
  EXPECT_EQ(joined(problems_after([](File& file) {
              write_valid_datasets(file);
              write_attribute(file, "/", "grid_shape", std::string("200x200"));
              write_attribute(file, "/", "uuid", int64_t{1});
            })),
            "root attribute 'uuid' is int, expected string\n"
            "root attribute 'grid_shape' is string, expected int[]\n");
}

TEST(Schema, MalformedSchemaDocumentsAreRejected) {
  EXPECT_THROW(Schema::parse("{", "x.json"), FormatError);
  EXPECT_THROW(Schema::parse(R"({"schema": "test", "version": 1, "datasets": {}})", "x.json"), FormatError);
  EXPECT_THROW(Schema::parse(
                   R"({"schema": "occ.t", "version": 1, "datasets": {"/a": {"dtype": "int8", "shape": []}}})",
                   "x.json"),
               FormatError);
  EXPECT_THROW(Schema::parse(
                   R"({"schema": "occ.t", "version": 1, "datasets": {"a": {"dtype": "uint8", "shape": []}}})",
                   "x.json"),
               FormatError);
}

TEST(Schema, EveryShippedSchemaParses) {
  EXPECT_EQ(schema_kinds(), (std::vector<std::string>{"flow", "frames", "masks", "model", "pred"}));
  for (const auto& kind : schema_kinds()) {
    const Schema& schema = schema_for_kind(kind);
    EXPECT_EQ(schema.name, "occ." + kind);
    EXPECT_GE(schema.version, 1);
    EXPECT_FALSE(schema.datasets.empty());
    EXPECT_EQ(find_schema_by_name(schema.name), &schema);
  }
  EXPECT_EQ(schema_for_kind("masks").derived_from, "occ.frames");
  EXPECT_THROW(schema_for_kind("nope"), Error);
}

// A masks artifact written, committed, reopened and checked against the
// frames file it names.
TEST(Artifact, WriteValidateAndCheckOrigin) {
  test::TempDir dir;
  const std::string path = dir.file("m.h5");
  std::string uuid;
  {
    OutputArtifact out(path, "masks", {{"method", "seeds"}});
    uuid = out.uuid();
    out.set_frames_uuid("frames-1");
    write_attribute(out.file(), "/", "method", std::string("seeds"));
    write_attribute(out.file(), "/", "parameters", std::string("{}"));
    write_attribute(out.file(), "/", "image_size", std::vector<int64_t>{2, 3});
    write(out.file(), "/masks/labels", std::vector<uint16_t>(12), {1, 2, 2, 3});
    write(out.file(), "/masks/count", std::vector<int32_t>{1, 1}, {1, 2});
    EXPECT_EQ(dir.entries().size(), 1u);
    EXPECT_NE(dir.entries().front(), "m.h5") << "only a temporary until commit";
    out.commit();
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.h5"});
  const File file = open_artifact(path, "masks");
  EXPECT_EQ(read_string_attribute(file, "/", "uuid"), uuid);
  EXPECT_EQ(read_string_attribute(file, "/", "options"), R"({"method":"seeds"})");
  EXPECT_THROW(open_artifact(path, "frames"), SchemaError);

  // The origin check compares the recorded frames_uuid with the frames file's uuid.
  const std::string frames_path = dir.file("frames.h5");
  {
    File frames = File::create(frames_path, frames_path);
    write_attribute(frames, "/", "uuid", std::string("frames-2"));
    frames.close();
  }
  try {
    require_made_from(file, File::open(frames_path));
    FAIL();
  } catch (const FormatError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("frames-1"), std::string::npos) << message;
    EXPECT_NE(message.find("frames-2"), std::string::npos) << message;
    EXPECT_NE(message.find(frames_path), std::string::npos) << message;
  }
}

TEST(Artifact, CommitRefusesOutputThatBreaksItsSchema) {
  test::TempDir dir;
  {
    OutputArtifact out(dir.file("m.h5"), "masks", nlohmann::json::object());
    EXPECT_THROW(out.commit(), Error) << "no datasets, no frames_uuid";
  }
  EXPECT_TRUE(dir.entries().empty()) << "nothing left behind";
}

}  // namespace
}  // namespace occ::h5

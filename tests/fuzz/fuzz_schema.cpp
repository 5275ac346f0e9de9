// libFuzzer target: the schema validator. An input is a schema document
// (data/schemas format); it is parsed and, when it parses, every file of a
// small set written at start-up (a frames-like file with attributes, ragged
// offsets, poses, strings, a float16 dataset) is validated against it and, when valid,
// value-checked.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/half.h"
#include "h5/schema.h"

namespace {

std::string make_file() {
  namespace h5 = occ::h5;
  const std::string path = occ::fuzz::scratch_path("schema_target.h5");
  h5::File file = h5::File::create(path, path);
  h5::write_attribute(file, "/", "schema", std::string("occ.fuzz"));
  h5::write_attribute(file, "/", "schema_version", int64_t{1});
  h5::write_attribute(file, "/", "uuid", std::string("u"));
  h5::write_attribute(file, "/", "grid_shape", std::vector<int64_t>{2, 3, 4});
  h5::write_attribute(file, "/", "class_names", std::vector<std::string>{"a", "b", "c"});
  h5::write_attribute(file, "/", "voxel", std::vector<double>{0.5, 0.5, 0.5});
  h5::write_strings(file, "/names", {"s0", "s1"});
  h5::write(file, "/scene", std::vector<int32_t>{0, 0, 1}, {3});
  h5::write(file, "/time", std::vector<int64_t>{1, 2, 1}, {3});
  std::vector<double> poses(3 * 16, 0.0);
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 16; k += 5) poses[static_cast<size_t>(i * 16 + k)] = 1.0;
  h5::write(file, "/pose", poses, {3, 4, 4});
  h5::write(file, "/offsets", std::vector<int64_t>{0, 2, 2, 5}, {4});
  h5::write(file, "/points", std::vector<float>(5 * 4, 0.5f), {5, 4});
  h5::write(file, "/grid", std::vector<uint8_t>(3 * 2 * 3 * 4, 1), {3, 2, 3, 4});
  h5::write(file, "/count", std::vector<int32_t>{2, 3, 0}, {3});
  h5::write(file, "/prob", std::vector<occ::Half>(3 * 3, occ::float_to_half(0.25f)), {3, 3});
  h5::write(file, "/empty", std::vector<float>{}, {0, 3});
  file.close();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = make_file();
  const std::string text(reinterpret_cast<const char*>(data), size);
  occ::fuzz::expect_clean([&] {
    const occ::h5::Schema schema = occ::h5::Schema::parse(text, "fuzz.json");
    const occ::h5::File file = occ::h5::File::open(path);
    // As every reader does: values are checked once the layout is valid.
    if (occ::h5::validate(file, schema).empty()) occ::h5::check_values(file, schema, true);
  });
  return 0;
}

// libFuzzer target: the nuScenes JSON tables. A dataroot holds the Lyft
// fixture tables (nuScenes schema, ../shared/fixtures/lyft_nuscenes_schema);
// the first byte of an input picks one of the nine tables occ reads and the
// rest replaces it, so every table is fuzzed beside valid others.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "datasets/nuscenes_tables.h"
#include "fuzz/fuzz_support.h"

namespace {

const std::vector<std::string> kTables = {"sensor",           "calibrated_sensor", "ego_pose", "scene",
                                          "sample",           "sample_data",       "category", "instance",
                                          "sample_annotation"};
const char* const kVersion = "v1.01-train";

std::string make_dataroot() {
  namespace fs = std::filesystem;
  const fs::path root = occ::fuzz::scratch_path("nuscenes");
  fs::create_directories(root / kVersion);
  for (const auto& entry :
       fs::directory_iterator(fs::path(OCC_FIXTURES_DIR) / "lyft_nuscenes_schema" / kVersion)) {
    fs::copy_file(entry.path(), root / kVersion / entry.path().filename(),
                  fs::copy_options::overwrite_existing);
  }
  return root.string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string root = make_dataroot();
  const std::string table = kTables[data[0] % kTables.size()];
  const std::string path = root + "/" + kVersion + "/" + table + ".json";
  const std::string backup = path + ".valid";
  std::filesystem::copy_file(path, backup, std::filesystem::copy_options::overwrite_existing);
  occ::fuzz::write_bytes(path, data + 1, size - 1);
  occ::fuzz::expect_clean([&] { occ::datasets::read_nuscenes_tables(root, kVersion); });
  std::filesystem::rename(backup, path);
  return 0;
}

// occ prep nuscenes --sweeps and --openocc through the binary: a synthetic
// world with two sweeps between keyframes, exported in the nuScenes layout
// (sweeps become non-key sample_data under sweeps/), reads back with its
// sweep rows (poses, times, images), the camera matching rules hold on
// edited tables, and OpenOcc labels written here land in the right rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <set>

#include "core/strings.h"
#include "datasets/frames_file.h"
#include "datasets/npy.h"
#include "h5/dataset.h"
#include "support/run.h"

namespace occ::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int64_t kVoxels = 200 * 200 * 16;

class PrepNuScenesSweeps : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    // 2 scenes of 2 keyframes with 2 sweeps between: 4 rows a scene.
    const RunResult synth =
        run({OCC_BINARY, "prep", "synth", "-o", synth_path(), "--scenes", "2", "--frames-per-scene", "2",
             "--sweeps", "2", "--image-size", "32x64", "--seed", "5", "-q", "-j", "2"});
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    const RunResult exported =
        run({OCC_BINARY, "export", synth_path(), "--format", "nuscenes", "-o", dataset(), "-q"});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::string synth_path() { return dir_->file("synth.h5"); }
  static std::string dataset() { return dir_->file("nuscenes"); }

  static RunResult prep(const std::string& root, const std::string& output, std::vector<std::string> extra) {
    std::vector<std::string> argv = {OCC_BINARY, "prep", "nuscenes", "--dataroot", root, "-o", output, "-q"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  }

  static std::unique_ptr<TempDir> dir_;
};
std::unique_ptr<TempDir> PrepNuScenesSweeps::dir_;

template <typename T>
std::vector<T> rows(const FramesFile& frames, const std::string& path) {
  return h5::read<T>(frames.file(), path).values;
}

TEST_F(PrepNuScenesSweeps, SweepRowsComeBackWithTheirPosesTimesAndImages) {
  TempDir dir;
  const std::string output = dir.file("sweeps.h5");
  const RunResult result =
      prep(dataset(), output, {"--sweeps", "--occ3d", dataset() + "/gts", "--lidar-points"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile original(synth_path()), back(output);
  ASSERT_EQ(original.frame_count(), 8);
  ASSERT_EQ(back.frame_count(), 8);
  const auto keyframe = rows<uint8_t>(back, "/frames/is_keyframe");
  EXPECT_EQ(keyframe, rows<uint8_t>(original, "/frames/is_keyframe"));
  EXPECT_EQ(keyframe, (std::vector<uint8_t>{1, 0, 0, 1, 1, 0, 0, 1}));
  EXPECT_EQ(rows<int32_t>(back, "/frames/scene"), rows<int32_t>(original, "/frames/scene"));
  EXPECT_EQ(rows<int64_t>(back, "/frames/timestamp_us"), rows<int64_t>(original, "/frames/timestamp_us"));
  // prev/next run through the sweeps in time order, scene by scene.
  EXPECT_EQ(rows<int32_t>(back, "/frames/prev"), rows<int32_t>(original, "/frames/prev"));
  EXPECT_EQ(rows<int32_t>(back, "/frames/next"), rows<int32_t>(original, "/frames/next"));
  EXPECT_EQ(back.prev(4), -1);
  EXPECT_EQ(back.next(3), -1);
  const auto frame_times = rows<int64_t>(original, "/frames/timestamp_us");
  const auto camera_times = rows<int64_t>(back, "/cameras/timestamp_us");
  const auto points = rows<int64_t>(back, "/lidar/offsets");
  const auto boxes = rows<int64_t>(back, "/boxes/offsets");
  std::set<std::string> tokens;
  for (int64_t f = 0; f < back.frame_count(); ++f) {
    const std::string where = "row " + std::to_string(f);
    tokens.insert(back.token(f));
    if (keyframe[size_t(f)]) {
      EXPECT_EQ(back.token(f), original.token(f)) << where;
    }
    // The row's pose is the reference camera's; every camera keeps its own.
    const Matrix4 pose = back.world_from_ego(f, 0), expected = original.world_from_ego(f, 0);
    for (size_t i = 0; i < 16; ++i) ASSERT_NEAR(pose[i], expected[i], 1e-9) << where;
    for (int64_t c = 0; c < back.camera_count(); ++c) {
      EXPECT_EQ(camera_times[size_t(f * back.camera_count() + c)], frame_times[size_t(f)]) << where;
      const Matrix4 a = back.world_from_ego(f, c), b = original.world_from_ego(f, c);
      for (size_t i = 0; i < 16; ++i) ASSERT_NEAR(a[i], b[i], 1e-9) << where << " camera " << c;
      const Matrix3 ka = back.intrinsics(f, c), kb = original.intrinsics(f, c);
      for (size_t i = 0; i < 9; ++i) ASSERT_NEAR(ka[i], kb[i], 1e-9) << where;
      const cv::Mat image = back.image(f, c), source = original.image(f, c);
      ASSERT_EQ(image.size(), source.size()) << where;
      // JPEG quality 95 of the 32x64 image, and not another row's image.
      EXPECT_LT(cv::norm(image, source, cv::NORM_L1) / double(image.total() * 3), 8.0) << where;
      if (f > 0) {
        EXPECT_GT(cv::norm(image, original.image(f - 1, c), cv::NORM_L1), 0) << where;
      }
    }
    if (keyframe[size_t(f)]) {
      EXPECT_EQ(back.occupancy(f), original.occupancy(f)) << where;
      EXPECT_GT(points[size_t(f) + 1], points[size_t(f)]) << where;
    } else {
      // Sweeps carry no labels: ignored, unobserved, no points, no boxes.
      EXPECT_EQ(back.occupancy(f), std::vector<uint8_t>(kVoxels, 255)) << where;
      EXPECT_EQ(back.camera_mask(f), std::vector<uint8_t>(kVoxels, 0)) << where;
      EXPECT_EQ(points[size_t(f) + 1], points[size_t(f)]) << where;
      EXPECT_EQ(boxes[size_t(f) + 1], boxes[size_t(f)]) << where;
    }
  }
  EXPECT_EQ(tokens.size(), 8u);  // sweep rows are named by their CAM_FRONT sample_data token
  EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", output}).exit_code, 0);

  // Without --sweeps the same dataset gives the keyframes only.
  const RunResult keys = prep(dataset(), dir.file("keys.h5"), {});
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  EXPECT_EQ(FramesFile(dir.file("keys.h5")).frame_count(), 4);
}

// Edits the exported sample_data of scene 0 (keyframes k0 < k1, sweeps at
// k0 + d and k0 + 2d, k1 = k0 + 3d): CAM_BACK loses its two sweeps, so it
// falls back to its nearest image of any kind; CAM_FRONT_RIGHT's first sweep
// moves to k0 + 1 us and its second to k1 + 1 us, nearer to k0 + 2d in time
// but past the keyframe: the row at k0 + 2d still takes the one between its
// own keyframes.
TEST_F(PrepNuScenesSweeps, OtherCamerasTakeTheirNearestSweepBetweenTheSameKeyframes) {
  TempDir dir;
  const std::string root = dir.file("nuscenes");
  fs::copy(dataset(), root, fs::copy_options::recursive);
  const FramesFile original(synth_path());
  const auto times = rows<int64_t>(original, "/frames/timestamp_us");
  const int64_t k0 = times[0], s1 = times[1], s2 = times[2], k1 = times[3];
  const std::string scene = h5::read_strings(original.file(), "/scenes/name")[0];
  const std::string path = root + "/v1.0-trainval/sample_data.json";
  json table = json::parse(std::ifstream(path));
  auto is = [&](const json& record, const std::string& channel, int64_t time) {
    return record["filename"].get<std::string>().rfind(str("sweeps/", channel, "/", scene, "__"), 0) == 0 &&
           record["timestamp"].get<int64_t>() == time;
  };
  json kept = json::array();
  int edited = 0;
  for (json record : table) {
    if (is(record, "CAM_BACK", s1) || is(record, "CAM_BACK", s2)) {
      ++edited;
      continue;
    }
    if (is(record, "CAM_FRONT_RIGHT", s1)) record["timestamp"] = k0 + 1, ++edited;
    if (is(record, "CAM_FRONT_RIGHT", s2)) record["timestamp"] = k1 + 1, ++edited;
    kept.push_back(record);
  }
  ASSERT_EQ(edited, 4);  // prev/next links are left dangling: the reader orders by time
  std::ofstream(path, std::ios::trunc) << kept.dump();
  const std::string output = dir.file("out.h5");
  const RunResult result = prep(root, output, {"--sweeps"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile back(output);
  ASSERT_EQ(back.frame_count(), 8);
  ASSERT_LT(k1 + 1 - s2, s2 - (k0 + 1));
  const auto camera_times = rows<int64_t>(back, "/cameras/timestamp_us");
  const auto& names = back.camera_names();
  auto camera_time = [&](int64_t row, const std::string& channel) {
    const auto c = std::find(names.begin(), names.end(), channel) - names.begin();
    return camera_times[size_t(row * int64_t(names.size()) + c)];
  };
  EXPECT_EQ(camera_time(1, "CAM_BACK"), k0);  // s1 is nearer k0 (d) than k1 (2d)
  EXPECT_EQ(camera_time(2, "CAM_BACK"), k1);
  EXPECT_EQ(camera_time(1, "CAM_FRONT_RIGHT"), k0 + 1);
  EXPECT_EQ(camera_time(2, "CAM_FRONT_RIGHT"), k0 + 1);  // not k1 + 1, past the keyframe
  EXPECT_EQ(camera_time(2, "CAM_FRONT"), s2);
  EXPECT_EQ(camera_time(2, "CAM_BACK_LEFT"), s2);
  // The camera's own pose comes with its image: CAM_BACK of row 1 is keyframe 0's.
  const auto back_index = std::find(names.begin(), names.end(), "CAM_BACK") - names.begin();
  const Matrix4 a = back.world_from_ego(1, back_index), b = original.world_from_ego(0, back_index);
  for (size_t i = 0; i < 16; ++i) EXPECT_NEAR(a[i], b[i], 1e-9);
}

// OpenOcc semantics use their own ids: car 0 ... vegetation 15, free 16
// (SparseOcc RayIoU_metrics/config.py openocc_class_names).
const std::vector<std::string> kOpenOccNames = {"car",
                                                "truck",
                                                "trailer",
                                                "bus",
                                                "construction_vehicle",
                                                "bicycle",
                                                "motorcycle",
                                                "pedestrian",
                                                "traffic_cone",
                                                "barrier",
                                                "driveable_surface",
                                                "other_flat",
                                                "sidewalk",
                                                "terrain",
                                                "manmade",
                                                "vegetation",
                                                "free"};

struct OpenOccSample {
  std::vector<uint8_t> semantics;  // OpenOcc ids
  std::vector<float> flow;
};

// Labels whose every voxel depends on the row, so a misplaced row shows.
OpenOccSample openocc_sample(int64_t row) {
  OpenOccSample sample;
  sample.semantics.resize(kVoxels);
  sample.flow.resize(2 * kVoxels);
  for (int64_t v = 0; v < kVoxels; ++v) {
    sample.semantics[size_t(v)] = uint8_t((v + row) % 17);
    sample.flow[size_t(2 * v)] = float(row) + 0.25f * float(v % 8);
    sample.flow[size_t(2 * v + 1)] = -0.5f * float(v % 5);
  }
  return sample;
}

// Writes OpenOcc labels for every keyframe of the synthetic world, with
// optional extra entries.
void write_openocc(const FramesFile& original, const std::string& root,
                   const std::vector<npy::NpzEntry>& extra = {}) {
  const auto scenes = h5::read_strings(original.file(), "/scenes/name");
  const auto scene = rows<int32_t>(original, "/frames/scene");
  const auto keyframe = rows<uint8_t>(original, "/frames/is_keyframe");
  for (int64_t f = 0; f < original.frame_count(); ++f) {
    if (!keyframe[size_t(f)]) continue;
    const std::string folder = root + "/" + scenes[size_t(scene[size_t(f)])] + "/" + original.token(f);
    fs::create_directories(folder);
    const OpenOccSample sample = openocc_sample(f);
    std::vector<npy::NpzEntry> entries = {{"semantics", npy::make_uint8({200, 200, 16}, sample.semantics)},
                                          {"flow", npy::make_float32({200, 200, 16, 2}, sample.flow)}};
    entries.insert(entries.end(), extra.begin(), extra.end());
    npy::write_npz(folder + "/labels.npz", entries, true);
  }
}

// A CAM_FRONT sweep moved 10 us before the scene's first sample becomes the
// scene's first row; the other cameras have no sweep before that sample,
// so they take its keyframe images. OpenOcc labels (keyframes only) still
// lay out from the first keyframe.
TEST_F(PrepNuScenesSweeps, ASweepBeforeTheFirstSampleLeadsItsScene) {
  TempDir dir;
  const std::string root = dir.file("nuscenes");
  fs::copy(dataset(), root, fs::copy_options::recursive);
  const FramesFile original(synth_path());
  write_openocc(original, dir.file("openocc"));
  const auto times = rows<int64_t>(original, "/frames/timestamp_us");
  const std::string scene = h5::read_strings(original.file(), "/scenes/name")[0];
  const std::string path = root + "/v1.0-trainval/sample_data.json";
  json table = json::parse(std::ifstream(path));
  int moved = 0;
  for (json& record : table) {
    if (record["filename"].get<std::string>().rfind(str("sweeps/CAM_FRONT/", scene, "__"), 0) == 0 &&
        record["timestamp"].get<int64_t>() == times[1]) {
      record["timestamp"] = times[0] - 10;
      ++moved;
    }
  }
  ASSERT_EQ(moved, 1);
  std::ofstream(path, std::ios::trunc) << table.dump();
  const std::string output = dir.file("out.h5");
  const RunResult result = prep(root, output, {"--sweeps", "--openocc", dir.file("openocc")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile back(output);
  ASSERT_EQ(back.frame_count(), 8);
  EXPECT_EQ(rows<uint8_t>(back, "/frames/is_keyframe"), (std::vector<uint8_t>{0, 1, 0, 1, 1, 0, 0, 1}));
  EXPECT_EQ(rows<int64_t>(back, "/frames/timestamp_us")[0], times[0] - 10);
  EXPECT_EQ(back.prev(0), -1);
  EXPECT_EQ(back.next(0), 1);
  EXPECT_EQ(back.token(1), original.token(0));
  const auto camera_times = rows<int64_t>(back, "/cameras/timestamp_us");
  EXPECT_EQ(camera_times[0], times[0] - 10);  // CAM_FRONT, the reference
  for (size_t c = 1; c < 6; ++c) EXPECT_EQ(camera_times[c], times[0]) << c;
  EXPECT_EQ(back.occupancy_flow(1), openocc_sample(0).flow);
}

TEST_F(PrepNuScenesSweeps, OpenOccSemanticsAndFlowLandInTheirRows) {
  TempDir dir;
  const FramesFile original(synth_path());
  write_openocc(original, dir.file("openocc"));
  const std::string output = dir.file("openocc.h5");
  const RunResult result = prep(dataset(), output, {"--sweeps", "--openocc", dir.file("openocc")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile back(output);
  ASSERT_EQ(back.frame_count(), 8);
  EXPECT_FALSE(back.has("/occupancy/mask_camera"));  // this OpenOcc release has no masks
  EXPECT_FALSE(back.has("/occupancy/mask_lidar"));
  const auto& occ3d = back.class_names();
  const auto keyframe = rows<uint8_t>(back, "/frames/is_keyframe");
  for (int64_t f = 0; f < back.frame_count(); ++f) {
    const auto semantics = back.occupancy(f);
    const auto flow = back.occupancy_flow(f);
    if (!keyframe[size_t(f)]) {
      EXPECT_EQ(semantics, std::vector<uint8_t>(kVoxels, 255)) << f;
      EXPECT_EQ(flow, std::vector<float>(2 * kVoxels, 0.f)) << f;
      continue;
    }
    const OpenOccSample sample = openocc_sample(f);
    EXPECT_EQ(flow, sample.flow) << f;
    for (int64_t v = 0; v < kVoxels; ++v) {
      const std::string& name = kOpenOccNames[sample.semantics[size_t(v)]];
      ASSERT_EQ(occ3d[semantics[size_t(v)]], name) << "row " << f << " voxel " << v;
    }
  }
  EXPECT_EQ(back.occupancy(0)[0], 4);    // OpenOcc 0, car, is Occ3D 4
  EXPECT_EQ(back.occupancy(0)[16], 17);  // OpenOcc 16, free, is Occ3D 17
  EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", output}).exit_code, 0);

  // With --occ3d: semantics and masks from Occ3D, flow from OpenOcc.
  const std::string both = dir.file("both.h5");
  const RunResult combined =
      prep(dataset(), both, {"--openocc", dir.file("openocc"), "--occ3d", dataset() + "/gts"});
  ASSERT_EQ(combined.exit_code, 0) << combined.err;
  const FramesFile joined(both);
  ASSERT_EQ(joined.frame_count(), 4);
  for (int64_t row = 0, f = 0; f < original.frame_count(); ++f) {
    if (!keyframe[size_t(f)]) continue;
    EXPECT_EQ(joined.occupancy(row), original.occupancy(f)) << f;
    EXPECT_EQ(joined.camera_mask(row), original.camera_mask(f)) << f;
    EXPECT_EQ(joined.occupancy_flow(row), openocc_sample(f).flow) << f;
    ++row;
  }
}

TEST_F(PrepNuScenesSweeps, OpenOccMasksAreKeptWhenTheFilesHaveThem) {
  TempDir dir;
  const FramesFile original(synth_path());
  std::vector<uint8_t> mask(kVoxels, 0);
  for (int64_t v = 0; v < kVoxels; v += 3) mask[size_t(v)] = 1;
  write_openocc(original, dir.file("openocc"), {{"mask_camera", npy::make_uint8({200, 200, 16}, mask)}});
  const std::string output = dir.file("masked.h5");
  const RunResult result = prep(dataset(), output, {"--openocc", dir.file("openocc")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile back(output);
  EXPECT_FALSE(back.has("/occupancy/mask_lidar"));
  EXPECT_EQ(back.camera_mask(2), mask);
}

TEST_F(PrepNuScenesSweeps, BadOpenOccFlowNamesTheFileAndLeavesNoOutput) {
  TempDir dir;
  const FramesFile original(synth_path());
  write_openocc(original, dir.file("openocc"));
  const std::string path = dir.file("openocc") + "/" + h5::read_strings(original.file(), "/scenes/name")[0] +
                           "/" + original.token(3) + "/labels.npz";
  const std::vector<uint8_t> semantics(kVoxels, 16);
  auto expect_failure = [&](const npy::Array& flow, const std::string& message) {
    npy::write_npz(path, {{"semantics", npy::make_uint8({200, 200, 16}, semantics)}, {"flow", flow}}, true);
    const std::string output = dir.file("out.h5");
    const RunResult result = prep(dataset(), output, {"--openocc", dir.file("openocc")});
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_NE(result.err.find("'" + path + "' entry 'flow'"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(output));
  };
  npy::Array wide;  // float64: not what OpenOcc writes, and would narrow silently
  wide.descr = "<f8";
  wide.kind = 'f';
  wide.item_size = 8;
  wide.shape = {200, 200, 16, 2};
  wide.bytes.assign(size_t(2 * kVoxels * 8), 0);
  expect_failure(wide, "has dtype '<f8' where OpenOcc flow is float32");
  expect_failure(npy::make_float32({200, 200, 16, 3}, std::vector<float>(3 * kVoxels, 0.f)),
                 "has shape (200, 200, 16, 3) where OpenOcc flow is (200, 200, 16, 2)");
  // A semantics grid of another shape than Occ3D's is refused too.
  npy::write_npz(path,
                 {{"semantics", npy::make_uint8({200, 200, 8}, std::vector<uint8_t>(kVoxels / 2, 16))},
                  {"flow", npy::make_float32({200, 200, 16, 2}, std::vector<float>(2 * kVoxels, 0.f))}},
                 true);
  const RunResult result =
      prep(dataset(), dir.file("out.h5"), {"--openocc", dir.file("openocc"), "--occ3d", dataset() + "/gts"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("'" + path + "' entry 'semantics' has shape (200, 200, 8)"), std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(dir.file("out.h5")));
  // A sample without OpenOcc labels and a sweep without its image are listed.
  fs::remove(path);
  const RunResult missing = prep(dataset(), dir.file("out.h5"), {"--openocc", dir.file("openocc")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("1 input file is missing: '" + path + "'"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(dir.file("out.h5")));
}

TEST_F(PrepNuScenesSweeps, MissingSweepImagesAreListedOnlyWithSweeps) {
  TempDir dir;
  const std::string root = dir.file("nuscenes");
  fs::copy(dataset(), root, fs::copy_options::recursive);
  fs::path image;
  for (const auto& entry : fs::recursive_directory_iterator(root + "/sweeps/CAM_BACK")) image = entry.path();
  ASSERT_FALSE(image.empty());
  fs::remove(image);
  ASSERT_EQ(prep(root, dir.file("keys.h5"), {}).exit_code, 0);  // keyframes do not need it
  const RunResult result = prep(root, dir.file("out.h5"), {"--sweeps"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("1 input file is missing: '" + image.string() + "'"), std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(dir.file("out.h5")));
}

}  // namespace
}  // namespace occ::test

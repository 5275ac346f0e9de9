// occ prep nuscenes through the binary: a synthetic world exported in the
// real nuScenes + Occ3D layout (occ export --format nuscenes) reads back
// field by field, and every kind of bad input is one clear error, exit 1
// (2 for usage errors), with no output file.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "datasets/frames_file.h"
#include "datasets/npy.h"
#include "export/semantickitti.h"
#include "geom/rigid.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/kitti_fixture_root.h"
#include "support/run.h"

namespace occ::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// One synthetic world and its nuScenes export, shared by the tests here.
class PrepNuScenes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    const RunResult synth =
        run({OCC_BINARY, "prep", "synth", "-o", synth_path(), "--scenes", "2", "--frames-per-scene", "3",
             "--image-size", "32x64", "--seed", "4", "-q", "-j", "2"});
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    const RunResult exported =
        run({OCC_BINARY, "export", synth_path(), "--format", "nuscenes", "-o", dataset(), "-q"});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::string synth_path() { return dir_->file("synth.h5"); }
  static std::string dataset() { return dir_->file("nuscenes"); }

  // A private copy of the exported dataset to break.
  static std::string copy_dataset(const TempDir& into) {
    const std::string copy = into.file("nuscenes");
    fs::copy(dataset(), copy, fs::copy_options::recursive);
    return copy;
  }

  static RunResult prep(const std::string& root, const std::string& output,
                        std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {OCC_BINARY, "prep",    "nuscenes",    "--dataroot",
                                     root,       "--occ3d", root + "/gts", "--lidar-points",
                                     "-o",       output,    "-q"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  }

  // Runs prep on a broken copy and checks: exit code, every expected piece
  // of the message, and no file left at the output path.
  static void expect_failure(const std::string& root, const TempDir& dir, int exit_code,
                             const std::vector<std::string>& message_parts,
                             std::vector<std::string> extra = {}) {
    const std::string output = dir.file("out.h5");
    const RunResult result = prep(root, output, std::move(extra));
    EXPECT_EQ(result.exit_code, exit_code) << result.err;
    EXPECT_EQ(result.err.rfind("occ prep: ", 0), 0u) << result.err;
    for (const auto& part : message_parts) EXPECT_NE(result.err.find(part), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(output));
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      EXPECT_EQ(entry.path().filename().string().find("out.h5"), std::string::npos) << entry.path();
    }
  }

  static std::unique_ptr<TempDir> dir_;
};
std::unique_ptr<TempDir> PrepNuScenes::dir_;

template <typename T>
std::vector<T> rows(const FramesFile& frames, const std::string& path) {
  return h5::read<T>(frames.file(), path).values;
}

double angle_between(double a, double b) {
  return std::abs(std::remainder(a - b, 2 * M_PI));
}

// Velocities as nuscenes-devkit NuScenes.box_velocity computes them from the
// original boxes: the difference of the neighbouring annotations of the
// instance in the world frame (one-sided at the ends of its track; none when
// alone or the gap exceeds 1.5 s, 3 s when centred), rotated into the ego frame.
void expect_devkit_velocities(const FramesFile& original, const FramesFile& back) {
  struct Seen {
    int64_t frame;
    std::array<double, 3> world;
  };
  std::map<std::pair<int32_t, int>, std::vector<Seen>> tracks;  // (scene, instance) -> in time order
  const auto scenes = rows<int32_t>(original, "/frames/scene");
  const auto times = rows<int64_t>(original, "/frames/timestamp_us");
  for (int64_t f = 0; f < original.frame_count(); ++f) {
    const Matrix4 pose = original.world_from_ego(f, 0);
    for (const auto& box : original.boxes(f)) {
      std::array<double, 3> world{};
      for (int r = 0; r < 3; ++r)
        world[r] = pose[r * 4] * box.center[0] + pose[r * 4 + 1] * box.center[1] +
                   pose[r * 4 + 2] * box.center[2] + pose[r * 4 + 3];
      tracks[{scenes[size_t(f)], box.instance}].push_back({f, world});
    }
  }
  const auto velocity = rows<float>(back, "/boxes/velocity");
  const auto offsets = rows<int64_t>(back, "/boxes/offsets");
  int moving = 0;
  for (int64_t f = 0; f < original.frame_count(); ++f) {
    const Matrix4 pose = original.world_from_ego(f, 0);
    const auto boxes = original.boxes(f);
    for (size_t i = 0; i < boxes.size(); ++i) {
      const auto& track = tracks.at({scenes[size_t(f)], boxes[i].instance});
      size_t at = 0;
      while (track[at].frame != f) ++at;
      const bool has_prev = at > 0, has_next = at + 1 < track.size();
      const Seen& first = has_prev ? track[at - 1] : track[at];
      const Seen& last = has_next ? track[at + 1] : track[at];
      const double seconds = 1e-6 * double(times[size_t(last.frame)] - times[size_t(first.frame)]);
      std::array<double, 2> expected{0, 0};
      if ((has_prev || has_next) && seconds <= (has_prev && has_next ? 3.0 : 1.5)) {
        const double wx = (last.world[0] - first.world[0]) / seconds,
                     wy = (last.world[1] - first.world[1]) / seconds;
        expected = {pose[0] * wx + pose[4] * wy, pose[1] * wx + pose[5] * wy};  // R^T: world -> ego
      }
      const size_t row = size_t(offsets[size_t(f)]) + i;
      EXPECT_NEAR(velocity[row * 2], expected[0], 1e-4) << "frame " << f << " box " << i;
      EXPECT_NEAR(velocity[row * 2 + 1], expected[1], 1e-4) << "frame " << f << " box " << i;
      moving += std::hypot(expected[0], expected[1]) > 0.5;
    }
  }
  EXPECT_GT(moving, 5);  // the check saw real motion, not only parked cars
}

TEST_F(PrepNuScenes, RoundTripReproducesEveryFieldOfTheSyntheticWorld) {
  TempDir dir;
  const std::string output = dir.file("back.h5");
  const RunResult result = prep(dataset(), output);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile original(synth_path()), back(output);
  ASSERT_EQ(back.frame_count(), original.frame_count());
  ASSERT_EQ(back.camera_names(), original.camera_names());
  EXPECT_EQ(back.class_names(), original.class_names());
  EXPECT_EQ(back.free_class(), original.free_class());
  EXPECT_EQ(back.grid_shape(), original.grid_shape());
  EXPECT_EQ(back.grid_origin(), original.grid_origin());
  EXPECT_EQ(back.voxel_size(), original.voxel_size());
  EXPECT_EQ(h5::read_strings(back.file(), "/scenes/name"), h5::read_strings(original.file(), "/scenes/name"));
  EXPECT_EQ(h5::read_strings(back.file(), "/frames/token"),
            h5::read_strings(original.file(), "/frames/token"));
  EXPECT_EQ(rows<int32_t>(back, "/frames/scene"), rows<int32_t>(original, "/frames/scene"));
  EXPECT_EQ(rows<int64_t>(back, "/frames/timestamp_us"), rows<int64_t>(original, "/frames/timestamp_us"));
  EXPECT_EQ(rows<uint8_t>(back, "/frames/is_keyframe"), rows<uint8_t>(original, "/frames/is_keyframe"));
  EXPECT_EQ(rows<int32_t>(back, "/frames/prev"), rows<int32_t>(original, "/frames/prev"));
  EXPECT_EQ(rows<int32_t>(back, "/frames/next"), rows<int32_t>(original, "/frames/next"));
  const auto near = [](const auto& a, const auto& b, double tolerance, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tolerance) << what << " [" << i << "]";
  };
  near(rows<double>(back, "/frames/world_from_ego"), rows<double>(original, "/frames/world_from_ego"), 1e-9,
       "world_from_ego");
  near(rows<double>(back, "/lidar/origin"), rows<double>(original, "/lidar/origin"), 1e-12, "lidar origin");
  const auto frame_times = rows<int64_t>(original, "/frames/timestamp_us");
  const auto camera_times = rows<int64_t>(back, "/cameras/timestamp_us");
  for (int64_t f = 0; f < back.frame_count(); ++f) {
    for (int64_t c = 0; c < back.camera_count(); ++c) {
      const std::string where = "frame " + std::to_string(f) + " camera " + std::to_string(c);
      near(back.intrinsics(f, c), original.intrinsics(f, c), 1e-9, "intrinsics " + where);
      // The synthetic rig's rotations are real nuScenes ones stored as float32,
      // orthonormal to ~1e-8 only; a quaternion keeps just the rotation.
      near(back.ego_from_camera(f, c), original.ego_from_camera(f, c), 1e-6, "ego_from_camera " + where);
      near(back.world_from_ego(f, c), original.world_from_ego(f, c), 1e-9, "camera pose " + where);
      EXPECT_EQ(camera_times[size_t(f * back.camera_count() + c)], frame_times[size_t(f)]) << where;
      // By path: the exported JPEG (quality 95, 4:2:0 chroma) of the 32x64 image.
      const cv::Mat a = back.image(f, c), b = original.image(f, c);
      ASSERT_EQ(a.size(), b.size()) << where;
      EXPECT_LT(cv::norm(a, b, cv::NORM_L1) / double(a.total() * 3), 8.0) << where;
    }
    EXPECT_EQ(back.occupancy(f), original.occupancy(f)) << f;
    EXPECT_EQ(back.camera_mask(f), original.camera_mask(f)) << f;
    EXPECT_EQ(h5::read_rows<uint8_t>(back.file(), "/occupancy/mask_lidar", f, 1).values,
              h5::read_rows<uint8_t>(original.file(), "/occupancy/mask_lidar", f, 1).values)
        << f;
    const auto points_back = back.lidar_points(f), points_original = original.lidar_points(f);
    ASSERT_EQ(points_back.size(), points_original.size()) << f;
    ASSERT_GT(points_back.size(), 100u);
    for (size_t p = 0; p < points_back.size(); ++p) {
      for (int k = 0; k < 3; ++k) ASSERT_NEAR(points_back[p][k], points_original[p][k], 1e-4) << f;
      ASSERT_EQ(points_back[p][3], points_original[p][3]);
    }
    const auto boxes_back = back.boxes(f), boxes_original = original.boxes(f);
    ASSERT_EQ(boxes_back.size(), boxes_original.size()) << f;
    std::map<int, int> instance_of;  // original -> back: a bijection
    for (size_t i = 0; i < boxes_back.size(); ++i) {
      const auto &a = boxes_back[i], &b = boxes_original[i];
      for (int k = 0; k < 3; ++k) EXPECT_NEAR(a.center[k], b.center[k], 1e-6) << f;
      EXPECT_EQ(a.size_wlh, b.size_wlh) << f;
      EXPECT_LT(angle_between(a.yaw, b.yaw), 1e-9) << f;
      EXPECT_EQ(a.class_id, b.class_id) << f;
      const auto [it, inserted] = instance_of.emplace(b.instance, a.instance);
      EXPECT_EQ(it->second, a.instance) << "instance " << b.instance << " split in two";
      (void)inserted;
    }
  }
  expect_devkit_velocities(original, back);
  EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", output}).exit_code, 0);
}

TEST_F(PrepNuScenes, SplitAndScenesSelectScenesByName) {
  TempDir dir;
  const auto scenes = h5::read_strings(FramesFile(synth_path()).file(), "/scenes/name");
  const std::string output = dir.file("one.h5");
  const RunResult result = run(
      {OCC_BINARY, "prep", "nuscenes", "--dataroot", dataset(), "--scenes", scenes[1], "-o", output, "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile one(output);
  EXPECT_EQ(h5::read_strings(one.file(), "/scenes/name"), std::vector<std::string>{scenes[1]});
  EXPECT_EQ(one.frame_count(), 3);
  EXPECT_FALSE(one.has("/occupancy/semantics"));  // no --occ3d
  EXPECT_FALSE(one.has("/lidar/points"));         // no --lidar-points
  // Synthetic scene names are in no official split.
  expect_failure(dataset(), dir, 1, {"no scene of split 'val'", "scene.json"}, {"--split", "val"});
  expect_failure(dataset(), dir, 1, {"scene 'scene-9999' is not in"}, {"--scenes", "scene-9999"});
}

TEST_F(PrepNuScenes, UnknownVersionOrSplitIsAUsageError) {
  TempDir dir;
  expect_failure(dataset(), dir, 2, {"unknown nuScenes version 'v2.0'"}, {"--version", "v2.0"});
  expect_failure(dataset(), dir, 2, {"unknown nuScenes split 'everything'"}, {"--split", "everything"});
  expect_failure(dataset(), dir, 2, {"--image-size '9'"}, {"--embed-images", "--image-size", "9"});
}

TEST_F(PrepNuScenes, MissingTableNamesTheFile) {
  TempDir dir;
  const std::string root = copy_dataset(dir);
  fs::remove(root + "/v1.0-trainval/sample.json");
  expect_failure(root, dir, 1, {"cannot open nuScenes table", "v1.0-trainval/sample.json'", "no such file"});
  fs::remove_all(root + "/v1.0-trainval");
  expect_failure(root, dir, 1, {"v1.0-trainval'", "no such folder"});
}

TEST_F(PrepNuScenes, DanglingTokenNamesTableRecordAndToken) {
  TempDir dir;
  const std::string root = copy_dataset(dir);
  const std::string path = root + "/v1.0-trainval/sample_data.json";
  json table = json::parse(std::ifstream(path));
  table[3]["ego_pose_token"] = "no-such-pose";
  const std::string record = table[3]["token"];
  std::ofstream(path, std::ios::trunc) << table.dump();
  expect_failure(root, dir, 1, {"'" + record + "'", "sample_data.json", "ego_pose 'no-such-pose'"});
}

TEST_F(PrepNuScenes, MissingImagesAreListed) {
  TempDir dir;
  const std::string root = copy_dataset(dir);
  std::vector<fs::path> images;
  for (const auto& entry : fs::recursive_directory_iterator(root + "/samples")) {
    if (entry.path().extension() == ".jpg") images.push_back(entry.path());
  }
  ASSERT_GE(images.size(), 7u);
  for (size_t i = 0; i < 7; ++i) fs::remove(images[i]);
  // The first five are named, the rest counted.
  expect_failure(root, dir, 1, {"7 input files are missing: '", "/samples/CAM_", ".jpg', ", ", ..."});
}

TEST_F(PrepNuScenes, BadOcc3dLabelsNameTheFileAndEntry) {
  TempDir dir;
  const std::string root = copy_dataset(dir);
  std::vector<fs::path> labels;
  for (const auto& entry : fs::recursive_directory_iterator(root + "/gts")) {
    if (entry.path().filename() == "labels.npz") labels.push_back(entry.path());
  }
  ASSERT_FALSE(labels.empty());
  const std::string path = labels.front().string();
  const npy::Array wrong = npy::make_uint8({200, 200, 8}, std::vector<uint8_t>(200 * 200 * 8, 17));
  npy::write_npz(path, {{"semantics", wrong}, {"mask_lidar", wrong}, {"mask_camera", wrong}}, true);
  expect_failure(root, dir, 1, {path, "'semantics' has shape (200, 200, 8)"});
  const npy::Array wide = npy::make_float32({200, 200, 16}, std::vector<float>(200 * 200 * 16, 17.f));
  npy::write_npz(path, {{"semantics", wide}, {"mask_lidar", wide}, {"mask_camera", wide}}, true);
  expect_failure(root, dir, 1, {path, "'semantics' has dtype '<f4'"});
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "not a zip at all";
  expect_failure(root, dir, 1, {path, "not an .npz archive"});
}

TEST_F(PrepNuScenes, TruncatedLidarScanNamesTheFile) {
  TempDir dir;
  const std::string root = copy_dataset(dir);
  fs::path scan;
  for (const auto& entry : fs::recursive_directory_iterator(root + "/samples/LIDAR_TOP")) scan = entry.path();
  ASSERT_FALSE(scan.empty());
  fs::resize_file(scan, fs::file_size(scan) - 3);
  expect_failure(root, dir, 1, {scan.string(), "is truncated"});
}

TEST(PrepNuScenesReal, LyftTablesWithoutImagesListTheMissingImages) {
  TempDir dir;
  const std::string output = dir.file("lyft.h5");
  const RunResult result = run({OCC_BINARY, "prep", "nuscenes", "--dataroot",
                                std::string(OCC_FIXTURES_DIR) + "/lyft_nuscenes_schema", "--version",
                                "v1.01-train", "-o", output});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("6 input files are missing"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("images/host-a101_cam0_1240710385850000006.jpeg"), std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(output));
}

std::string kitti_root(const TempDir& dir) {
  return kitti_fixture_root(dir);
}

TEST(PrepKittiTracking, FixtureSequenceGivesThreeLinkedFramesWithCalibrationAndBoxes) {
  TempDir dir;
  const std::string root = kitti_root(dir), output = dir.file("kitti.h5");
  const RunResult result = run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "-o", output, "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile frames(output);
  ASSERT_EQ(frames.frame_count(), 3);
  EXPECT_EQ(h5::read_string_attribute(frames.file(), "/", "dataset"), "kitti-mot");
  EXPECT_EQ(h5::read_strings(frames.file(), "/frames/token"),
            (std::vector<std::string>{"0001/000010", "0001/000015", "0001/000020"}));
  EXPECT_EQ(rows<int32_t>(frames, "/frames/prev"), (std::vector<int32_t>{-1, 0, 1}));
  EXPECT_EQ(rows<int32_t>(frames, "/frames/next"), (std::vector<int32_t>{1, 2, -1}));
  EXPECT_EQ(rows<int64_t>(frames, "/frames/timestamp_us"), (std::vector<int64_t>{1000000, 1500000, 2000000}));
  EXPECT_EQ(frames.image(1, 0).cols, 1242);
  EXPECT_EQ(frames.image(1, 0).rows, 375);
  // 5 oxts lines of 1e-5 degrees north and east between rows: Mercator
  // metres, east scaled by cos(latitude), in the frame of oxts line 0.
  const Matrix4 a = frames.world_from_ego(0, 0), b = frames.world_from_ego(1, 0);
  const double degree = M_PI / 180 * 6378137.0;
  EXPECT_NEAR(std::hypot(b[3] - a[3], b[7] - a[7]),
              5e-5 * degree * std::hypot(std::cos(49.0 * M_PI / 180), 1.0), 0.01);
  EXPECT_EQ(rows<int64_t>(frames, "/boxes/offsets"), (std::vector<int64_t>{0, 9, 19, 28}));
  // Every untruncated box centre projects into the image within its labelled 2D box.
  std::ifstream labels(std::string(OCC_FIXTURES_DIR) + "/kitti_tracking/training/label_02/0001.txt");
  std::map<std::pair<int, int>, std::array<double, 4>> box2d;  // (frame, track) -> x1 y1 x2 y2
  std::map<std::pair<int, int>, double> truncated;
  std::string line;
  while (std::getline(labels, line)) {
    std::istringstream fields(line);
    int frame = 0, track = 0;
    std::string type;
    double truncation = 0, skip = 0;
    std::array<double, 4> box{};
    fields >> frame >> track >> type >> truncation >> skip >> skip >> box[0] >> box[1] >> box[2] >> box[3];
    box2d[{frame, track}] = box;
    truncated[{frame, track}] = truncation;
  }
  int inside = 0, total = 0;
  for (int64_t f = 0; f < 3; ++f) {
    const Matrix3 k = frames.intrinsics(f, 0);
    const Matrix4 e = frames.ego_from_camera(f, 0);
    for (const auto& box : frames.boxes(f)) {
      double camera[3];
      for (int r = 0; r < 3; ++r) {
        camera[r] = 0;
        for (int i = 0; i < 3; ++i)
          camera[r] += e[size_t(i * 4 + r)] * (box.center[i] - e[size_t(i * 4 + 3)]);
      }
      const double u = k[0] * camera[0] / camera[2] + k[2], v = k[4] * camera[1] / camera[2] + k[5];
      const auto& labelled = box2d.at({int(10 + 5 * f), box.instance});
      ++total;
      EXPECT_EQ(box.class_id, 1);                                       // Car and Van are SemanticKITTI cars
      if (truncated.at({int(10 + 5 * f), box.instance}) > 0) continue;  // cut by the image border
      EXPECT_TRUE(u >= labelled[0] - 5 && u <= labelled[2] + 5 && v >= labelled[1] - 5 &&
                  v <= labelled[3] + 5)
          << "track " << box.instance << " of row " << f << " projects to " << u << ", " << v;
      ++inside;
    }
  }
  EXPECT_EQ(total, 28);
  EXPECT_EQ(inside, 24);  // every box not marked truncated
  EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", output}).exit_code, 0);
}

// Pixel coordinates of an ego-frame point through a camera's stored matrices.
std::array<double, 2> project(const Matrix3& k, const Matrix4& ego_from_camera,
                              const std::array<double, 3>& p) {
  double camera[3];
  for (int r = 0; r < 3; ++r) {
    camera[r] = 0;
    for (int i = 0; i < 3; ++i)
      camera[r] += ego_from_camera[size_t(i * 4 + r)] * (p[size_t(i)] - ego_from_camera[size_t(i * 4 + 3)]);
  }
  return {(k[0] * camera[0] + k[1] * camera[1]) / camera[2] + k[2], k[4] * camera[1] / camera[2] + k[5]};
}

// The image a reader embeds: the file resized with area interpolation, RGB.
cv::Mat area_resized_rgb(const std::string& path, int height, int width) {
  cv::Mat resized, rgb;
  cv::resize(cv::imread(path, cv::IMREAD_COLOR), resized, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

TEST(PrepKittiTracking, EmbeddedImagesAreTheAreaResizedFilesWithScaledIntrinsics) {
  TempDir dir;
  const std::string root = kitti_root(dir), paths = dir.file("paths.h5"), embedded = dir.file("embedded.h5");
  ASSERT_EQ(run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "-o", paths, "-q"}).exit_code, 0);
  const RunResult result = run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "--embed-images",
                                "--image-size", "75x248", "-o", embedded, "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile by_path(paths), file(embedded);
  EXPECT_FALSE(file.has("/cameras/image_path"));
  EXPECT_EQ(h5::read_int_list_attribute(file.file(), "/", "image_size"), (std::vector<int64_t>{75, 248}));
  const double sx = 248.0 / 1242, sy = 75.0 / 375;  // the fixture's images are 1242x375
  int projected = 0;
  for (int64_t f = 0; f < 3; ++f) {
    const std::string png = root + "/image_02/0001/" +
                            (f == 0   ? "000010"
                             : f == 1 ? "000015"
                                      : "000020") +
                            ".png";
    EXPECT_EQ(cv::norm(file.image(f, 0), area_resized_rgb(png, 75, 248), cv::NORM_INF), 0) << f;
    const Matrix3 k = file.intrinsics(f, 0), original = by_path.intrinsics(f, 0);
    EXPECT_NEAR(k[0], original[0] * sx, 1e-9);
    EXPECT_NEAR(k[2], original[2] * sx, 1e-9);
    EXPECT_NEAR(k[4], original[4] * sy, 1e-9);
    EXPECT_NEAR(k[5], original[5] * sy, 1e-9);
    EXPECT_EQ(k[8], 1.0);
    // Every box centre lands where it did, scaled with the image.
    for (const auto& box : file.boxes(f)) {
      const auto small = project(k, file.ego_from_camera(f, 0), box.center);
      const auto full = project(original, by_path.ego_from_camera(f, 0), box.center);
      EXPECT_NEAR(small[0], full[0] * sx, 1e-6);
      EXPECT_NEAR(small[1], full[1] * sy, 1e-6);
      ++projected;
    }
  }
  EXPECT_EQ(projected, 28);
  EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", embedded}).exit_code, 0);
  const RunResult bad = run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "--embed-images",
                             "--image-size", "75", "-o", dir.file("bad.h5")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--image-size '75' is not HEIGHTxWIDTH"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir.file("bad.h5")));
}

TEST(PrepKittiTracking, MissingOxtsOrSequenceNamesThePath) {
  TempDir dir;
  const std::string root = kitti_root(dir), output = dir.file("kitti.h5");
  fs::remove(root + "/oxts/0001.txt");
  RunResult result = run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "-o", output});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("cannot open KITTI oxts '" + root + "/oxts/0001.txt': no such file"),
            std::string::npos)
      << result.err;
  result = run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "--sequences", "0007", "-o", output});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("image_02/0007'"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(output));
}

// Writes a synthetic KITTI-rig world as SemanticKITTI sequence 00: rows
// become scans 0, 5, ... (voxels every 5th scan, as the benchmark has them),
// with calib.txt (P2 = [K | 0], Tr = camera_from_ego), poses.txt (cam0 of
// scan i -> cam0 of scan 0), times.txt, PNG images and voxel files (.label
// through learning_map_inv, .bin and .invalid bit-packed).
void write_semantickitti(const FramesFile& frames, const std::string& root) {
  const std::string folder = root + "/sequences/00";
  fs::create_directories(folder + "/voxels");
  fs::create_directories(folder + "/image_2");
  const Matrix3 k = frames.intrinsics(0, 0);
  const Matrix4 camera_from_ego = geom::rigid_inverse(frames.ego_from_camera(0, 0));
  std::ofstream calib(folder + "/calib.txt");
  calib.precision(17);
  calib << "P2: " << k[0] << " " << k[1] << " " << k[2] << " 0 " << k[3] << " " << k[4] << " " << k[5]
        << " 0 " << k[6] << " " << k[7] << " " << k[8] << " 0\nTr:";
  for (int i = 0; i < 12; ++i) calib << " " << camera_from_ego[size_t(i)];
  calib << "\n";
  std::ofstream poses(folder + "/poses.txt"), times(folder + "/times.txt");
  poses.precision(17);
  times.precision(17);
  const Matrix4 ego0_from_world = geom::rigid_inverse(frames.world_from_ego(0, 0));
  const auto timestamps = rows<int64_t>(frames, "/frames/timestamp_us");
  const auto& inverse_map = exporting::semantickitti_learning_map_inv();
  for (int64_t scan = 0; scan <= 5 * (frames.frame_count() - 1); ++scan) {
    const int64_t row = scan / 5;  // scans between voxel scans repeat the last row's pose
    const Matrix4 pose = geom::multiply(
        geom::multiply(camera_from_ego, geom::multiply(ego0_from_world, frames.world_from_ego(row, 0))),
        geom::rigid_inverse(camera_from_ego));
    for (int i = 0; i < 12; ++i) poses << (i ? " " : "") << pose[size_t(i)];
    poses << "\n";
    times << double(timestamps[size_t(row)]) * 1e-6 << "\n";
    if (scan % 5 != 0) continue;
    char name[24];
    std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(scan));
    cv::Mat bgr;
    cv::cvtColor(frames.image(row, 0), bgr, cv::COLOR_RGB2BGR);
    ASSERT_TRUE(cv::imwrite(folder + "/image_2/" + name + ".png", bgr));
    const auto semantics = frames.occupancy(row);
    const auto lidar = h5::read_rows<uint8_t>(frames.file(), "/occupancy/mask_lidar", row, 1).values;
    std::vector<uint16_t> labels(semantics.size());
    std::vector<uint8_t> occupied(semantics.size()), invalid(semantics.size());
    for (size_t v = 0; v < semantics.size(); ++v) {
      labels[v] = inverse_map.at(semantics[v]);
      occupied[v] = semantics[v] != 0;
      invalid[v] = lidar[v] ? 0 : 1;
    }
    const std::string base = folder + "/voxels/" + name;
    std::ofstream(base + ".label", std::ios::binary)
        .write(reinterpret_cast<const char*>(labels.data()), std::streamsize(labels.size() * 2));
    const auto bin = exporting::pack_bits(occupied), invalid_bits = exporting::pack_bits(invalid);
    std::ofstream(base + ".bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(bin.data()), std::streamsize(bin.size()));
    std::ofstream(base + ".invalid", std::ios::binary)
        .write(reinterpret_cast<const char*>(invalid_bits.data()), std::streamsize(invalid_bits.size()));
  }
}

// A Velodyne scan file: float32 x, y, z, reflectance per point.
void write_scan(const std::string& path, const std::vector<float>& values) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 4));
}

std::vector<float> file_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<float> values(static_cast<size_t>(in.tellg()) / 4);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(values.size() * 4));
  return values;
}

TEST(PrepKittiTracking, VelodyneScansBecomeLidarPointsInTheEgoFrame) {
  TempDir dir;
  const std::string root = kitti_root(dir), output = dir.file("kitti.h5");
  // A real scan (the SemanticKITTI fixture's, 50 points) for frame 10, three
  // hand-made points for frame 15; frame 20's scan is missing at first.
  const std::string real = std::string(OCC_FIXTURES_DIR) + "/semantickitti/sequences/00/velodyne/000000.bin";
  const std::vector<float> first = file_floats(real);
  ASSERT_EQ(first.size(), 200u);
  const std::vector<float> second{1, 2, 3, 0.5f, -4, 5, -6, 0.25f, 7.5f, 0, 0.1f, 1};
  write_scan(root + "/velodyne/0001/000010.bin", first);
  write_scan(root + "/velodyne/0001/000015.bin", second);
  const RunResult missing = run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "-o", output, "-q"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("velodyne/0001/000020.bin"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(output));

  write_scan(root + "/velodyne/0001/000020.bin", {});  // a scan without returns
  const RunResult made = run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "-o", output, "-q"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const FramesFile frames(output);
  EXPECT_EQ(rows<int64_t>(frames, "/lidar/offsets"), (std::vector<int64_t>{0, 50, 53, 53}));
  std::vector<float> expected = first;
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(rows<float>(frames, "/lidar/points"), expected);

  // A truncated scan names its file; --no-lidar leaves points out.
  write_scan(root + "/velodyne/0001/000015.bin", {1, 2, 3});
  const RunResult truncated =
      run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "-o", dir.file("t.h5"), "-q"});
  EXPECT_EQ(truncated.exit_code, 1);
  EXPECT_NE(truncated.err.find("000015.bin"), std::string::npos) << truncated.err;
  EXPECT_FALSE(fs::exists(dir.file("t.h5")));
  const std::string bare = dir.file("bare.h5");
  ASSERT_EQ(
      run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "-o", bare, "--no-lidar", "-q"}).exit_code,
      0);
  EXPECT_FALSE(FramesFile(bare).has("/lidar/points"));
}

TEST(PrepSemanticKitti, VelodyneScansBecomeLidarPoints) {
  TempDir dir;
  const std::string synth = dir.file("synth.h5"), output = dir.file("back.h5");
  ASSERT_EQ(run({OCC_BINARY, "prep", "synth", "-o", synth, "--rig", "kitti", "--scenes", "1",
                 "--frames-per-scene", "2", "--image-size", "16x32", "--seed", "9", "-q"})
                .exit_code,
            0);
  write_semantickitti(FramesFile(synth), dir.file("kitti"));
  const std::string scans = dir.file("kitti") + "/sequences/00/velodyne/";
  write_scan(scans + "000000.bin", {1, 2, 3, 0.5f});
  write_scan(scans + "000005.bin", {4, 5, 6, 0.25f, 7, 8, 9, 1});
  const RunResult result = run({OCC_BINARY, "prep", "semantickitti", "--dataroot", dir.file("kitti"),
                                "--sequences", "00", "-o", output, "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile back(output);
  EXPECT_EQ(rows<int64_t>(back, "/lidar/offsets"), (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(rows<float>(back, "/lidar/points"),
            (std::vector<float>{1, 2, 3, 0.5f, 4, 5, 6, 0.25f, 7, 8, 9, 1}));
}

TEST(PrepSemanticKitti, RoundTripThroughVoxelFilesReproducesTheSyntheticWorld) {
  TempDir dir;
  const std::string synth = dir.file("synth.h5"), output = dir.file("back.h5");
  const RunResult made =
      run({OCC_BINARY, "prep", "synth", "-o", synth, "--rig", "kitti", "--scenes", "1", "--frames-per-scene",
           "2", "--image-size", "16x32", "--seed", "9", "-q", "-j", "2"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const FramesFile original(synth);
  write_semantickitti(original, dir.file("kitti"));
  const RunResult result = run({OCC_BINARY, "prep", "semantickitti", "--dataroot", dir.file("kitti"),
                                "--sequences", "00", "-o", output, "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const FramesFile back(output);
  ASSERT_EQ(back.frame_count(), 2);
  EXPECT_EQ(h5::read_strings(back.file(), "/frames/token"),
            (std::vector<std::string>{"00/000000", "00/000005"}));
  EXPECT_EQ(rows<int32_t>(back, "/frames/prev"), (std::vector<int32_t>{-1, 0}));
  EXPECT_EQ(rows<int64_t>(back, "/frames/timestamp_us"), rows<int64_t>(original, "/frames/timestamp_us"));
  EXPECT_EQ(back.class_names(), original.class_names());
  EXPECT_EQ(back.grid_shape(), original.grid_shape());
  EXPECT_EQ(back.grid_origin(), original.grid_origin());
  EXPECT_FALSE(back.has("/occupancy/mask_camera"));
  const Matrix4 ego0_from_world = geom::rigid_inverse(original.world_from_ego(0, 0));
  for (int64_t f = 0; f < 2; ++f) {
    EXPECT_EQ(back.occupancy(f), original.occupancy(f)) << f;
    EXPECT_EQ(h5::read_rows<uint8_t>(back.file(), "/occupancy/mask_lidar", f, 1).values,
              h5::read_rows<uint8_t>(original.file(), "/occupancy/mask_lidar", f, 1).values)
        << f;
    // SemanticKITTI's world is the first scan's Velodyne frame. The synthetic
    // rig's rotations are float32-born (orthonormal to ~1e-8), and the reader
    // inverts Tr exactly where this test transposes: hence 1e-6.
    const Matrix4 expected = geom::multiply(ego0_from_world, original.world_from_ego(f, 0));
    const Matrix4 got = back.world_from_ego(f, 0);
    for (size_t i = 0; i < 16; ++i) EXPECT_NEAR(got[i], expected[i], 1e-6) << f;
    const Matrix3 ka = back.intrinsics(f, 0), kb = original.intrinsics(f, 0);
    for (size_t i = 0; i < 9; ++i) EXPECT_NEAR(ka[i], kb[i], 1e-9);
    const Matrix4 ea = back.ego_from_camera(f, 0), eb = original.ego_from_camera(f, 0);
    for (size_t i = 0; i < 16; ++i) EXPECT_NEAR(ea[i], eb[i], 1e-6);
    EXPECT_EQ(cv::norm(back.image(f, 0), original.image(f, 0), cv::NORM_INF), 0);  // PNG is lossless
  }
  size_t ignored = 0;
  for (const uint8_t c : back.occupancy(0)) ignored += c == 255;
  EXPECT_EQ(ignored, 0u);  // synthetic classes all map back
  EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", output}).exit_code, 0);

  // Embedded at half size: the area-resized PNG, intrinsics halved.
  const std::string embedded = dir.file("embedded.h5");
  const RunResult embed = run({OCC_BINARY, "prep", "semantickitti", "--dataroot", dir.file("kitti"),
                               "--embed-images", "--image-size", "8x16", "-o", embedded, "-q"});
  ASSERT_EQ(embed.exit_code, 0) << embed.err;
  const FramesFile small(embedded);
  for (int64_t f = 0; f < 2; ++f) {
    const std::string png =
        dir.file("kitti") + "/sequences/00/image_2/" + (f == 0 ? "000000" : "000005") + ".png";
    EXPECT_EQ(cv::norm(small.image(f, 0), area_resized_rgb(png, 8, 16), cv::NORM_INF), 0) << f;
    const Matrix3 ka = small.intrinsics(f, 0), kb = back.intrinsics(f, 0);
    for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(ka[i], kb[i] / 2, 1e-9) << i;
  }
  EXPECT_EQ(small.occupancy(1), back.occupancy(1));
  // An image that does not decode is an error naming it, only when embedding.
  const std::string png = dir.file("kitti") + "/sequences/00/image_2/000005.png";
  std::ofstream(png, std::ios::binary | std::ios::trunc) << "not a png";
  const RunResult undecodable = run({OCC_BINARY, "prep", "semantickitti", "--dataroot", dir.file("kitti"),
                                     "--embed-images", "--image-size", "8x16", "-o", output + ".3"});
  EXPECT_EQ(undecodable.exit_code, 1);
  EXPECT_NE(undecodable.err.find("cannot decode image '" + png + "'"), std::string::npos) << undecodable.err;
  EXPECT_FALSE(fs::exists(output + ".3"));

  // A truncated .bin and a missing image are errors naming the file.
  fs::resize_file(dir.file("kitti") + "/sequences/00/voxels/000005.bin", 262000);
  RunResult bad =
      run({OCC_BINARY, "prep", "semantickitti", "--dataroot", dir.file("kitti"), "-o", output + ".2"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("000005.bin' has 262000 bytes, not 262144 (truncated)"), std::string::npos)
      << bad.err;
  fs::remove(dir.file("kitti") + "/sequences/00/image_2/000005.png");
  bad = run({OCC_BINARY, "prep", "semantickitti", "--dataroot", dir.file("kitti"), "-o", output + ".2"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("1 input file is missing: '"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("image_2/000005.png'"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(output + ".2"));
}

std::vector<char> dataset_bytes(const h5::File& file, const std::string& path) {
  const auto info = h5::dataset_info(file, path);
  std::vector<char> bytes;
  if (info.dtype == h5::DType::string) {
    for (const auto& text : h5::read_strings(file, path))
      bytes.insert(bytes.end(), text.begin(), text.end() + 1);
    return bytes;
  }
  bytes.resize(size_t(h5::element_count(info.shape)) * h5::dtype_size(info.dtype));
  if (!info.shape.empty() && info.shape[0] > 0)
    h5::read_rows_raw(file, path, 0, info.shape[0], info.dtype, bytes.data());
  return bytes;
}

TEST_F(PrepNuScenes, ShardsMergeIntoTheWholeAndOtherGridsAreRefused) {
  TempDir dir;
  const std::string whole = dir.file("whole.h5"), merged = dir.file("merged.h5");
  ASSERT_EQ(prep(dataset(), whole).exit_code, 0);
  for (const char* shard : {"0/2", "1/2"}) {
    const RunResult part =
        prep(dataset(), dir.file(std::string("part") + shard[0] + ".h5"), {"--shard", shard});
    ASSERT_EQ(part.exit_code, 0) << part.err;
  }
  EXPECT_EQ(FramesFile(dir.file("part0.h5")).frame_count(), 3);  // one scene each
  const RunResult merge =
      run({OCC_BINARY, "prep", "merge", dir.file("part0.h5"), dir.file("part1.h5"), "-o", merged, "-q"});
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  const FramesFile a(whole), b(merged);
  ASSERT_EQ(a.file().dataset_paths(), b.file().dataset_paths());
  for (const auto& path : a.file().dataset_paths()) {
    EXPECT_EQ(dataset_bytes(a.file(), path), dataset_bytes(b.file(), path)) << path;
  }
  EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", merged}).exit_code, 0);

  // A KITTI tracking file has the SemanticKITTI grid.
  const std::string kitti = dir.file("kitti.h5");
  ASSERT_EQ(
      run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", kitti_root(dir), "-o", kitti, "-q"}).exit_code, 0);
  const RunResult refused =
      run({OCC_BINARY, "prep", "merge", dir.file("part0.h5"), kitti, "-o", dir.file("bad.h5")});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("cannot merge '" + kitti + "': its grid_shape is [256, 256, 32]"),
            std::string::npos)
      << refused.err;
  EXPECT_FALSE(fs::exists(dir.file("bad.h5")));
  EXPECT_EQ(prep(dataset(), dir.file("bad.h5"), {"--shard", "2/2"}).exit_code, 2);
}

}  // namespace
}  // namespace occ::test

// occ prep on the real fixtures against values computed outside occ (issue
// 21, item 5): the round trips of tests/cli/prep_real_test.cpp check prep
// against occ's own exporter; these check it against numbers taken straight
// from the raw fixture files by hand (numpy, 2026-12-03):
//   nuScenes (the Lyft tables in nuScenes schema): R from each record's
//   (w, x, y, z) quaternion, R = [[1-2(y²+z²), 2(xy-wz), 2(xz+wy)], ...]
//   (pyquaternion's rotation_matrix), t its translation; a box's centre and
//   yaw in the ego frame from inverse(world_from_ego of LIDAR_TOP).
//   SemanticKITTI sequence 08: world_from_ego = Tr⁻¹ · poses[f] · Tr (poses
//   are camera-0 poses, the ego is the Velodyne), K = P2[:, :3],
//   ego_from_camera = (T2 · Tr)⁻¹ with T2 = [I | K⁻¹ P2[:, 3]], times in s.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include <nlohmann/json.hpp>

#include "datasets/nuscenes_prep.h"
#include "datasets/semantickitti_prep.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/temp_dir.h"

namespace occ::datasets {
namespace {

namespace fs = std::filesystem;
const std::string kFixtures = OCC_FIXTURES_DIR;

std::vector<double> rows(const std::string& path, const std::string& dataset, int64_t row) {
  return h5::read_rows<double>(h5::File::open(path), dataset, row, 1).values;
}

// The first 12 values (3 rows) of a 4x4 matrix stored at `values[offset]`.
void expect_matrix(const std::vector<double>& values, size_t offset, const std::vector<double>& expected,
                   double tolerance, const std::string& what) {
  ASSERT_GE(values.size(), offset + 16) << what;
  for (size_t i = 0; i < 12; ++i)
    EXPECT_NEAR(values[offset + i], expected[i], tolerance) << what << " [" << i << "]";
  EXPECT_EQ(values[offset + 12], 0) << what;
  EXPECT_EQ(values[offset + 15], 1) << what;
}

TEST(PrepKnownValues, NuScenesTablesOfTheLyftFixture) {
  test::TempDir dir;
  const std::string root = dir.file("lyft");
  fs::copy(kFixtures + "/lyft_nuscenes_schema", root, fs::copy_options::recursive);
  // The fixture has no images: blank ones at the paths the tables name (only
  // their existence matters for path-mode frames files).
  std::ifstream in(root + "/v1.01-train/sample_data.json");
  for (const auto& record : nlohmann::json::parse(in)) {
    const std::string name = record.at("filename");
    if (name.rfind("images/", 0) != 0) continue;
    fs::create_directories(fs::path(root + "/" + name).parent_path());
    ASSERT_TRUE(cv::imwrite(root + "/" + name, cv::Mat(1024, 1224, CV_8UC3, cv::Scalar::all(100))));
  }
  NuScenesPrepOptions options;
  options.dataroot = root;
  options.version = "v1.01-train";
  options.output = dir.file("lyft.h5");
  ASSERT_EQ(prep_nuscenes(options).frames, 1);
  const std::string out = options.output;

  EXPECT_EQ(h5::read<int64_t>(h5::File::open(out), "/frames/timestamp_us").values,
            std::vector<int64_t>{1556675185903083});  // 1556675185903083.2 in sample.json
  expect_matrix(rows(out, "/frames/world_from_ego", 0), 0,
                {0.9138628854528326, 0.40594417618460066, -0.007997025298752855, 458.4931161174909,
                 -0.4058293313312037, 0.9126417576260655, -0.04886282910837385, 2679.379158520722,
                 -0.012537161684013831, 0.04789935342999878, 0.9987734835876937, -18.635968896149546},
                1e-9, "world_from_ego (LIDAR_TOP's ego pose)");

  const std::vector<std::string> cameras =
      h5::read_string_list_attribute(h5::File::open(out), "/", "camera_names");
  ASSERT_EQ(cameras, (std::vector<std::string>{"CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_FRONT_LEFT", "CAM_BACK",
                                               "CAM_BACK_LEFT", "CAM_BACK_RIGHT"}));
  EXPECT_EQ(h5::read<int64_t>(h5::File::open(out), "/cameras/timestamp_us").values,
            (std::vector<int64_t>{1556675185850000, 1556675185866660, 1556675185833330, 1556675185800000,
                                  1556675185816660, 1556675185883330}));
  const std::vector<double> ego_from_camera = rows(out, "/cameras/ego_from_camera", 0);
  const std::vector<double> camera_world_from_ego = rows(out, "/cameras/world_from_ego", 0);
  expect_matrix(ego_from_camera, 0,
                {0.0067594262712961095, 0.025335825365299602, 0.9996561439362748, 1.5039405282244198,
                 -0.9999683364602721, 0.004369557390585754, 0.006650792816400852, -0.02676183592864872,
                 -0.004199551566444137, -0.999669446827935, 0.02536455884440636, 1.6584901808053665},
                1e-9, "CAM_FRONT ego_from_camera");
  expect_matrix(ego_from_camera, 5 * 16,
                {-0.867979111956416, 0.025610218410324764, -0.4959398934551721, 1.0367992983909404,
                 0.49606731609486254, -0.0015596736736078753, -0.868282664413192, -0.32137458078567294,
                 -0.023010413073034447, -0.9996707878751923, -0.011350628141253427, 1.66925674671824},
                1e-9, "CAM_BACK_RIGHT ego_from_camera");
  expect_matrix(camera_world_from_ego, 0,
                {0.9106706347222463, 0.41303059133771136, -0.009204655007194662, 457.9072504092915,
                 -0.4129747750212952, 0.909478716196156, -0.047961442662858095, 2679.6595568787397,
                 -0.011438105205478095, 0.04747836776272446, 0.9988067752793309, -18.628687376575407},
                1e-9, "CAM_FRONT's own ego pose");
  expect_matrix(camera_world_from_ego, 5 * 16,
                {0.9126720633661919, 0.4086051974266873, -0.00845561273923111, 458.2746593704452,
                 -0.4085123936581109, 0.9114597293459356, -0.04856733478743357, 2679.4830428560676,
                 -0.012137914920553676, 0.04778027225259294, 0.9987841191192667, -18.633185234855464},
                1e-9, "CAM_BACK_RIGHT's own ego pose");
  // fx = fy, cx, cy of each camera_intrinsic, in camera order.
  const double intrinsics[6][3] = {
      {1109.05239567, 957.849065461, 539.672710373}, {1108.78210897, 956.879957389, 536.673966234},
      {1110.7747894, 957.955987134, 537.005069228},  {1112.8384901, 958.488205774, 539.540735426},
      {1110.19631475, 956.342542632, 538.552500203}, {1110.47829059, 958.905559894, 536.375069254}};
  const std::vector<double> k = rows(out, "/cameras/intrinsics", 0);
  for (size_t c = 0; c < 6; ++c) {
    EXPECT_DOUBLE_EQ(k[c * 9 + 0], intrinsics[c][0]) << cameras[c];
    EXPECT_DOUBLE_EQ(k[c * 9 + 4], intrinsics[c][0]) << cameras[c];
    EXPECT_DOUBLE_EQ(k[c * 9 + 2], intrinsics[c][1]) << cameras[c];
    EXPECT_DOUBLE_EQ(k[c * 9 + 5], intrinsics[c][2]) << cameras[c];
  }
  // The LiDAR origin is LIDAR_TOP's mounting position in the ego frame.
  const std::vector<double> origin = rows(out, "/lidar/origin", 0);
  EXPECT_NEAR(origin[0], 1.1970962545449502, 1e-12);
  EXPECT_NEAR(origin[1], 3.680498291456359e-05, 1e-12);
  EXPECT_NEAR(origin[2], 1.8279670539933053, 1e-12);

  // The four annotations, in sample_annotation.json order, in the ego frame.
  const h5::File file = h5::File::open(out);
  const std::vector<double> centre = h5::read<double>(file, "/boxes/center").values;
  const std::vector<float> size = h5::read<float>(file, "/boxes/size_wlh").values;
  const std::vector<double> yaw = h5::read<double>(file, "/boxes/yaw").values;
  const double expected_centre[4][3] = {{-36.0899562235075, 8.831722762424846, 0.6142791768101787},
                                        {-63.20789999963603, 28.748226076474538, -0.6854585260351023},
                                        {56.953767769369904, 7.200873193455209, 0.5293014114278449},
                                        {-47.46751019573122, 15.400197483294846, 0.2073412817601259}};
  const float expected_size[4][3] = {
      {2.046f, 4.495f, 1.849f}, {2.232f, 4.495f, 1.491f}, {2.086f, 4.502f, 1.862f}, {2.046f, 4.495f, 1.787f}};
  const double expected_yaw[4] = {-0.4453640345293812, -0.8469009719353019, 0.14181442184842552,
                                  -0.5430941282473076};
  ASSERT_EQ(centre.size(), 12u);
  for (size_t b = 0; b < 4; ++b) {
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_NEAR(centre[b * 3 + i], expected_centre[b][i], 1e-6) << "box " << b;
      EXPECT_FLOAT_EQ(size[b * 3 + i], expected_size[b][i]) << "box " << b;
    }
    EXPECT_NEAR(yaw[b], expected_yaw[b], 1e-9) << "box " << b;
  }
}

TEST(PrepKnownValues, SemanticKittiSequence08) {
  test::TempDir dir;
  const std::string sequence = dir.file("kitti") + "/sequences/08";
  fs::create_directories(sequence + "/voxels");
  fs::create_directories(sequence + "/image_2");
  for (const char* name : {"calib.txt", "poses.txt", "times.txt"})
    fs::copy_file(kFixtures + "/semantickitti/sequences/08/" + name, sequence + "/" + name);
  // Scans 0 and 100: empty voxel grids (no labels) and blank images; the
  // geometry comes from the fixture's text files.
  for (const char* frame : {"000000", "000100"}) {
    std::ofstream(sequence + "/voxels/" + frame + ".bin", std::ios::binary)
        << std::string(256 * 256 * 32 / 8, '\0');
    ASSERT_TRUE(cv::imwrite(sequence + "/image_2/" + frame + ".png",
                            cv::Mat(370, 1226, CV_8UC3, cv::Scalar::all(50))));
  }
  SemanticKittiPrepOptions options;
  options.dataroot = dir.file("kitti");
  options.output = dir.file("kitti.h5");
  ASSERT_EQ(prep_semantickitti(options).frames, 2);
  const std::string out = options.output;

  // times.txt rows 0 and 100: 0.000000e+00 and 1.039486e+01 s.
  EXPECT_EQ(h5::read<int64_t>(h5::File::open(out), "/frames/timestamp_us").values,
            (std::vector<int64_t>{0, 10394860}));
  // Scan 0's pose is the identity (to the ~1e-11 of poses.txt's printed
  // digits): the world is scan 0's Velodyne frame.
  expect_matrix(rows(out, "/frames/world_from_ego", 0), 0, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}, 1e-8,
                "scan 0");
  expect_matrix(rows(out, "/frames/world_from_ego", 1), 0,
                {-0.035119154990622056, -0.9993342744428946, -0.009852357964184363, 21.785837492901315,
                 0.9981080056085504, -0.035570573532314756, 0.050162659663383416, 28.38431866519587,
                 -0.050479711233988575, -0.008072050250255078, 0.9986923285229368, -0.5344800090468859},
                1e-9, "scan 100");
  const std::vector<double> k = rows(out, "/cameras/intrinsics", 0);
  const std::vector<double> expected_k = {707.0912, 0.0, 601.8873, 0.0, 707.0912, 183.1104, 0.0, 0.0, 1.0};
  ASSERT_EQ(k.size(), 9u);
  for (size_t i = 0; i < 9; ++i) EXPECT_DOUBLE_EQ(k[i], expected_k[i]) << i;
  expect_matrix(rows(out, "/cameras/ego_from_camera", 0), 0,
                {-0.001857738621323802, -0.006481465496303557, 0.9999772290633026, 0.32740570620687076,
                 -0.9999659551005841, 0.008051860473360078, -0.0018055292479645197, 0.05625519042175231,
                 -0.008039974425865529, -0.9999465471170486, -0.006496202950081846, -0.07648721010425703},
                1e-9, "ego_from_camera (camera 2)");
}

}  // namespace
}  // namespace occ::datasets

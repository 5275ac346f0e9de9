#include "datasets/synth/rig.h"

#include "core/error.h"

namespace occ::synth {
namespace {

using geom::PinholeCamera;
using geom::Rigid;

struct CameraCalibration {
  const char* name;
  double fx, fy, cx, cy;
  double ego_from_camera[12];  // 3x4 row-major
};

// cam2img and cam2ego of the first sample of
// ../shared/fixtures/nuscenes_mmdet3d/nus_info.converted.json (a JSON copy of
// mmdetection3d v1.4.0 tests/data/nuscenes/nus_info.pkl, real v1.0-trainval
// calibration at 1600 x 900). Order: mmdetection3d's camera order.
constexpr CameraCalibration kNuscenesCameras[] = {
    {"CAM_FRONT",
     1266.417203046554,
     1266.417203046554,
     816.2670197447984,
     491.50706579294757,
     {0.005684778559952974, -0.005636667832732201, 0.9999679327011108, 1.7007912397384644,
      -0.9999834895133972, -0.0008371152798645198, 0.0056801484897732735, 0.01594563201069832,
      0.000805071322247386, -0.9999837875366211, -0.005641333758831024, 1.5109575986862183}},
    {"CAM_FRONT_RIGHT",
     1260.8474446004698,
     1260.8474446004698,
     807.968244525554,
     495.3344268742088,
     {-0.8329295516014099, -9.94603760773316e-06, 0.5533789992332458, 1.5508477687835693, -0.55330491065979,
      0.016378816217184067, -0.8328177332878113, -0.4934048056602478, -0.009055409580469131,
      -0.9998658299446106, -0.013647902756929398, 1.4957480430603027}},
    {"CAM_FRONT_LEFT",
     1272.5979470598488,
     1272.5979470598488,
     826.6154927353808,
     479.75165386361925,
     {0.8207583427429199, -0.00034143668017350137, 0.5712754130363464, 1.5238779783248901,
      -0.5712715983390808, 0.0032195018138736486, 0.8207547664642334, 0.4946313500404358,
      -0.002119458047673106, -0.9999947547912598, 0.0024473799858242273, 1.5093282461166382}},
    {"CAM_BACK",
     809.2209905677063,
     809.2209905677063,
     829.2196003259838,
     481.77842384512485,
     {0.002421709941700101, -0.016753608360886574, -0.99985671043396, 0.02832603082060814, 0.9999890923500061,
      -0.0039591072127223015, 0.0024883693549782038, 0.0034513676073402166, -0.004000229295343161,
      -0.9998518228530884, 0.016743836924433708, 1.5791034698486328}},
    {"CAM_BACK_LEFT",
     1256.7414812095406,
     1256.7414812095406,
     792.1125740759628,
     492.7757465151356,
     {0.9477603435516357, 0.008665721863508224, -0.31886550784111023, 1.0356910228729248, 0.31896114349365234,
      -0.01397630013525486, 0.947664737701416, 0.4847950339317322, 0.0037556388415396214, -0.9998647570610046,
      -0.016010211780667305, 1.5909701585769653}},
    {"CAM_BACK_RIGHT",
     1259.5137405846733,
     1259.5137405846733,
     807.2529053838625,
     501.19579884916527,
     {-0.9347755312919617, 0.015875838696956635, -0.35488399863243103, 1.0148781538009644,
      0.35507455468177795, 0.011370494961738586, -0.9347688555717468, -0.4805682301521301,
      -0.010805031284689903, -0.9998093247413635, -0.01626596786081791, 1.562395453453064}},
};

// lidar2ego translation of the same sample: the roof LiDAR, 1.84 m up.
constexpr double kNuscenesLidarInEgo[3] = {0.9437130093574524, 0.0, 1.8402299880981445};

// ../shared/fixtures/kitti_tracking/training/calib/0001.txt (KITTI tracking,
// 1242 x 375): P2, R0_rect and Tr_velo_to_cam.
constexpr double kKittiP2[12] = {7.215377e+02, 0.0,          6.095593e+02, 4.485728e+01, 0.0, 7.215377e+02,
                                 1.728540e+02, 2.163791e-01, 0.0,          0.0,          1.0, 2.745884e-03};
constexpr double kKittiR0Rect[9] = {9.999239e-01,  9.837760e-03, -7.445048e-03, -9.869795e-03, 9.999421e-01,
                                    -4.278459e-03, 7.402527e-03, 4.351614e-03,  9.999631e-01};
constexpr double kKittiTrVeloToCam[12] = {7.533745e-03, -9.999714e-01, -6.166020e-04, -4.069766e-03,
                                          1.480249e-02, 7.280733e-04,  -9.998902e-01, -7.631618e-02,
                                          9.998621e-01, 7.523790e-03,  1.480755e-02,  -2.717806e-01};

Rigid rigid_from_3x4(const double* m) {
  const double full[16] = {m[0], m[1], m[2],  m[3],  m[4], m[5], m[6], m[7],
                           m[8], m[9], m[10], m[11], 0,    0,    0,    1};
  return Rigid::from_matrix(full);
}

const std::vector<std::string>& occ3d_class_names() {
  static const std::vector<std::string> names = {
      "others",     "barrier",    "bicycle",      "bus",     "car",        "construction_vehicle",
      "motorcycle", "pedestrian", "traffic_cone", "trailer", "truck",      "driveable_surface",
      "other_flat", "sidewalk",   "terrain",      "manmade", "vegetation", "free"};
  return names;
}

// learning_map_inv of ../shared/fixtures/semantickitti/semantic-kitti.yaml.
const std::vector<std::string>& semantickitti_class_names() {
  static const std::vector<std::string> names = {
      "unlabeled", "car",          "bicycle", "motorcycle", "truck",    "other-vehicle", "person",
      "bicyclist", "motorcyclist", "road",    "parking",    "sidewalk", "other-ground",  "building",
      "fence",     "vegetation",   "trunk",   "terrain",    "pole",     "traffic-sign"};
  return names;
}

void map_kind(Rig& rig, Kind kind, int class_id) {
  rig.class_of_kind[static_cast<int>(kind)] = static_cast<uint8_t>(class_id);
}

}  // namespace

std::vector<PinholeCamera> Rig::cameras_at(int height, int width) const {
  std::vector<PinholeCamera> result;
  for (const auto& camera : cameras) result.push_back(camera.resized(width, height));
  return result;
}

Rig nuscenes_rig() {
  Rig rig;
  rig.name = "nuscenes";
  rig.native_height = 900;
  rig.native_width = 1600;
  rig.default_height = 96;
  rig.default_width = 176;
  for (const auto& calibration : kNuscenesCameras) {
    PinholeCamera camera;
    camera.name = calibration.name;
    camera.fx = calibration.fx;
    camera.fy = calibration.fy;
    camera.cx = calibration.cx;
    camera.cy = calibration.cy;
    camera.width = rig.native_width;
    camera.height = rig.native_height;
    camera.ego_from_camera = rigid_from_3x4(calibration.ego_from_camera);
    rig.cameras.push_back(camera);
  }
  // The nuScenes ego frame sits at the rear axle on the ground: the camera
  // translations above (about 1.5 m up) put the road at z = 0.
  rig.ego_height_m = 0.0;
  // HDL-32E: 32 beams from -30.67 to +10.67 degrees, about 1084 points per ring at 20 Hz.
  rig.lidar.origin_in_ego = {kNuscenesLidarInEgo[0], kNuscenesLidarInEgo[1], kNuscenesLidarInEgo[2]};
  rig.grid = geom::VoxelGrid::occ3d_nuscenes();
  rig.class_names = occ3d_class_names();
  rig.free_class = 17;
  const std::pair<Kind, int> mapping[] = {{Kind::road, 11},
                                          {Kind::sidewalk, 13},
                                          {Kind::terrain, 14},
                                          {Kind::other_flat, 12},
                                          {Kind::building, 15},
                                          {Kind::vegetation, 16},
                                          {Kind::trunk, 16},
                                          {Kind::barrier, 1},
                                          {Kind::traffic_cone, 8},
                                          {Kind::other_object, 0},
                                          {Kind::pole, 15},
                                          {Kind::traffic_sign, 15},
                                          {Kind::car, 4},
                                          {Kind::truck, 10},
                                          {Kind::bus, 3},
                                          {Kind::trailer, 9},
                                          {Kind::construction_vehicle, 5},
                                          {Kind::motorcycle, 6},
                                          {Kind::bicycle, 2},
                                          {Kind::bicyclist, 2},
                                          {Kind::motorcyclist, 6},
                                          {Kind::pedestrian, 7}};
  for (const auto& [kind, id] : mapping) map_kind(rig, kind, id);
  return rig;
}

Rig kitti_rig() {
  Rig rig;
  rig.name = "kitti";
  rig.native_height = 375;
  rig.native_width = 1242;
  rig.default_height = 96;
  rig.default_width = 320;
  PinholeCamera camera;
  camera.name = "CAM_2";
  camera.fx = kKittiP2[0];
  camera.cx = kKittiP2[2];
  camera.fy = kKittiP2[5];
  camera.cy = kKittiP2[6];
  camera.width = rig.native_width;
  camera.height = rig.native_height;
  // P2 = K [I | K^-1 p4]: camera 2 sits at K^-1 p4 in the rectified frame of camera 0.
  const double tz = kKittiP2[11];
  const double offset[12] = {1, 0, 0, (kKittiP2[3] - camera.cx * tz) / camera.fx,
                             0, 1, 0, (kKittiP2[7] - camera.cy * tz) / camera.fy,
                             0, 0, 1, tz};
  const double rect[12] = {kKittiR0Rect[0], kKittiR0Rect[1], kKittiR0Rect[2], 0,
                           kKittiR0Rect[3], kKittiR0Rect[4], kKittiR0Rect[5], 0,
                           kKittiR0Rect[6], kKittiR0Rect[7], kKittiR0Rect[8], 0};
  const Rigid camera_from_velo =
      rigid_from_3x4(offset) * rigid_from_3x4(rect) * rigid_from_3x4(kKittiTrVeloToCam);
  camera.ego_from_camera = camera_from_velo.inverse();
  rig.cameras.push_back(camera);
  // The ego frame is the Velodyne frame (as SemanticKITTI voxels are), mounted
  // 1.73 m above the road (KITTI sensor setup).
  rig.ego_height_m = 1.73;
  rig.lidar.origin_in_ego = {0, 0, 0};
  rig.lidar.beams = 64;
  rig.lidar.lowest_elevation_deg = -24.9;
  rig.lidar.highest_elevation_deg = 2.0;
  rig.lidar.azimuth_steps = 1800;
  rig.lidar.max_range_m = 80.0;
  rig.grid = geom::VoxelGrid::semantickitti();
  rig.class_names = semantickitti_class_names();
  rig.free_class = 0;
  // SemanticKITTI has no traffic-cone class: cones and bins become poles,
  // the nearest thin static object (other-object would be ignored, i.e. free).
  const std::pair<Kind, int> mapping[] = {{Kind::road, 9},
                                          {Kind::sidewalk, 11},
                                          {Kind::terrain, 17},
                                          {Kind::other_flat, 10},
                                          {Kind::building, 13},
                                          {Kind::vegetation, 15},
                                          {Kind::trunk, 16},
                                          {Kind::barrier, 14},
                                          {Kind::traffic_cone, 18},
                                          {Kind::other_object, 18},
                                          {Kind::pole, 18},
                                          {Kind::traffic_sign, 19},
                                          {Kind::car, 1},
                                          {Kind::truck, 4},
                                          {Kind::bus, 5},
                                          {Kind::trailer, 5},
                                          {Kind::construction_vehicle, 5},
                                          {Kind::motorcycle, 3},
                                          {Kind::bicycle, 2},
                                          {Kind::bicyclist, 7},
                                          {Kind::motorcyclist, 8},
                                          {Kind::pedestrian, 6}};
  for (const auto& [kind, id] : mapping) map_kind(rig, kind, id);
  return rig;
}

Rig rig_by_name(const std::string& name) {
  if (name == "nuscenes") return nuscenes_rig();
  if (name == "kitti") return kitti_rig();
  throw UsageError("unknown rig " + quoted(name) + " (expected nuscenes or kitti)");
}

}  // namespace occ::synth

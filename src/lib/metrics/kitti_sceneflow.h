#pragma once
// KITTI 2015 scene-flow evaluation over the devkit's folders
// (devkit_scene_flow_kt15: training/{disp_occ_0,disp_occ_1,flow_occ,obj_map}
// against a result folder {disp_0,disp_1,flow}, PNG files named like
// 000000_10.png), reported as a JSON section of `occ eval`.
#include <string>

#include <nlohmann/json.hpp>

#include "metrics/sceneflow.h"

namespace occ::metrics {

// KITTI PNG encodings (devkit io_disp.h / io_flow.h): disparity uint16 / 256
// with 0 invalid; flow 3-channel uint16, u = (R - 2^15) / 64, v = (G - 2^15) / 64,
// B > 0 valid. Throw IoError/FormatError naming the file.
DisparityMap read_kitti_disparity(const std::string& path);
FlowMap read_kitti_flow(const std::string& path);
// And the writers, for tests and for tools that export KITTI results.
void write_kitti_disparity(const std::string& path, const DisparityMap& map);
void write_kitti_flow(const std::string& path, const FlowMap& map);

struct KittiSceneFlowOptions {
  std::string gt_dir;      // the folder holding disp_occ_0, disp_occ_1, flow_occ (and obj_map)
  std::string result_dir;  // the folder holding disp_0, disp_1, flow
  bool allow_missing = false;
};

// Evaluates every disp_occ_0/*_10.png; missing results are an error unless
// allowed (then skipped and counted). Returns {"frames", "missing",
// "sceneflow": {rule: {D1/D2/Fl/SF x all/bg/fg}, DE, EPE, DE_FG, EPE_FG}}.
nlohmann::ordered_json evaluate_kitti_sceneflow(const KittiSceneFlowOptions& options);

}  // namespace occ::metrics

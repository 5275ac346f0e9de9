#pragma once
// pred -> KITTI 2015 scene-flow result folders (devkit_scene_flow_kt15, what
// `occ eval --metric sceneflow --pred-dir` reads): disp_0/, disp_1/, flow/,
// one 16-bit PNG per frame of camera image_2 named <token>_10.png ('/' in
// tokens replaced by '_': kitti-mot 0001/000010 -> 0001_000010_10.png), the
// devkit's reference-frame suffix _10 (its successor is _11).
//
// From Let Occ Flow's rendered maps (occ predict --depth --rendered-flow),
// at the frames file's image size:
//  - disp_0: disparity of the rendered depth z, d = fx B / z (fx of
//    /cameras/intrinsics, B of /cameras/stereo_baseline_m);
//  - flow: the optical flow of KITTI's scene-flow definition: the pixel's 3D
//    point (z K^-1 [u, v, 1] in the camera, into the ego frame), moved by its
//    rendered BEV flow (ego x, y; z unchanged), into the next frame's ego
//    frame (inverse(world_from_ego[next]) world_from_ego[t]) and camera,
//    projected with the next frame's intrinsics: (u', v') - (u, v);
//  - disp_1: the disparity of that moved point in the next frame,
//    fx' B / z', stored at the pixel of frame t (devkit: "disparity of the
//    same pixels at t1").
// Pixels whose depth is not positive, or whose moved point is behind the
// next camera, are invalid (0). Frames with no next frame (/frames/next =
// -1, a sequence's end) have no scene flow and are left out (counted).
#include <array>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "geom/rigid.h"
#include "metrics/sceneflow.h"

namespace occ::exporting {

class PredSource;

struct KittiCamera {
  std::array<double, 9> intrinsics{};  // row-major 3x3, at the output pixel size
  geom::Matrix4 ego_from_camera{};
};

struct KittiSceneFlowMaps {
  metrics::DisparityMap disparity_0, disparity_1;
  metrics::FlowMap flow;
};

// One frame's maps at width x height. `depth` (CV_32F) and `flow` (CV_32FC2,
// metres along ego x, y) are the rendered maps at their own size h x w,
// whose pixel (u * w / width, v * h / height) is the ray of output pixel
// (u, v) (the loader scales intrinsics by the resize factors); they are read
// there bilinearly. `next_from_current` maps the current ego frame into the
// next frame's.
KittiSceneFlowMaps kitti_scene_flow_maps(const cv::Mat& depth, const cv::Mat& flow, int width, int height,
                                         const KittiCamera& current, const KittiCamera& next,
                                         const geom::Matrix4& next_from_current, double baseline_m);

// <token>_10.png
std::string kitti_sceneflow_name(const std::string& token);

struct KittiSceneFlowSummary {
  int64_t written = 0;
  int64_t without_next = 0;  // frames left out: no next frame
};

// Needs --gt (poses, intrinsics, /cameras/stereo_baseline_m, one camera),
// /pred/depth and /pred/rendered_flow; anything missing is a FormatError
// naming the file and the dataset, before anything is written.
KittiSceneFlowSummary export_kitti_sceneflow(const PredSource& pred, const std::string& output);

}  // namespace occ::exporting

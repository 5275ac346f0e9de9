#include "export/kitti_sceneflow.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "export/output_folder.h"
#include "export/pred_source.h"
#include "h5/dataset.h"
#include "metrics/kitti_sceneflow.h"

namespace occ::exporting {
namespace {

constexpr const char* kFormat = "kitti-sceneflow";
constexpr const char* kBaseline = "/cameras/stereo_baseline_m";

// Bilinear read of channel `c` of a float map at (x, y), clamped to the map.
float bilinear(const cv::Mat& map, double x, double y, int c) {
  x = std::clamp(x, 0.0, static_cast<double>(map.cols - 1));
  y = std::clamp(y, 0.0, static_cast<double>(map.rows - 1));
  const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
  const int x1 = std::min(x0 + 1, map.cols - 1), y1 = std::min(y0 + 1, map.rows - 1);
  const double ax = x - x0, ay = y - y0;
  const int channels = map.channels();
  auto at = [&](int row, int col) { return static_cast<double>(map.ptr<float>(row)[col * channels + c]); };
  return static_cast<float>((1 - ay) * ((1 - ax) * at(y0, x0) + ax * at(y0, x1)) +
                            ay * ((1 - ax) * at(y1, x0) + ax * at(y1, x1)));
}

std::array<double, 3> transformed(const geom::Matrix4& m, const std::array<double, 3>& p) {
  std::array<double, 3> out{};
  for (size_t r = 0; r < 3; ++r)
    out[r] = m[r * 4] * p[0] + m[r * 4 + 1] * p[1] + m[r * 4 + 2] * p[2] + m[r * 4 + 3];
  return out;
}

void require(bool ok, const std::string& message) {
  if (!ok) throw FormatError(message);
}

}  // namespace

KittiSceneFlowMaps kitti_scene_flow_maps(const cv::Mat& depth, const cv::Mat& flow, int width, int height,
                                         const KittiCamera& current, const KittiCamera& next,
                                         const geom::Matrix4& next_from_current, double baseline_m) {
  const size_t n = static_cast<size_t>(width) * static_cast<size_t>(height);
  KittiSceneFlowMaps maps;
  maps.disparity_0 = {width, height, std::vector<float>(n, -1.0f)};
  maps.disparity_1 = {width, height, std::vector<float>(n, -1.0f)};
  maps.flow = {width, height, std::vector<float>(n, 0.0f), std::vector<float>(n, 0.0f),
               std::vector<uint8_t>(n, 0)};
  const auto& k = current.intrinsics;
  const auto& k_next = next.intrinsics;
  const geom::Matrix4 camera_from_next_ego = geom::rigid_inverse(next.ego_from_camera);
  const double sx = static_cast<double>(depth.cols) / width, sy = static_cast<double>(depth.rows) / height;
  for (int v = 0; v < height; ++v) {
    for (int u = 0; u < width; ++u) {
      const size_t i = static_cast<size_t>(v) * static_cast<size_t>(width) + static_cast<size_t>(u);
      const double z = bilinear(depth, u * sx, v * sy, 0);
      if (!(z > 0) || !std::isfinite(z)) continue;
      maps.disparity_0.values[i] = static_cast<float>(k[0] * baseline_m / z);
      // The camera point of pixel (u, v) at z-depth z: z K^-1 [u, v, 1]
      // (K upper triangular, with its skew k[1]).
      const double y = (v - k[5]) / k[4] * z;
      const double x = ((u - k[2]) * z - k[1] * y) / k[0];
      std::array<double, 3> point = transformed(current.ego_from_camera, {x, y, z});
      point[0] += bilinear(flow, u * sx, v * sy, 0);  // moved by its rendered BEV flow
      point[1] += bilinear(flow, u * sx, v * sy, 1);
      const std::array<double, 3> seen =
          transformed(camera_from_next_ego, transformed(next_from_current, point));
      if (!(seen[2] > 1e-6)) continue;  // behind the next camera: no flow, no disparity
      const double u1 = (k_next[0] * seen[0] + k_next[1] * seen[1]) / seen[2] + k_next[2];
      const double v1 = k_next[4] * seen[1] / seen[2] + k_next[5];
      maps.flow.u[i] = static_cast<float>(u1 - u);
      maps.flow.v[i] = static_cast<float>(v1 - v);
      maps.flow.valid[i] = 1;
      maps.disparity_1.values[i] = static_cast<float>(k_next[0] * baseline_m / seen[2]);
    }
  }
  return maps;
}

std::string kitti_sceneflow_name(const std::string& token) {
  std::string name = token;
  std::replace(name.begin(), name.end(), '/', '_');
  return name + "_10.png";
}

KittiSceneFlowSummary export_kitti_sceneflow(const PredSource& pred, const std::string& output) {
  const FramesFile& frames = pred.frames(kFormat);
  // Everything the maps need, checked before any work.
  require(frames.camera_count() == 1,
          str("format 'kitti-sceneflow' exports the KITTI rig's one camera (image_2); ",
              occ::quoted(frames.path()), " has ", frames.camera_count(), " cameras"));
  require(
      frames.has(kBaseline),
      str("format 'kitti-sceneflow' turns depth into disparity with the stereo baseline: ",
          occ::quoted(frames.path()), " has no dataset '", kBaseline,
          "' (written by occ prep kitti-mot from P2 and P3 of the calibration; prepare the frames again)"));
  for (const char* dataset : {pred_dataset::kDepth, pred_dataset::kRenderedFlow}) {
    require(pred.has(dataset),
            str("format 'kitti-sceneflow' needs Let Occ Flow's rendered maps: ", occ::quoted(pred.path()),
                " has no dataset '", dataset, "' (occ predict --depth --rendered-flow)"));
  }
  const h5::Shape depth_shape = pred.shape(pred_dataset::kDepth);
  const h5::Shape flow_shape = pred.shape(pred_dataset::kRenderedFlow);
  require(depth_shape[2] == flow_shape[2] && depth_shape[3] == flow_shape[3],
          str(occ::quoted(pred.path()),
              ": '/pred/depth' and '/pred/rendered_flow' have maps of different "
              "sizes"));
  const std::vector<double> baselines = h5::read<double>(frames.file(), kBaseline).values;

  KittiSceneFlowSummary summary;
  std::vector<int64_t> exported;
  for (int64_t i = 0; i < pred.frame_count(); ++i) {
    if (frames.next(pred.frames_row(i)) < 0) {
      ++summary.without_next;
    } else {
      exported.push_back(i);
    }
  }
  require(!exported.empty(),
          str("format 'kitti-sceneflow': no frame of ", occ::quoted(pred.path()), " has a next frame in ",
              occ::quoted(frames.path()), " (scene flow needs t and t + 1)"));
  OutputFolder folder(output);
  Progress progress(kFormat, static_cast<int64_t>(exported.size()));
  for (const int64_t i : exported) {
    const int64_t row = pred.frames_row(i), next_row = frames.next(row);
    const double baseline = baselines.at(static_cast<size_t>(row));
    require(std::isfinite(baseline) && baseline > 0,
            str(occ::quoted(frames.path()), " dataset '", kBaseline, "' frame ", row, " is ", baseline,
                ", not a positive baseline"));
    const cv::Mat depth = pred.depth(i, 0), flow = pred.rendered_flow(i, 0);
    require(cv::checkRange(flow), str(occ::quoted(pred.path()), " dataset '", pred_dataset::kRenderedFlow,
                                      "' frame ", i, " is not finite"));
    const cv::Size size = frames.image(row, 0).size();
    const geom::Matrix4 next_from_current = geom::multiply(
        geom::rigid_inverse(frames.world_from_ego(next_row, 0)), frames.world_from_ego(row, 0));
    const KittiSceneFlowMaps maps = kitti_scene_flow_maps(
        depth, flow, size.width, size.height, {frames.intrinsics(row, 0), frames.ego_from_camera(row, 0)},
        {frames.intrinsics(next_row, 0), frames.ego_from_camera(next_row, 0)}, next_from_current, baseline);
    const std::string name = kitti_sceneflow_name(frames.token(row));
    metrics::write_kitti_disparity(folder.file("disp_0/" + name), maps.disparity_0);
    metrics::write_kitti_disparity(folder.file("disp_1/" + name), maps.disparity_1);
    metrics::write_kitti_flow(folder.file("flow/" + name), maps.flow);
    ++summary.written;
    progress.advance();
  }
  progress.finish();
  folder.commit();
  if (summary.without_next > 0)
    log::warn("left out ", summary.without_next,
              " frame(s) with no next frame (a sequence's end): no scene flow without t + 1");
  return summary;
}

}  // namespace occ::exporting

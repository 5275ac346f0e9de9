#include "datasets/synth/writer.h"

#include <chrono>

#include "core/log.h"
#include "core/progress.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/row_batcher.h"

namespace occ::synth {
namespace {

using h5::Shape;

// Creates every dataset of a frames file for `frames` rows.
void create_datasets(h5::File& file, const SynthGenerator& generator, int64_t frames,
                     const h5::Compression& compression) {
  const int64_t c = static_cast<int64_t>(generator.cameras().size());
  const int64_t h = generator.image_height(), w = generator.image_width();
  const auto& g = generator.grid().shape;
  const h5::DatasetOptions fixed{compression, {}, false};
  auto create = [&](const std::string& path, h5::DType dtype, const Shape& shape) {
    h5::create_dataset(file, path, dtype, shape, fixed);
  };
  create("/frames/scene", h5::DType::int32, {frames});
  create("/frames/timestamp_us", h5::DType::int64, {frames});
  create("/frames/is_keyframe", h5::DType::uint8, {frames});
  create("/frames/prev", h5::DType::int32, {frames});
  create("/frames/next", h5::DType::int32, {frames});
  create("/frames/world_from_ego", h5::DType::float64, {frames, 4, 4});
  create("/cameras/intrinsics", h5::DType::float64, {frames, c, 3, 3});
  create("/cameras/ego_from_camera", h5::DType::float64, {frames, c, 4, 4});
  create("/cameras/image", h5::DType::uint8, {frames, c, h, w, 3});
  create("/cameras/depth", h5::DType::float32, {frames, c, h, w});
  create("/cameras/semantics", h5::DType::uint8, {frames, c, h, w});
  create("/cameras/instance", h5::DType::int32, {frames, c, h, w});
  create("/lidar/origin", h5::DType::float64, {frames, 3});
  create("/occupancy/semantics", h5::DType::uint8, {frames, g[0], g[1], g[2]});
  create("/occupancy/mask_camera", h5::DType::uint8, {frames, g[0], g[1], g[2]});
  create("/occupancy/mask_lidar", h5::DType::uint8, {frames, g[0], g[1], g[2]});
  create("/occupancy/flow", h5::DType::float32, {frames, g[0], g[1], g[2], 2});
  // Rows of variable count per frame grow as frames arrive.
  auto create_growing = [&](const std::string& path, h5::DType dtype, const Shape& shape,
                            int64_t rows_per_chunk) {
    Shape chunk = shape;
    chunk[0] = rows_per_chunk;
    h5::create_dataset(file, path, dtype, shape, {compression, chunk, true});
  };
  create_growing("/lidar/points", h5::DType::float32, {0, 4}, 32768);
  create_growing("/boxes/center", h5::DType::float64, {0, 3}, 1024);
  create_growing("/boxes/size_wlh", h5::DType::float32, {0, 3}, 1024);
  create_growing("/boxes/yaw", h5::DType::float64, {0}, 1024);
  create_growing("/boxes/class", h5::DType::uint8, {0}, 1024);
  create_growing("/boxes/instance", h5::DType::int32, {0}, 1024);
  create_growing("/boxes/velocity", h5::DType::float32, {0, 2}, 1024);
}

void write_root_attributes(h5::File& file, const SynthGenerator& generator) {
  const auto& rig = generator.rig();
  const auto& grid = generator.grid();
  h5::write_attribute(file, "/", "dataset", std::string("synth"));
  h5::write_attribute(file, "/", "class_names", rig.class_names);
  h5::write_attribute(file, "/", "free_class", int64_t(rig.free_class));
  h5::write_attribute(file, "/", "grid_shape",
                      std::vector<int64_t>{grid.shape[0], grid.shape[1], grid.shape[2]});
  h5::write_attribute(file, "/", "grid_origin_m",
                      std::vector<double>(grid.origin_m.begin(), grid.origin_m.end()));
  h5::write_attribute(file, "/", "voxel_size_m",
                      std::vector<double>(grid.voxel_size_m.begin(), grid.voxel_size_m.end()));
  std::vector<std::string> names;
  for (const auto& camera : generator.cameras()) names.push_back(camera.name);
  h5::write_attribute(file, "/", "camera_names", names);
  h5::write_attribute(file, "/", "image_size",
                      std::vector<int64_t>{generator.image_height(), generator.image_width()});
  h5::write_attribute(file, "/", "rig", rig.name);
}

void write_frame(h5::RowBatcher& rows, const SynthGenerator& generator, const SynthFrame& frame, int64_t row,
                 int64_t& lidar_rows, int64_t& box_rows, std::vector<int64_t>& lidar_offsets,
                 std::vector<int64_t>& box_offsets) {
  const int32_t scene = frame.scene;
  const int32_t prev = frame.row_in_scene > 0 ? int32_t(row - 1) : -1;
  const int32_t next = frame.row_in_scene + 1 < generator.rows_per_scene() ? int32_t(row + 1) : -1;
  const uint8_t keyframe = frame.keyframe ? 1 : 0;
  double pose[16];
  frame.world_from_ego.to_matrix(pose);
  rows.add("/frames/scene", row, 1, &scene);
  rows.add("/frames/timestamp_us", row, 1, &frame.timestamp_us);
  rows.add("/frames/is_keyframe", row, 1, &keyframe);
  rows.add("/frames/prev", row, 1, &prev);
  rows.add("/frames/next", row, 1, &next);
  rows.add("/frames/world_from_ego", row, 1, pose);

  std::vector<double> intrinsics, extrinsics;
  for (const auto& camera : generator.cameras()) {
    const auto k = camera.intrinsics();
    intrinsics.insert(intrinsics.end(), k.begin(), k.end());
    double m[16];
    camera.ego_from_camera.to_matrix(m);
    extrinsics.insert(extrinsics.end(), m, m + 16);
  }
  rows.add("/cameras/intrinsics", row, 1, intrinsics.data());
  rows.add("/cameras/ego_from_camera", row, 1, extrinsics.data());
  rows.add("/cameras/image", row, 1, frame.image.data());
  rows.add("/cameras/depth", row, 1, frame.depth.data());
  rows.add("/cameras/semantics", row, 1, frame.pixel_semantics.data());
  rows.add("/cameras/instance", row, 1, frame.pixel_instance.data());
  const auto& origin = generator.rig().lidar.origin_in_ego;
  const double lidar_origin[3] = {origin.x, origin.y, origin.z};
  rows.add("/lidar/origin", row, 1, lidar_origin);
  rows.add("/occupancy/semantics", row, 1, frame.occupancy.semantics.data());
  rows.add("/occupancy/mask_camera", row, 1, frame.occupancy.mask_camera.data());
  rows.add("/occupancy/mask_lidar", row, 1, frame.occupancy.mask_lidar.data());
  rows.add("/occupancy/flow", row, 1, frame.occupancy.flow.data());

  const auto points = static_cast<int64_t>(frame.lidar_points.size() / 4);
  if (points > 0) rows.add("/lidar/points", lidar_rows, points, frame.lidar_points.data());
  lidar_rows += points;
  lidar_offsets.push_back(lidar_rows);

  const auto boxes = static_cast<int64_t>(frame.boxes.size());
  if (boxes > 0) {
    std::vector<double> centre, yaw;
    std::vector<float> size, velocity;
    std::vector<uint8_t> classes;
    std::vector<int32_t> instance;
    for (const auto& box : frame.boxes) {
      centre.insert(centre.end(), {box.centre.x, box.centre.y, box.centre.z});
      size.insert(size.end(), {box.width, box.length, box.height});
      yaw.push_back(box.yaw);
      classes.push_back(box.class_id);
      instance.push_back(box.instance);
      velocity.insert(velocity.end(), {box.velocity_x, box.velocity_y});
    }
    rows.add("/boxes/center", box_rows, boxes, centre.data());
    rows.add("/boxes/size_wlh", box_rows, boxes, size.data());
    rows.add("/boxes/yaw", box_rows, boxes, yaw.data());
    rows.add("/boxes/class", box_rows, boxes, classes.data());
    rows.add("/boxes/instance", box_rows, boxes, instance.data());
    rows.add("/boxes/velocity", box_rows, boxes, velocity.data());
  }
  box_rows += boxes;
  box_offsets.push_back(box_rows);
}

}  // namespace

SynthReport write_synth_dataset(const SynthOptions& options) {
  options.validate();
  const auto start = std::chrono::steady_clock::now();
  SynthGenerator generator(options);
  const int64_t frames = generator.frame_count();
  const auto compression = h5::Compression::parse(options.compression);
  h5::OutputArtifact artifact(options.output, "frames", generator.resolved_options());
  h5::File& file = artifact.file();
  write_root_attributes(file, generator);
  std::vector<std::string> scene_names;
  for (int s = 0; s < options.scenes; ++s) scene_names.push_back(scene_name(options.seed, s));
  h5::write_strings(file, "/scenes/name", scene_names);
  create_datasets(file, generator, frames, compression);
  // Rows go out a few frames at a time, so their chunks compress on every -j thread.
  h5::RowBatcher rows(file, h5::RowBatcher::default_frames());

  SynthReport report;
  std::vector<int64_t> lidar_offsets{0}, box_offsets{0};
  std::vector<std::string> tokens;
  Progress progress("synth frames", frames);
  for (int64_t row = 0; row < frames; ++row) {
    const SynthFrame frame = generator.frame(row);
    const auto write_start = std::chrono::steady_clock::now();
    write_frame(rows, generator, frame, row, report.lidar_points, report.boxes, lidar_offsets, box_offsets);
    rows.end_frame();
    tokens.push_back(frame.token);
    generator.seconds().writing +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
    progress.advance();
  }
  const auto flush_start = std::chrono::steady_clock::now();
  rows.flush();
  generator.seconds().writing +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - flush_start).count();
  progress.finish();
  h5::write_strings(file, "/frames/token", tokens);
  h5::write(file, "/lidar/offsets", lidar_offsets, {frames + 1});
  h5::write(file, "/boxes/offsets", box_offsets, {frames + 1});
  artifact.commit();
  report.frames = frames;
  report.seconds = generator.seconds();
  report.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace occ::synth

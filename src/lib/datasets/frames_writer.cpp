#include "datasets/frames_writer.h"

#include "core/error.h"
#include "core/strings.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/row_batcher.h"

namespace occ::datasets {
namespace {

using h5::DType;
using h5::Shape;

template <typename T>
void require_count(const std::vector<T>& values, size_t expected, const std::string& what,
                   const std::string& token) {
  if (values.size() != expected) {
    throw FormatError(str(what, " of frame ", occ::quoted(token), " has ", values.size(),
                          " values where the frames file needs ", expected));
  }
}

}  // namespace

struct FramesWriter::Impl {
  FramesLayout layout;
  h5::OutputArtifact artifact;
  // Rows go out a few frames at a time, so their chunks compress on every -j thread.
  h5::RowBatcher batch{artifact.file(), h5::RowBatcher::default_frames()};
  int64_t row = 0;
  int64_t lidar_rows = 0, box_rows = 0;
  std::vector<int64_t> lidar_offsets{0}, box_offsets{0};
  std::vector<std::string> tokens, image_paths;

  Impl(const std::string& path, const FramesLayout& layout_in, const nlohmann::json& options)
      : layout(layout_in), artifact(path, "frames", options) {
    write_attributes();
    create_datasets();
  }

  int64_t cameras() const { return static_cast<int64_t>(layout.camera_names.size()); }
  int64_t voxels() const { return layout.grid_shape[0] * layout.grid_shape[1] * layout.grid_shape[2]; }

  void write_attributes() {
    h5::File& file = artifact.file();
    h5::write_attribute(file, "/", "dataset", layout.dataset);
    h5::write_attribute(file, "/", "class_names", layout.class_names);
    h5::write_attribute(file, "/", "free_class", int64_t(layout.free_class));
    h5::write_attribute(file, "/", "grid_shape",
                        std::vector<int64_t>(layout.grid_shape.begin(), layout.grid_shape.end()));
    h5::write_attribute(file, "/", "grid_origin_m",
                        std::vector<double>(layout.grid_origin_m.begin(), layout.grid_origin_m.end()));
    h5::write_attribute(file, "/", "voxel_size_m",
                        std::vector<double>(layout.voxel_size_m.begin(), layout.voxel_size_m.end()));
    h5::write_attribute(file, "/", "camera_names", layout.camera_names);
    if (layout.image_height > 0) {
      h5::write_attribute(file, "/", "image_size",
                          std::vector<int64_t>{layout.image_height, layout.image_width});
    }
    if (!layout.dataroot.empty()) h5::write_attribute(file, "/", "dataroot", layout.dataroot);
    h5::write_strings(file, "/scenes/name", layout.scene_names);
  }

  void create_datasets() {
    h5::File& file = artifact.file();
    const auto compression = h5::Compression::parse(layout.compression);
    const int64_t n = layout.frames, c = cameras();
    const auto& g = layout.grid_shape;
    const h5::DatasetOptions fixed{compression, {}, false};
    auto create = [&](const std::string& path, DType dtype, const Shape& shape) {
      h5::create_dataset(file, path, dtype, shape, fixed);
    };
    auto create_growing = [&](const std::string& path, DType dtype, const Shape& shape, int64_t rows) {
      Shape chunk = shape;
      chunk[0] = rows;
      h5::create_dataset(file, path, dtype, shape, {compression, chunk, true});
    };
    create("/frames/scene", DType::int32, {n});
    create("/frames/timestamp_us", DType::int64, {n});
    create("/frames/is_keyframe", DType::uint8, {n});
    create("/frames/prev", DType::int32, {n});
    create("/frames/next", DType::int32, {n});
    create("/frames/world_from_ego", DType::float64, {n, 4, 4});
    create("/cameras/intrinsics", DType::float64, {n, c, 3, 3});
    create("/cameras/ego_from_camera", DType::float64, {n, c, 4, 4});
    if (layout.camera_poses) {
      create("/cameras/world_from_ego", DType::float64, {n, c, 4, 4});
      create("/cameras/timestamp_us", DType::int64, {n, c});
    }
    if (layout.stereo_baseline) create("/cameras/stereo_baseline_m", DType::float64, {n, c});
    if (layout.image_height > 0) {
      create("/cameras/image", DType::uint8, {n, c, layout.image_height, layout.image_width, 3});
    }
    if (layout.lidar_origin) create("/lidar/origin", DType::float64, {n, 3});
    if (layout.lidar_points) create_growing("/lidar/points", DType::float32, {0, 4}, 32768);
    if (layout.occupancy) {
      create("/occupancy/semantics", DType::uint8, {n, g[0], g[1], g[2]});
      if (layout.lidar_mask) create("/occupancy/mask_lidar", DType::uint8, {n, g[0], g[1], g[2]});
      if (layout.camera_mask) create("/occupancy/mask_camera", DType::uint8, {n, g[0], g[1], g[2]});
      if (layout.flow) create("/occupancy/flow", DType::float32, {n, g[0], g[1], g[2], 2});
    }
    if (layout.boxes) {
      create_growing("/boxes/center", DType::float64, {0, 3}, 1024);
      create_growing("/boxes/size_wlh", DType::float32, {0, 3}, 1024);
      create_growing("/boxes/yaw", DType::float64, {0}, 1024);
      create_growing("/boxes/class", DType::uint8, {0}, 1024);
      create_growing("/boxes/instance", DType::int32, {0}, 1024);
      create_growing("/boxes/velocity", DType::float32, {0, 2}, 1024);
    }
  }

  void write(const FrameRecord& frame) {
    if (row >= layout.frames) {
      throw FormatError(str("frame ", occ::quoted(frame.token), " is one more than the ", layout.frames,
                            " frames planned"));
    }
    const auto c = static_cast<size_t>(cameras());
    const uint8_t keyframe = frame.keyframe ? 1 : 0;
    batch.add("/frames/scene", row, 1, &frame.scene);
    batch.add("/frames/timestamp_us", row, 1, &frame.timestamp_us);
    batch.add("/frames/is_keyframe", row, 1, &keyframe);
    batch.add("/frames/prev", row, 1, &frame.prev);
    batch.add("/frames/next", row, 1, &frame.next);
    batch.add("/frames/world_from_ego", row, 1, frame.world_from_ego.data());
    require_count(frame.intrinsics, c, "intrinsics", frame.token);
    require_count(frame.ego_from_camera, c, "camera extrinsics", frame.token);
    batch.add("/cameras/intrinsics", row, 1, frame.intrinsics.data()->data());
    batch.add("/cameras/ego_from_camera", row, 1, frame.ego_from_camera.data()->data());
    if (layout.camera_poses) {
      require_count(frame.camera_world_from_ego, c, "camera poses", frame.token);
      require_count(frame.camera_timestamp_us, c, "camera timestamps", frame.token);
      batch.add("/cameras/world_from_ego", row, 1, frame.camera_world_from_ego.data()->data());
      batch.add("/cameras/timestamp_us", row, 1, frame.camera_timestamp_us.data());
    }
    if (layout.stereo_baseline) {
      require_count(frame.stereo_baseline_m, c, "stereo baselines", frame.token);
      batch.add("/cameras/stereo_baseline_m", row, 1, frame.stereo_baseline_m.data());
    }
    if (layout.image_height > 0) {
      require_count(frame.images, c * size_t(layout.image_height) * size_t(layout.image_width) * 3,
                    "embedded images", frame.token);
      batch.add("/cameras/image", row, 1, frame.images.data());
    }
    if (layout.image_paths) {
      require_count(frame.image_paths, c, "image paths", frame.token);
      image_paths.insert(image_paths.end(), frame.image_paths.begin(), frame.image_paths.end());
    }
    if (layout.lidar_origin) batch.add("/lidar/origin", row, 1, frame.lidar_origin.data());
    if (layout.lidar_points) write_points(frame);
    if (layout.occupancy) {
      const auto v = static_cast<size_t>(voxels());
      require_count(frame.semantics, v, "occupancy semantics", frame.token);
      batch.add("/occupancy/semantics", row, 1, frame.semantics.data());
      if (layout.lidar_mask) {
        require_count(frame.mask_lidar, v, "occupancy mask_lidar", frame.token);
        batch.add("/occupancy/mask_lidar", row, 1, frame.mask_lidar.data());
      }
      if (layout.camera_mask) {
        require_count(frame.mask_camera, v, "occupancy mask_camera", frame.token);
        batch.add("/occupancy/mask_camera", row, 1, frame.mask_camera.data());
      }
      if (layout.flow) {
        require_count(frame.flow, 2 * v, "occupancy flow", frame.token);
        batch.add("/occupancy/flow", row, 1, frame.flow.data());
      }
    }
    if (layout.boxes) write_boxes(frame);
    tokens.push_back(frame.token);
    ++row;
    batch.end_frame();
  }

  void write_points(const FrameRecord& frame) {
    const auto points = static_cast<int64_t>(frame.lidar_points.size() / 4);
    if (points > 0) batch.add("/lidar/points", lidar_rows, points, frame.lidar_points.data());
    lidar_rows += points;
    lidar_offsets.push_back(lidar_rows);
  }

  void write_boxes(const FrameRecord& frame) {
    const auto count = static_cast<int64_t>(frame.boxes.size());
    if (count > 0) {
      std::vector<double> center, yaw;
      std::vector<float> size, velocity;
      std::vector<uint8_t> classes;
      std::vector<int32_t> instance;
      for (const auto& box : frame.boxes) {
        center.insert(center.end(), box.center.begin(), box.center.end());
        size.insert(size.end(), box.size_wlh.begin(), box.size_wlh.end());
        yaw.push_back(box.yaw);
        classes.push_back(box.class_id);
        instance.push_back(box.instance);
        velocity.insert(velocity.end(), box.velocity.begin(), box.velocity.end());
      }
      batch.add("/boxes/center", box_rows, count, center.data());
      batch.add("/boxes/size_wlh", box_rows, count, size.data());
      batch.add("/boxes/yaw", box_rows, count, yaw.data());
      batch.add("/boxes/class", box_rows, count, classes.data());
      batch.add("/boxes/instance", box_rows, count, instance.data());
      batch.add("/boxes/velocity", box_rows, count, velocity.data());
    }
    box_rows += count;
    box_offsets.push_back(box_rows);
  }

  void commit() {
    if (row != layout.frames) {
      throw FormatError(str("only ", row, " of ", layout.frames, " planned frames were written"));
    }
    batch.flush();
    h5::File& file = artifact.file();
    h5::write_strings(file, "/frames/token", tokens);
    if (layout.image_paths) h5::write_strings(file, "/cameras/image_path", image_paths, {row, cameras()});
    if (layout.lidar_points) h5::write(file, "/lidar/offsets", lidar_offsets, {row + 1});
    if (layout.boxes) h5::write(file, "/boxes/offsets", box_offsets, {row + 1});
    artifact.commit();
  }
};

FramesWriter::FramesWriter(const std::string& path, const FramesLayout& layout, const nlohmann::json& options)
    : impl_(std::make_unique<Impl>(path, layout, options)) {}
FramesWriter::~FramesWriter() = default;
void FramesWriter::write(const FrameRecord& frame) {
  impl_->write(frame);
}
void FramesWriter::commit() {
  impl_->commit();
}
int64_t FramesWriter::lidar_points() const {
  return impl_->lidar_rows;
}
int64_t FramesWriter::boxes() const {
  return impl_->box_rows;
}

}  // namespace occ::datasets

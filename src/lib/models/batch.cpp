#include "models/batch.h"

#include <ATen/ATen.h>

namespace occ::models {

const std::vector<BatchField>& batch_fields() {
  static const std::vector<BatchField> fields = {
      {"images", &Batch::images},
      {"intrinsics", &Batch::intrinsics},
      {"ego_from_camera", &Batch::ego_from_camera},
      {"semantics", &Batch::semantics},
      {"mask_camera", &Batch::mask_camera},
      {"masks", &Batch::masks},
      {"camera_semantics", &Batch::camera_semantics},
      {"history_images", &Batch::history_images},
      {"history_intrinsics", &Batch::history_intrinsics},
      {"history_ego_from_camera", &Batch::history_ego_from_camera},
      {"history_from_current", &Batch::history_from_current},
      {"history_valid", &Batch::history_valid},
      {"colour_images", &Batch::colour_images},
      {"capture_from_current", &Batch::capture_from_current},
      {"neighbour_colour_images", &Batch::neighbour_colour_images},
      {"neighbour_intrinsics", &Batch::neighbour_intrinsics},
      {"neighbour_ego_from_camera", &Batch::neighbour_ego_from_camera},
      {"neighbour_from_current", &Batch::neighbour_from_current},
      {"neighbour_valid", &Batch::neighbour_valid},
      {"lidar_points", &Batch::lidar_points},
      {"lidar_valid", &Batch::lidar_valid},
      {"lidar_origin", &Batch::lidar_origin},
      {"flow", &Batch::flow},
      {"flow_valid", &Batch::flow_valid},
      {"static_flow", &Batch::static_flow},
      {"dynamic", &Batch::dynamic},
      {"movable", &Batch::movable},
      {"sample_seed", &Batch::sample_seed},
  };
  return fields;
}

Batch Batch::to(const at::Device& device) const {
  Batch out;
  for (const BatchField& field : batch_fields()) {
    const at::Tensor& tensor = this->*field.member;
    if (tensor.defined()) out.*field.member = tensor.to(device);
  }
  out.frames = frames;
  return out;
}

}  // namespace occ::models

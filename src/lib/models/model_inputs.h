#pragma once
// What a model kind reads besides a frame's normalised images and cameras.
// The loader reads exactly these (train/data_loader.h) into Batch fields;
// a kind asks through ModelKind::inputs (models/registry.h). History and
// capture poses reach the forward pass in training and inference alike;
// masks, flow labels, neighbours, colours, LiDAR and seeds serve the losses
// and come in training batches only.
#include <vector>

namespace occ::models {

struct ModelInputs {
  bool masks = false;        // superpixel masks (occ cluster-masks): Batch::masks; ProtoOcc
  bool flow_labels = false;  // optical-flow labels (occ flow-labels): Batch::flow etc.; Let Occ Flow
  int history_frames = 0;    // previous keyframes fed with each frame (Batch::history_*)
  int history_stride = 1;    // keyframes between two of them
  // Neighbour keyframes for reprojection (Batch::neighbour_*), as offsets in
  // keyframes of the scene: {-1, 1} is the previous and the next one.
  std::vector<int> neighbour_offsets;
  // > 0: the neighbour at offset -1 is drawn per sample, uniformly, among
  // the earlier keyframes within this many metres of path (Let Occ Flow's
  // KITTI rig: previous source frames within 6 m; train/keyframe_history.h);
  // 0: the previous keyframe itself.
  double previous_source_max_distance_m = 0;
  bool colour_images = false;  // Batch::colour_images, RGB in [0, 1]
  bool capture_poses = false;  // Batch::capture_from_current
  int lidar_points = 0;        // LiDAR points drawn per frame (Batch::lidar_*); 0: none
  bool sample_seeds = false;   // Batch::sample_seed for the model's own random draws
  // Batch::camera_semantics from /cameras/semantics (the baseline's 2D
  // semantic loss, model.loss_image_semantics_weight).
  bool camera_semantics = false;
};

}  // namespace occ::models

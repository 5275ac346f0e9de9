#include "metrics/eval_inputs.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "core/error.h"
#include "core/strings.h"
#include "core/threads.h"
#include "datasets/grid_attributes.h"
#include "datasets/npy.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::metrics {
namespace {

const char* const kGtSemantics = "/occupancy/semantics";

std::string npz_path(const std::string& dir, const std::string& token) {
  return (std::filesystem::path(dir) / (token + ".npz")).string();
}

// The label array of an Occ3D submission file: 'arr_0' (np.savez_compressed
// of a bare array, the official format_results) or 'semantics'.
npy::Array read_npz_labels(const std::string& path, const std::string& key_hint) {
  npy::NpzReader npz(path);
  for (const char* key : {"arr_0", "semantics"}) {
    if (npz.contains(key)) return npz.read(key);
  }
  throw FormatError(str("cannot read ", occ::quoted(path), ": no ", key_hint, " array (it has ",
                        join(npz.names(), ", "), ")"));
}

}  // namespace

EvalInputs::EvalInputs(const EvalOptions& options) {
  gt_ = h5::open_artifact(options.gt, "frames");
  class_names_ = h5::read_string_list_attribute(gt_, "/", "class_names");
  free_class_ = static_cast<int>(h5::read_int_attribute(gt_, "/", "free_class"));
  grid_ = read_grid_attributes(gt_);
  const auto& voxel = grid_.voxel_size_m;
  if (options.wants("rayiou") && !grid_.cubic()) {
    throw FormatError(str("cannot compute rayiou on ", occ::quoted(options.gt), ": voxels are ", voxel[0],
                          " x ", voxel[1], " x ", voxel[2], " m, RayIoU needs cubic voxels"));
  }
  if (!gt_.is_dataset(kGtSemantics)) {
    throw FormatError(str("cannot evaluate against ", occ::quoted(options.gt), ": it has no dataset '",
                          kGtSemantics, "' (no occupancy ground truth)"));
  }
  if (options.pred_dir.empty()) {
    open_pred_file(options);
  } else {
    open_pred_dir(options);
  }
  if (gt_rows_.empty())
    throw FormatError(str("cannot evaluate ", occ::quoted(pred_name()), ": no frames to evaluate"));
}

void EvalInputs::open_pred_file(const EvalOptions& options) {
  pred_.emplace(options.pred);
  const PredFile& pred = *pred_;
  const int64_t gt_frames = h5::dataset_info(gt_, "/frames/token").shape[0];
  pred.require_made_from(gt_, gt_frames);
  const h5::Shape pred_shape(pred.grid_shape().begin(), pred.grid_shape().end());
  const h5::Shape gt_grid(grid_.shape.begin(), grid_.shape.end());
  if (pred_shape != gt_grid) {
    throw FormatError(str("cannot evaluate ", occ::quoted(options.pred), ": dataset '",
                          pred_dataset::kSemantics, "' has grid ", h5::shape_text(pred_shape), ", but ",
                          occ::quoted(options.gt), " has ", h5::shape_text(gt_grid)));
  }
  const auto& pred_classes = pred.class_names();
  const int pred_free = pred.free_class();
  if (pred_classes != class_names_ || pred_free != free_class_) {
    throw FormatError(str("cannot evaluate ", occ::quoted(options.pred), ": its classes (",
                          pred_classes.size(), ", free ", pred_free, ") differ from those of ",
                          occ::quoted(options.gt), " (", class_names_.size(), ", free ", free_class_, ")"));
  }
  for (int64_t i = 0; i < pred.frame_count(); ++i) {
    gt_rows_.push_back(pred.frames_row(i));
    pred_rows_.push_back(i);
  }
  if (options.wants("depth")) {
    for (const auto& [file, dataset] :
         {std::pair<const h5::File*, const char*>{&pred.file(), pred_dataset::kDepth},
          std::pair<const h5::File*, const char*>{&gt_, "/cameras/depth"}}) {
      if (!file->is_dataset(dataset)) {
        throw FormatError(str("cannot compute depth metrics: ", occ::quoted(file->path()),
                              " has no dataset '", dataset, "'"));
      }
    }
    const auto pred_depth = pred.shape(pred_dataset::kDepth);
    const auto gt_depth = h5::dataset_info(gt_, "/cameras/depth").shape;
    if (!std::equal(pred_depth.begin() + 1, pred_depth.end(), gt_depth.begin() + 1, gt_depth.end())) {
      throw FormatError(str("cannot evaluate ", occ::quoted(options.pred),
                            ": dataset '/pred/depth' has frames of ",
                            h5::shape_text(h5::Shape(pred_depth.begin() + 1, pred_depth.end())), ", but ",
                            occ::quoted(options.gt), " dataset '/cameras/depth' has ",
                            h5::shape_text(h5::Shape(gt_depth.begin() + 1, gt_depth.end()))));
    }
    depth_shape_ = gt_depth;
  }
}

void EvalInputs::open_pred_dir(const EvalOptions& options) {
  pred_dir_ = options.pred_dir;
  if (!std::filesystem::is_directory(pred_dir_)) {
    throw IoError(str("cannot open ", occ::quoted(pred_dir_), ": not a folder"));
  }
  const auto tokens = h5::read_strings(gt_, "/frames/token");
  const auto keyframe = h5::read<uint8_t>(gt_, "/frames/is_keyframe");
  std::string first_missing;
  int64_t keyframes = 0;
  for (size_t row = 0; row < tokens.size(); ++row) {
    if (!keyframe.values[row]) continue;  // Occ3D labels and submissions cover keyframes only
    ++keyframes;
    const std::string path = npz_path(pred_dir_, tokens[row]);
    if (!std::filesystem::exists(path)) {
      if (first_missing.empty()) first_missing = path;
      ++missing_;
      continue;
    }
    gt_rows_.push_back(static_cast<int64_t>(row));
    tokens_.push_back(tokens[row]);
  }
  if (missing_ > 0 && !options.allow_missing) {
    throw FormatError(str("cannot evaluate ", occ::quoted(pred_dir_), ": ", missing_, " of ", keyframes,
                          " keyframes of ", occ::quoted(options.gt), " have no prediction (first: ",
                          occ::quoted(first_missing), "); --allow-missing evaluates the others"));
  }
}

std::string EvalInputs::pred_name() const {
  return pred_dir_.empty() ? pred_->path() : pred_dir_;
}

bool EvalInputs::labels_ok(const uint8_t* labels, bool is_gt) const {
  if (class_names_.size() > 255) return true;  // every uint8 label is a class or 255
  const auto classes = static_cast<uint8_t>(class_names_.size());
  const int64_t voxels = grid_.count();
  // Branch-free byte arithmetic, so each loop vectorises (the check of
  // 2 x 200 frames took 0.12 s before); check_labels finds the culprit.
  uint8_t bad = 0;
  if (is_gt) {
    for (int64_t v = 0; v < voxels; ++v)
      bad |= static_cast<uint8_t>(static_cast<uint8_t>(labels[v] >= classes) & (labels[v] != 255));
  } else {
    for (int64_t v = 0; v < voxels; ++v) bad |= static_cast<uint8_t>(labels[v] >= classes);
  }
  return bad == 0;
}

void EvalInputs::check_batch(const uint8_t* labels, bool is_gt, int64_t first, int64_t count) const {
  // Frames are scanned in parallel; the first bad one in frame order is reported.
  std::vector<char> ok(static_cast<size_t>(count));
  parallel_for(count,
               [&](int64_t k) { ok[static_cast<size_t>(k)] = labels_ok(labels + k * grid_.count(), is_gt); });
  for (int64_t k = 0; k < count; ++k) {
    if (!ok[static_cast<size_t>(k)]) check_labels(labels + k * grid_.count(), is_gt, first + k);
  }
}

void EvalInputs::check_labels(const uint8_t* labels, bool is_gt, int64_t i) const {
  const int classes = static_cast<int>(class_names_.size());
  if (labels_ok(labels, is_gt)) return;
  for (int64_t v = 0; v < grid_.count(); ++v) {
    const int label = labels[v];
    if (label < classes || (is_gt && label == 255)) continue;
    const std::string source =
        is_gt ? str(occ::quoted(gt_.path()), ": dataset '", kGtSemantics, "' row ", gt_row(i))
              : (pred_dir_.empty() ? str(occ::quoted(pred_->path()), ": dataset '", pred_dataset::kSemantics,
                                         "' row ", pred_rows_[static_cast<size_t>(i)])
                                   : occ::quoted(npz_path(pred_dir_, tokens_[static_cast<size_t>(i)])));
    throw FormatError(str("cannot evaluate ", source, " has label ", label, " at voxel ", v, ", but ",
                          occ::quoted(gt_.path()), " defines ", classes, " classes",
                          is_gt ? " (255 = ignore)" : ""));
  }
}

std::vector<int64_t> EvalInputs::gt_rows(int64_t first, int64_t count) const {
  return {gt_rows_.begin() + first, gt_rows_.begin() + first + count};
}

std::vector<int64_t> EvalInputs::pred_rows(int64_t first, int64_t count) const {
  return {pred_rows_.begin() + first, pred_rows_.begin() + first + count};
}

void EvalInputs::read_gt_semantics(int64_t first, int64_t count, uint8_t* out, bool check) const {
  h5::read_row_list_raw(gt_, kGtSemantics, gt_rows(first, count), h5::DType::uint8, out);
  if (check) check_batch(out, true, first, count);
}

void EvalInputs::read_pred_semantics(int64_t first, int64_t count, uint8_t* out, bool check) const {
  if (pred_dir_.empty()) {
    h5::read_row_list_raw(pred_->file(), pred_dataset::kSemantics, pred_rows(first, count), h5::DType::uint8,
                          out);
  }
  for (int64_t k = 0; k < count && !pred_dir_.empty(); ++k) {
    const std::string path = npz_path(pred_dir_, tokens_[static_cast<size_t>(first + k)]);
    const npy::Array array = read_npz_labels(path, "'arr_0' or 'semantics'");
    const std::vector<int64_t> grid(grid_.shape.begin(), grid_.shape.end());
    if (array.shape != grid) {
      throw FormatError(str("cannot evaluate ", occ::quoted(path), ": labels have shape ",
                            h5::shape_text(array.shape), ", but ", occ::quoted(gt_.path()), " has grid ",
                            h5::shape_text(grid)));
    }
    const auto labels = array.as_labels(occ::quoted(path));
    std::copy(labels.begin(), labels.end(), out + k * grid_.count());
  }
  if (check) check_batch(out, false, first, count);
}

void EvalInputs::read_masks(int64_t first, int64_t count, const std::string& dataset, uint8_t* out) const {
  h5::read_row_list_raw(gt_, dataset, gt_rows(first, count), h5::DType::uint8, out);
}

void EvalInputs::read_gt_flows(int64_t first, int64_t count, float* out) const {
  h5::read_row_list_raw(gt_, "/occupancy/flow", gt_rows(first, count), h5::DType::float32, out);
}

bool EvalInputs::pred_has_flow() const {
  if (pred_dir_.empty()) return pred_->has_flow();
  return npy::NpzReader(npz_path(pred_dir_, tokens_.front())).contains("flow");
}

void EvalInputs::read_pred_flows(int64_t first, int64_t count, float* out) const {
  const int64_t values = 2 * grid_.count();
  if (pred_dir_.empty()) {
    if (!pred_->has_flow()) {
      throw FormatError(str(occ::quoted(pred_->path()), " has no dataset '", pred_dataset::kFlow, "'"));
    }
    // Read as stored and widened here: every float16 is exactly a float.
    std::vector<Half> halves(static_cast<size_t>(count * values));
    h5::read_row_list_raw(pred_->file(), pred_dataset::kFlow, pred_rows(first, count), h5::DType::float16,
                          halves.data());
    for (size_t k = 0; k < halves.size(); ++k) out[k] = half_to_float(halves[k]);
    return;
  }
  for (int64_t k = 0; k < count; ++k) {
    const std::string path = npz_path(pred_dir_, tokens_[static_cast<size_t>(first + k)]);
    const npy::Array array = npy::NpzReader(path).read("flow");
    const std::vector<int64_t> shape{grid_.shape[0], grid_.shape[1], grid_.shape[2], 2};
    if (array.shape != shape) {
      throw FormatError(str("cannot evaluate ", occ::quoted(path), ": flow has shape ",
                            h5::shape_text(array.shape), ", expected ", h5::shape_text(shape)));
    }
    const auto flow = array.as_float(str(occ::quoted(path), " entry 'flow'"));
    std::copy(flow.begin(), flow.end(), out + k * values);
  }
}

int64_t EvalInputs::depth_values_per_frame() const {
  int64_t n = 1;
  for (size_t a = 1; a < depth_shape_.size(); ++a) n *= depth_shape_[a];
  return n;
}

void EvalInputs::read_depths(int64_t i, float* gt, float* pred) const {
  h5::read_rows_raw(gt_, "/cameras/depth", gt_row(i), 1, h5::DType::float32, gt);
  pred_->read_depth(pred_rows_[static_cast<size_t>(i)], pred);
}

std::vector<FramePose> EvalInputs::frame_poses() const {
  if (!gt_.is_dataset("/lidar/origin")) {
    throw FormatError(str("cannot compute rayiou: ", occ::quoted(gt_.path()),
                          " has no dataset '/lidar/origin' (rays start at the LiDAR origins)"));
  }
  const auto scene = h5::read<int32_t>(gt_, "/frames/scene");
  const auto time = h5::read<int64_t>(gt_, "/frames/timestamp_us");
  const auto keyframe = h5::read<uint8_t>(gt_, "/frames/is_keyframe");
  const auto pose = h5::read<double>(gt_, "/frames/world_from_ego");
  const auto lidar = h5::read<double>(gt_, "/lidar/origin");
  std::vector<FramePose> poses(scene.values.size());
  for (size_t i = 0; i < poses.size(); ++i) {
    poses[i].scene = scene.values[i];
    poses[i].timestamp_us = time.values[i];
    poses[i].keyframe = keyframe.values[i] != 0;
    std::copy(pose.values.begin() + static_cast<long>(16 * i),
              pose.values.begin() + static_cast<long>(16 * i + 16), poses[i].world_from_ego.begin());
    poses[i].lidar_origin_in_ego = {lidar.values[3 * i], lidar.values[3 * i + 1], lidar.values[3 * i + 2]};
  }
  return poses;
}

}  // namespace occ::metrics

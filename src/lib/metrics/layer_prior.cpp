#include "metrics/layer_prior.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "datasets/pred_file.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::metrics {
namespace {

constexpr uint8_t kIgnored = 255;

std::vector<int64_t> keyframes_of(const FramesFile& frames) {
  const auto flags = h5::read<uint8_t>(frames.file(), "/frames/is_keyframe").values;
  std::vector<int64_t> rows;
  for (size_t row = 0; row < flags.size(); ++row)
    if (flags[row] == 1) rows.push_back(static_cast<int64_t>(row));
  if (rows.empty()) throw FormatError(str(quoted(frames.path()), " has no keyframes"));
  return rows;
}

void require_same_grid(const FramesFile& train, const FramesFile& frames) {
  bool same = train.grid_shape() == frames.grid_shape() && train.class_names() == frames.class_names() &&
              train.free_class() == frames.free_class();
  for (size_t axis = 0; axis < 3; ++axis)
    same = same && std::abs(train.grid_origin()[axis] - frames.grid_origin()[axis]) < 1e-6 &&
           std::abs(train.voxel_size()[axis] - frames.voxel_size()[axis]) < 1e-6;
  if (!same)
    throw UsageError(str("--layer-prior: ", quoted(train.path()), " and ", quoted(frames.path()),
                         " differ in grid (shape, origin or voxel size) or classes"));
}

}  // namespace

LayerClassCounts::LayerClassCounts(const std::array<int64_t, 3>& grid_shape, int num_classes)
    : shape_(grid_shape),
      classes_(num_classes),
      counts_(static_cast<size_t>(grid_shape[2] * num_classes), 0) {
  if (num_classes < 1 || num_classes > 255 || grid_shape[0] < 1 || grid_shape[1] < 1 || grid_shape[2] < 1)
    throw UsageError("layer prior: needs a non-empty grid and 1 to 255 classes");
}

void LayerClassCounts::add(const uint8_t* semantics, const uint8_t* mask, const std::string& where) {
  const int64_t nz = shape_[2];
  const int64_t voxels = shape_[0] * shape_[1] * nz;
  for (int64_t i = 0; i < voxels; ++i) {
    if (mask != nullptr && mask[i] == 0) continue;
    const uint8_t id = semantics[i];
    if (id == kIgnored) continue;
    if (id >= classes_)
      throw FormatError(str(where, ": class id ", static_cast<int>(id), " at voxel ", i, " but only ",
                            classes_, " classes"));
    ++counts_[static_cast<size_t>((i % nz) * classes_ + id)];  // C order: z varies fastest
  }
}

int64_t LayerClassCounts::count(int64_t layer, int class_id) const {
  return counts_.at(static_cast<size_t>(layer * classes_ + class_id));
}

std::vector<int64_t> LayerClassCounts::totals() const {
  std::vector<int64_t> sums(static_cast<size_t>(classes_), 0);
  for (size_t i = 0; i < counts_.size(); ++i) sums[i % sums.size()] += counts_[i];
  return sums;
}

std::vector<uint8_t> LayerClassCounts::most_frequent(int free_class) const {
  std::vector<uint8_t> layers;
  for (int64_t z = 0; z < shape_[2]; ++z) {
    const auto first = counts_.begin() + z * classes_;
    const auto best = std::max_element(first, first + classes_);  // the first of equal maxima
    layers.push_back(static_cast<uint8_t>(*best == 0 ? free_class : best - first));
  }
  return layers;
}

std::vector<uint8_t> fill_layers(const std::array<int64_t, 3>& grid_shape,
                                 const std::vector<uint8_t>& layers) {
  if (static_cast<int64_t>(layers.size()) != grid_shape[2])
    throw UsageError(str("layer prior: ", layers.size(), " layers for a grid of ", grid_shape[2]));
  std::vector<uint8_t> grid(static_cast<size_t>(grid_shape[0] * grid_shape[1] * grid_shape[2]));
  for (size_t i = 0; i < grid.size(); ++i) grid[i] = layers[i % layers.size()];
  return grid;
}

namespace {

LayerClassCounts counts_of_rows(const FramesFile& frames, const std::vector<int64_t>& rows) {
  if (!frames.has("/occupancy/semantics"))
    throw FormatError(str(quoted(frames.path()), " has no /occupancy/semantics to count classes in"));
  const bool masked = frames.has("/occupancy/mask_camera");
  LayerClassCounts counts(frames.grid_shape(), static_cast<int>(frames.class_names().size()));
  for (const int64_t row : rows) {
    if (row < 0 || row >= frames.frame_count())
      throw UsageError(str(quoted(frames.path()), " has no frame row ", row, " to count classes in"));
    const std::vector<uint8_t> semantics = frames.occupancy(row);
    const std::vector<uint8_t> mask = masked ? frames.camera_mask(row) : std::vector<uint8_t>();
    counts.add(semantics.data(), masked ? mask.data() : nullptr,
               str(quoted(frames.path()), " /occupancy/semantics row ", row));
  }
  return counts;
}

}  // namespace

std::vector<uint8_t> layer_prior_of_frames(const std::string& train_path) {
  const FramesFile train(train_path);
  return counts_of_rows(train, keyframes_of(train)).most_frequent(train.free_class());
}

std::vector<int64_t> class_counts_of_frames(const std::string& path, const std::vector<int64_t>& rows) {
  return counts_of_rows(FramesFile(path), rows).totals();
}

int64_t write_layer_prior_predictions(const std::string& train_path, const std::string& frames_path,
                                      const std::string& output_path, const nlohmann::json& provenance) {
  const FramesFile frames(frames_path);
  require_same_grid(FramesFile(train_path), frames);
  const std::vector<int64_t> rows = keyframes_of(frames);
  const auto shape = frames.grid_shape();
  const std::vector<uint8_t> grid = fill_layers(shape, layer_prior_of_frames(train_path));

  h5::OutputArtifact out(output_path, "pred", provenance);
  out.set_frames_uuid(frames.uuid());
  h5::File& file = out.file();
  h5::write_attribute(file, "/", "class_names", frames.class_names());
  h5::write_attribute(file, "/", "free_class", static_cast<int64_t>(frames.free_class()));
  h5::write_attribute(file, "/", "grid_shape", std::vector<int64_t>(shape.begin(), shape.end()));
  const auto origin = frames.grid_origin();
  const auto voxel = frames.voxel_size();
  h5::write_attribute(file, "/", "grid_origin_m", std::vector<double>(origin.begin(), origin.end()));
  h5::write_attribute(file, "/", "voxel_size_m", std::vector<double>(voxel.begin(), voxel.end()));
  const auto count = static_cast<int64_t>(rows.size());
  std::vector<int32_t> frame_rows(rows.begin(), rows.end());
  h5::write(file, pred_dataset::kFrame, frame_rows, {count});
  h5::create_dataset(file, pred_dataset::kSemantics, h5::DType::uint8, {count, shape[0], shape[1], shape[2]});
  for (int64_t i = 0; i < count; ++i) h5::write_rows(file, pred_dataset::kSemantics, i, 1, grid.data());
  out.commit();
  return count;
}

}  // namespace occ::metrics

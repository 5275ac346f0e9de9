#pragma once
// The image-blind predictor of docs/demo_learning.md (`occ predict
// --layer-prior`): every voxel of height layer z gets the class most frequent
// in layer z over the camera-observed voxels of a training frames file. It
// never looks at an image, so a trained model must beat it to have learned
// anything from the cameras.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occ::metrics {

// Class counts per height layer of a [X, Y, Z] C-order grid.
class LayerClassCounts {
 public:
  LayerClassCounts(const std::array<int64_t, 3>& grid_shape, int num_classes);
  // One frame's class ids; voxels where `mask` is 0 (mask may be null: every
  // voxel counts) and ignored ids (255) are skipped. Another id >= classes
  // throws FormatError naming `where`.
  void add(const uint8_t* semantics, const uint8_t* mask, const std::string& where);
  int64_t count(int64_t layer, int class_id) const;
  // Per class, its count summed over the layers.
  std::vector<int64_t> totals() const;
  // Per layer, the most frequent class (ties: the lowest id); a layer with no
  // counted voxel gets `free_class`.
  std::vector<uint8_t> most_frequent(int free_class) const;

 private:
  std::array<int64_t, 3> shape_;
  int classes_;
  std::vector<int64_t> counts_;  // [Z, classes]
};

// The [X, Y, Z] grid whose every voxel of layer z holds layers[z].
std::vector<uint8_t> fill_layers(const std::array<int64_t, 3>& grid_shape,
                                 const std::vector<uint8_t>& layers);

// The most frequent class of each layer over every keyframe of the frames
// file at `train_path` (its /occupancy/mask_camera voxels when it has them).
// Throws FormatError when the file has no occupancy or no keyframe.
std::vector<uint8_t> layer_prior_of_frames(const std::string& train_path);

// The camera-observed voxel count of each class (255 left out) over the
// frames `rows` of the frames file at `path` (/occupancy/mask_camera voxels
// when it has them, else all): the class frequencies of the baseline's
// weighted cross-entropy (model.loss_ce_class_weighting). Throws FormatError
// when the file has no occupancy, UsageError for a row outside it.
std::vector<int64_t> class_counts_of_frames(const std::string& path, const std::vector<int64_t>& rows);

// Writes a predictions file (schema occ.pred) of every keyframe of
// `frames_path` with the layer prior of `train_path`; the two files must
// share grid and classes (UsageError naming both). Returns the frame count.
int64_t write_layer_prior_predictions(const std::string& train_path, const std::string& frames_path,
                                      const std::string& output_path, const nlohmann::json& provenance);

}  // namespace occ::metrics

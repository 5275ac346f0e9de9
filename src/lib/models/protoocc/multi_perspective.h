#pragma once
// The query augmentations of ProtoOcc's multi-perspective occupancy decoding
// (Oh et al., CVPR 2025, Sec. 3.3; ../shared/reference/protoocc.md): the
// encoded query volume is copied P times with feature-level (random dropout,
// Gaussian noise) or spatial-level (transpose, flips) changes, each copy goes
// through the shared decoder, and a spatial change is undone on the decoded
// output before the losses compare the views (losses/consistency_loss.h).
// Augmented views exist only in training, so inference costs the same as the
// baseline decoder.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace occ::models {

enum class PerspectiveAugmentation { Dropout, Noise, Transpose, FlipX, FlipY };

// "dropout,noise,transpose,flip_x,flip_y": any subset, each name once, in the
// order the views are to be made (the order fixes the random draws); blanks
// around names are ignored; "none" or "" give no augmentation. Throws
// UsageError naming `key` (an option such as "--aug" or a configuration key)
// for an unknown, empty or repeated name.
std::vector<PerspectiveAugmentation> parse_perspective_augmentations(const std::string& list,
                                                                     const std::string& key);

// "dropout", "noise", "transpose", "flip_x", "flip_y": what the parser reads.
std::string perspective_augmentation_name(PerspectiveAugmentation augmentation);

// The names joined with ",", "none" when empty: parses back to the same list.
std::string perspective_augmentation_list(const std::vector<PerspectiveAugmentation>& augmentations);

// True for the augmentations that move voxels (transpose, flips), which must
// be undone on the decoded output; false for dropout and noise.
bool is_spatial(PerspectiveAugmentation augmentation);

// CHOSEN defaults of protoocc.md: dropout p = 0.1, noise sigma = 0.1.
struct PerspectiveOptions {
  double dropout = 0.1;    // probability of zeroing an element, in [0, 1)
  double noise_std = 0.1;  // standard deviation of the added noise, >= 0

  // Throws UsageError for a value outside its range.
  void validate() const;
};

// volume [B, C, X, Y, Z] (the encoded query volume; any tensor whose last
// three axes are X, Y, Z) -> an augmented copy, differentiable w.r.t. volume:
//   Dropout:   F.dropout(volume, p, training=True), survivors scaled by 1/(1-p)
//   Noise:     volume + N(0, noise_std^2)
//   Transpose: swap X and Y (UsageError unless X == Y)
//   FlipX/Y:   reverse that axis
// Random draws come from LibTorch's default CPU generator whatever the
// volume's device (the trainer seeds it and saves its state, so a resumed run
// repeats the same draws); on the CPU, Dropout draws exactly what at::dropout
// draws. Throws UsageError for invalid options or a volume of rank < 3.
at::Tensor augment_volume(const at::Tensor& volume, PerspectiveAugmentation augmentation,
                          const PerspectiveOptions& options);

// Undoes a spatial augmentation on a decoded output [B, K, X', Y', Z'] (logits
// or probabilities on the output grid; [B, X', Y', Z'] occupancy logits work
// too: the last three axes are taken as X, Y, Z); returns `output` itself for
// Dropout and Noise. Throws UsageError for a transpose of an output with
// X' != Y' or of rank < 3.
at::Tensor undo_augmentation(const at::Tensor& output, PerspectiveAugmentation augmentation);

}  // namespace occ::models

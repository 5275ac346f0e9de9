#pragma once
// A pixel threshold given at one image width, used at another: Let Occ
// Flow's dynamic-ray threshold (8 px) is in pixels of its 704 px wide
// nuScenes renders (../shared/reference/letoccflow.md, "Losses and
// weights"), so occ flow-labels and the model's dynamic disentanglement both
// scale it to the width they work at. at_width 0: the threshold as given.
namespace occ {

inline double threshold_at_width(double threshold_px, double width, double at_width) {
  return at_width > 0 ? threshold_px * width / at_width : threshold_px;
}

}  // namespace occ

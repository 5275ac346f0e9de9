#pragma once
// The geometric and photometric steps from a stored camera image to network
// input, each keeping the pixel-from-camera matrix K consistent with the
// pixels. Convention: pixel (i, j) covers [j, j+1) x [i, i+1), so the image
// spans [0, W] and K maps a camera point to continuous coordinates in it
// (cv::resize's half-pixel-centre sampling follows the same convention).
#include <opencv2/core.hpp>

#include <array>
#include <vector>

namespace occ::train {

using PixelFromCamera = std::array<double, 9>;  // row-major 3x3

// Resizes to height x width (0 keeps that side); INTER_AREA when shrinking
// both sides (averages, no aliasing), INTER_LINEAR otherwise. K's first row
// scales by W'/W and its second by H'/H.
cv::Mat resize_image(const cv::Mat& image, int height, int width, PixelFromCamera& intrinsics);

// Mirrors the image left-right: u' = W - u, so K' = [[-1, 0, W], [0, 1, 0],
// [0, 0, 1]] K, i.e. fx' = -fx, skew' = -skew, cx' = W - cx. Projecting a
// point with K' gives the mirrored pixel of its projection with K.
cv::Mat flip_image(const cv::Mat& image, PixelFromCamera& intrinsics);

// Writes an 8-bit RGB image as 3 planes (CHW) of (value - mean[c]) / std[c]
// into `planes` (3 * H * W floats). With `bgr` plane 0 is blue; mean and std
// are given in the output's channel order.
void normalise_to_planes(const cv::Mat& rgb, const std::array<float, 3>& mean,
                         const std::array<float, 3>& std, bool bgr, float* planes);

// Source index of each output index along one axis for a nearest resize
// with pixel centres aligned: floor((i + 0.5) * in / out), clamped (PyTorch's
// "nearest-exact"); label maps and flow labels are resized with it.
std::vector<int> nearest_exact_sources(int in_size, int out_size);

}  // namespace occ::train

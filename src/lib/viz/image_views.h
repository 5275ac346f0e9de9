#pragma once
// Views of camera images: depth and optical flow in colour, superpixel
// boundaries, projected occupancy, and the rig layout. CV_8UC3 RGB.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "datasets/frames_file.h"
#include "viz/occupancy_grid.h"

namespace occ::viz {

// Optical flow with the Middlebury colour wheel (Baker et al. 2011): hue =
// direction, saturation = magnitude / max_magnitude (<= 0: the image's
// largest finite flow). NaN or invalid (mask 0) pixels are black.
cv::Mat flow_to_colour(const cv::Mat& flow, double max_magnitude = 0, const cv::Mat& valid = cv::Mat());

// Depth in metres (0 = unknown, black) through the turbo colour map on log
// depth between min_m (red) and max_m (blue).
cv::Mat depth_to_colour(const cv::Mat& depth, double min_m = 1.0, double max_m = 80.0);

// Superpixel boundaries (CV_32S or CV_16U labels, resized nearest to the
// image) drawn over the image.
cv::Mat draw_boundaries(const cv::Mat& image, const cv::Mat& labels, const cv::Vec3b& colour = {255, 255, 0});

// Regions of a label map (CV_32S or CV_16U ids >= 0, resized nearest to the
// image, as draw_boundaries does) each painted flat with the mean colour of
// its pixels in `image`, with their boundaries drawn in `boundary`: a picture
// of a partition (ProtoOcc prototypes, superpixel masks) that shows both how
// the image was cut and how uniform each part is.
cv::Mat paint_region_means(const cv::Mat& image, const cv::Mat& labels,
                           const cv::Vec3b& boundary = {255, 255, 255});

// Occupied voxels projected into a camera (nearest wins), blended over the image.
cv::Mat overlay_occupancy(const cv::Mat& image, const OccupancyGrid& grid,
                          const std::vector<cv::Vec3b>& palette, const Matrix3& intrinsics,
                          const Matrix4& ego_from_camera, bool camera_only, double alpha = 0.55);

// Camera images in rig layout: nuScenes' six cameras as
// FRONT_LEFT FRONT FRONT_RIGHT / BACK_LEFT BACK BACK_RIGHT (back row mirrored
// as people look at it), anything else in one row. Each image is scaled to
// `tile_width`; names are written on the tiles.
cv::Mat rig_sheet(const std::vector<cv::Mat>& images, const std::vector<std::string>& names, int tile_width);

}  // namespace occ::viz

#pragma once
// Optical flow and segment masks written by other tools, read so that
// flow-labels and cluster-masks can use a model the user runs elsewhere
// (UniMatch, RAFT, CoTracker; Segment Anything) in place of the classical
// methods: letoccflow.md "keep the door open for a model file the user
// brings"; ProtoOcc Table 7 compares superpixels with SAM masks.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace occ::labels {

// The flow extensions looked for, in this order.
const std::vector<std::string>& flow_file_extensions();

struct ImportedFlow {
  cv::Mat flow;   // CV_32FC2 pixels (dx, dy); 0 where unknown
  cv::Mat known;  // CV_8U: 1 where the file gives a flow value
};

// Reads one flow field:
// - .png: KITTI 2015 flow (devkit io_flow.h): 16-bit RGB, u = (R - 2^15) / 64,
//   v = (G - 2^15) / 64, B = 1 where valid;
// - .flo: Middlebury (flowIO.cpp): float 202021.25, int32 width, int32
//   height, then (u, v) float32 per pixel row by row; |u| or |v| > 1e9 unknown;
// - .npy: NumPy array of shape (H, W, 2), float16/32/64; NaN or inf unknown.
// Throws IoError (missing, unreadable) or FormatError (wrong layout, size or
// dtype) naming the file.
ImportedFlow read_flow_file(const std::string& path);

// The flow file of `frame_token` and `camera` in `direction` (next or prev)
// under `dir`: dir/<direction>/<frame_token>/<camera>.{png,flo,npy}, the
// first that exists. Throws IoError naming the paths looked for when none does.
std::string find_flow_file(const std::string& dir, const std::string& direction,
                           const std::string& frame_token, const std::string& camera);

// `imported` at the working size: as is when it has that size, else resized
// from `native` (the frames file's image size) with the vectors scaled;
// any other size throws FormatError naming `path`.
ImportedFlow fit_flow(const ImportedFlow& imported, cv::Size native, cv::Size working,
                      const std::string& path);

// A label map (segment masks) from a single-channel 8- or 16-bit PNG, as
// CV_32S ids; throws IoError / FormatError naming the file.
cv::Mat read_label_png(const std::string& path);

// dir/<frame_token>/<camera>.png; IoError naming it when it is missing.
std::string find_label_file(const std::string& dir, const std::string& frame_token,
                            const std::string& camera);

}  // namespace occ::labels

#include "train/lidar_sampler.h"

#include <ATen/ATen.h>

#include <numeric>
#include <utility>

#include "core/error.h"
#include "core/strings.h"
#include "h5/dataset.h"
#include "train/sample_order.h"

namespace occ::train {

LidarSampler::LidarSampler(const FramesFile& frames) : frames_(frames) {
  if (!frames.has("/lidar/offsets") || !frames.has("/lidar/points"))
    throw FormatError(str(quoted(frames.path()), " has no LiDAR ('/lidar/offsets' and '/lidar/points')"));
  if (!frames.has("/lidar/origin"))
    throw FormatError(
        str(quoted(frames.path()),
            " has LiDAR points but no sensor origins ('/lidar/origin'), where LiDAR rays start"));
  offsets_ = h5::read<int64_t>(frames.file(), "/lidar/offsets").values;
  origins_ = h5::read<double>(frames.file(), "/lidar/origin").values;
  if (origins_.size() != static_cast<size_t>(frames.frame_count()) * 3)
    throw FormatError(str(quoted(frames.path()), ": /lidar/origin must hold 3 values for each of the ",
                          frames.frame_count(), " frames, got ", origins_.size()));
  const int64_t points = h5::dataset_info(frames.file(), "/lidar/points").shape.at(0);
  bool ordered = offsets_.size() == static_cast<size_t>(frames.frame_count()) + 1 && offsets_.front() == 0 &&
                 offsets_.back() == points;
  for (size_t i = 1; ordered && i < offsets_.size(); ++i) ordered = offsets_[i] >= offsets_[i - 1];
  if (!ordered) {
    throw FormatError(str(quoted(frames.path()), ": /lidar/offsets must rise from 0 to the ", points,
                          " rows of /lidar/points with one entry per frame plus one"));
  }
}

LidarDraw LidarSampler::draw(int64_t row, int count, uint64_t key) const {
  LidarDraw out;
  out.points = at::zeros({count, 3}, at::kFloat);
  out.valid = at::zeros({count}, at::kBool);
  out.origin = at::empty({3}, at::kFloat);
  for (size_t axis = 0; axis < 3; ++axis)
    out.origin.data_ptr<float>()[axis] = static_cast<float>(origins_.at(static_cast<size_t>(row) * 3 + axis));
  const int64_t first = offsets_.at(static_cast<size_t>(row));
  const int64_t available = offsets_.at(static_cast<size_t>(row) + 1) - first;
  if (available == 0 || count == 0) return out;
  const std::vector<float> stored =
      h5::read_rows<float>(frames_.file(), "/lidar/points", first, available).values;
  std::vector<int64_t> order(static_cast<size_t>(available));
  std::iota(order.begin(), order.end(), int64_t{0});
  float* points = out.points.data_ptr<float>();
  for (int64_t i = 0; i < count; ++i) {
    int64_t pick = 0;
    const uint64_t hash = hash_values({key, static_cast<uint64_t>(i)});
    if (i < available) {
      // Partial Fisher-Yates: position i takes a random one of the rest.
      const int64_t j = i + static_cast<int64_t>(hash % static_cast<uint64_t>(available - i));
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
      pick = order[static_cast<size_t>(i)];
    } else {
      pick = static_cast<int64_t>(hash % static_cast<uint64_t>(available));
    }
    for (int64_t axis = 0; axis < 3; ++axis)
      points[i * 3 + axis] = stored[static_cast<size_t>(pick * 4 + axis)];
  }
  out.valid.fill_(true);
  return out;
}

}  // namespace occ::train

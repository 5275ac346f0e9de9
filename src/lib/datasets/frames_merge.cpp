#include "datasets/frames_merge.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/strings.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::datasets {
namespace {

// Attributes every part must share; provenance (uuid, created_by, ...) is the merge's own.
const std::vector<std::string> kSharedAttributes = {
    "schema_version", "grid_shape",   "grid_origin_m", "voxel_size_m", "class_names", "free_class",
    "dataset",        "camera_names", "image_size",    "dataroot",     "rig"};
constexpr int64_t kCopyBytes = 64 << 20;  // rows copied per batch: bounded memory
constexpr int64_t kChunkBytes = 1 << 20;

std::string attribute_or_absent(const h5::File& file, const std::string& name) {
  return h5::has_attribute(file, "/", name) ? h5::attribute_text(h5::read_attribute(file, "/", name))
                                            : "(absent)";
}

void require_same(const std::vector<h5::File>& parts, const std::vector<std::string>& paths) {
  const auto datasets = parts[0].dataset_paths();
  for (size_t p = 1; p < parts.size(); ++p) {
    for (const auto& name : kSharedAttributes) {
      const std::string first = attribute_or_absent(parts[0], name),
                        other = attribute_or_absent(parts[p], name);
      if (first != other) {
        throw FormatError(str("cannot merge ", occ::quoted(paths[p]), ": its ", name, " is ", other,
                              " where ", occ::quoted(paths[0]), " has ", first));
      }
    }
    if (parts[p].dataset_paths() != datasets) {
      throw FormatError(str("cannot merge ", occ::quoted(paths[p]), ": it holds other datasets than ",
                            occ::quoted(paths[0])));
    }
  }
}

int64_t row_bytes(const h5::DatasetInfo& info) {
  h5::Shape row(info.shape.begin() + 1, info.shape.end());
  return std::max<int64_t>(1, h5::element_count(row) * int64_t(h5::dtype_size(info.dtype)));
}

// Concatenates a numeric dataset, adding `shift(part)` to values >= 0 when asked.
void copy_rows(h5::File& out, const std::vector<h5::File>& parts, const std::string& path,
               const h5::Compression& compression, const std::vector<int64_t>& shifts, bool offsets) {
  const h5::DatasetInfo first = h5::dataset_info(parts[0], path);
  int64_t total = 0;
  for (const auto& part : parts) total += h5::dataset_info(part, path).shape[0] - (offsets ? 1 : 0);
  if (offsets) total += 1;
  h5::Shape shape = first.shape;
  shape[0] = total;
  h5::Shape chunk = shape;
  chunk[0] = std::clamp<int64_t>(kChunkBytes / row_bytes(first), 1, std::max<int64_t>(total, 1));
  h5::create_dataset(out, path, first.dtype, shape, {compression, chunk, false});
  int64_t at = 0;
  for (size_t p = 0; p < parts.size(); ++p) {
    const int64_t rows = h5::dataset_info(parts[p], path).shape[0];
    const int64_t skip = offsets && p > 0 ? 1 : 0;  // every part's offsets start with 0
    const int64_t batch = std::max<int64_t>(1, kCopyBytes / row_bytes(first));
    for (int64_t row = skip; row < rows; row += batch) {
      const int64_t count = std::min(batch, rows - row);
      if (shifts.empty()) {
        std::vector<char> buffer(size_t(count * row_bytes(first)));
        h5::read_rows_raw(parts[p], path, row, count, first.dtype, buffer.data());
        h5::write_rows_raw(out, path, at, count, first.dtype, buffer.data());
      } else if (first.dtype == h5::DType::int32) {
        auto values = h5::read_rows<int32_t>(parts[p], path, row, count).values;
        for (auto& v : values) v = v >= 0 ? int32_t(v + shifts[p]) : v;
        h5::write_rows(out, path, at, count, values.data());
      } else {
        auto values = h5::read_rows<int64_t>(parts[p], path, row, count).values;
        for (auto& v : values) v += shifts[p];
        h5::write_rows(out, path, at, count, values.data());
      }
      at += count;
    }
  }
}

}  // namespace

void MergeOptions::validate() const {
  if (inputs.size() < 2) throw UsageError("occ prep merge needs at least two frames files");
  if (output.empty()) throw UsageError("--output is required");
  if (std::find(inputs.begin(), inputs.end(), output) != inputs.end()) {
    throw UsageError(str("--output ", occ::quoted(output), " is also an input"));
  }
  h5::Compression::parse(compression);
}

int64_t merge_frames(const MergeOptions& options) {
  options.validate();
  std::vector<h5::File> parts;
  for (const auto& path : options.inputs) parts.push_back(h5::open_artifact(path, "frames"));
  require_same(parts, options.inputs);
  const auto compression = h5::Compression::parse(options.compression);
  h5::OutputArtifact artifact(
      options.output, "frames",
      nlohmann::json{{"inputs", options.inputs}, {"compression", options.compression}});
  h5::File& out = artifact.file();
  for (const auto& name : kSharedAttributes) {
    if (name != "schema_version" && h5::has_attribute(parts[0], "/", name))
      h5::write_attribute(out, "/", name, h5::read_attribute(parts[0], "/", name));
  }
  // Rows, scenes, LiDAR points and boxes before each part.
  // Instance ids stay unique: each part's ids follow the largest before it.
  std::vector<int64_t> row_shift, scene_shift, point_shift, box_shift, instance_shift;
  int64_t rows = 0, scenes = 0, points = 0, boxes = 0, instances = 0;
  const bool has_points = parts[0].is_dataset("/lidar/offsets"),
             has_boxes = parts[0].is_dataset("/boxes/offsets");
  for (const auto& part : parts) {
    row_shift.push_back(rows);
    scene_shift.push_back(scenes);
    point_shift.push_back(points);
    box_shift.push_back(boxes);
    instance_shift.push_back(instances);
    rows += h5::dataset_info(part, "/frames/token").shape[0];
    scenes += h5::dataset_info(part, "/scenes/name").shape[0];
    if (has_points) points += h5::dataset_info(part, "/lidar/points").shape[0];
    if (has_boxes) {
      boxes += h5::dataset_info(part, "/boxes/class").shape[0];
      const auto ids = h5::read<int32_t>(part, "/boxes/instance").values;
      if (!ids.empty()) instances += std::max<int64_t>(0, *std::max_element(ids.begin(), ids.end()) + 1);
    }
  }
  for (const auto& path : parts[0].dataset_paths()) {
    const h5::DatasetInfo info = h5::dataset_info(parts[0], path);
    if (info.dtype == h5::DType::string) {
      std::vector<std::string> values;
      for (const auto& part : parts) {
        const auto more = h5::read_strings(part, path);
        values.insert(values.end(), more.begin(), more.end());
      }
      h5::Shape shape = info.shape;
      shape[0] = int64_t(values.size()) /
                 std::max<int64_t>(1, h5::element_count(info.shape) / std::max<int64_t>(1, info.shape[0]));
      h5::write_strings(out, path, values, info.shape.size() > 1 ? shape : h5::Shape{});
    } else if (path == "/frames/scene") {
      copy_rows(out, parts, path, compression, scene_shift, false);
    } else if (path == "/frames/prev" || path == "/frames/next") {
      copy_rows(out, parts, path, compression, row_shift, false);
    } else if (path == "/boxes/instance") {
      copy_rows(out, parts, path, compression, instance_shift, false);
    } else if (path == "/lidar/offsets") {
      copy_rows(out, parts, path, compression, point_shift, true);
    } else if (path == "/boxes/offsets") {
      copy_rows(out, parts, path, compression, box_shift, true);
    } else {
      copy_rows(out, parts, path, compression, {}, false);
    }
  }
  artifact.commit();
  return rows;
}

}  // namespace occ::datasets

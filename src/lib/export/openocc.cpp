#include "export/openocc.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "core/threads.h"
#include "datasets/frames_file.h"
#include "export/pickle_writer.h"
#include "geom/rigid.h"
#include "h5/atomic_file.h"
#include "h5/dataset.h"
#include "metrics/ray_cast.h"

namespace occ::exporting {
namespace {

// SparseOcc EgoPoseDataset: origins outside this square are dropped, and
// at most this many are kept.
constexpr double kOriginLimitM = 39.0;
constexpr size_t kMaxOrigins = 8;

class GzipFile {
 public:
  GzipFile(const std::string& storage_path, std::string display_path)
      : display_path_(std::move(display_path)) {
    file_ = gzopen(storage_path.c_str(), "wb");
    if (!file_) throw IoError(str("cannot write ", occ::quoted(display_path_)));
  }
  ~GzipFile() {
    if (file_) gzclose(file_);
  }
  void write(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(bytes.size() - done, 1u << 30));
      if (gzwrite(file_, bytes.data() + done, chunk) != static_cast<int>(chunk)) {
        int code = 0;
        throw IoError(str("cannot write ", occ::quoted(display_path_), ": ", gzerror(file_, &code)));
      }
      done += chunk;
    }
  }
  void close() {
    const int status = gzclose(file_);
    file_ = nullptr;
    if (status != Z_OK)
      throw IoError(str("cannot write ", occ::quoted(display_path_), ": gzip error ", status));
  }

 private:
  gzFile file_ = nullptr;
  std::string display_path_;
};

void write_text_item(PickleWriter& pickle, const std::string& key, const std::string& value) {
  pickle.text(key);
  pickle.text(value);
}

}  // namespace

std::vector<uint8_t> openocc_class_map(const std::vector<std::string>& class_names) {
  const auto& openocc = openocc_class_names();
  const uint8_t free_id = static_cast<uint8_t>(openocc.size() - 1);
  std::vector<uint8_t> map;
  for (const auto& name : class_names) {
    const auto found = std::find(openocc.begin(), openocc.end(), name);
    if (found != openocc.end()) {
      map.push_back(static_cast<uint8_t>(found - openocc.begin()));
    } else if (name == "others") {
      map.push_back(free_id);
    } else {
      throw FormatError(str("class ", occ::quoted(name),
                            " has no OpenOcc counterpart (OpenOcc classes: ", join(openocc, ", "), ")"));
    }
  }
  return map;
}

RayOrigins::RayOrigins(const FramesFile& frames) : frames_(frames) {
  const h5::File& file = frames.file();
  if (!frames.has("/lidar/origin")) {
    throw FormatError(
        str(occ::quoted(frames.path()), " has no dataset '/lidar/origin' (LiDAR origins for ray casting)"));
  }
  scene_ = h5::read<int32_t>(file, "/frames/scene").values;
  keyframe_ = h5::read<uint8_t>(file, "/frames/is_keyframe").values;
  time_ = h5::read<int64_t>(file, "/frames/timestamp_us").values;
  poses_ = h5::read<double>(file, "/frames/world_from_ego").values;
  lidar_ = h5::read<double>(file, "/lidar/origin").values;
}

std::vector<std::array<double, 3>> RayOrigins::of(int64_t row) const {
  const auto& scene = scene_;
  const auto& keyframe = keyframe_;
  const auto& time = time_;
  const auto& poses = poses_;
  const auto& lidar = lidar_;
  const FramesFile& frames = frames_;
  std::vector<int64_t> rows;
  for (int64_t j = 0; j < static_cast<int64_t>(scene.size()); ++j) {
    if (scene[j] == scene[row] && keyframe[j]) rows.push_back(j);
  }
  std::stable_sort(rows.begin(), rows.end(), [&](int64_t a, int64_t b) { return time[a] < time[b]; });
  auto pose_of = [&](int64_t j) {
    geom::Matrix4 pose;
    std::copy(poses.begin() + j * 16, poses.begin() + (j + 1) * 16, pose.begin());
    return pose;
  };
  const geom::Matrix4 ego_from_world = geom::rigid_inverse(pose_of(row));
  std::vector<std::array<double, 3>> origins;
  for (const int64_t j : rows) {
    const geom::Matrix4 ref_from_j = geom::multiply(ego_from_world, pose_of(j));
    std::array<double, 3> origin{};
    for (int r = 0; r < 3; ++r) {
      origin[r] = ref_from_j[r * 4 + 3];
      for (int c = 0; c < 3; ++c) origin[r] += ref_from_j[r * 4 + c] * lidar[j * 3 + c];
    }
    if (std::abs(origin[0]) < kOriginLimitM && std::abs(origin[1]) < kOriginLimitM) origins.push_back(origin);
  }
  if (origins.size() > kMaxOrigins) {
    // np.round(np.linspace(0, n - 1, 8)): round half to even.
    std::vector<std::array<double, 3>> picked;
    const double step = static_cast<double>(origins.size() - 1) / (kMaxOrigins - 1);
    for (size_t i = 0; i < kMaxOrigins; ++i) {
      const double at = i + 1 == kMaxOrigins ? static_cast<double>(origins.size() - 1) : i * step;
      picked.push_back(origins[static_cast<size_t>(std::nearbyint(at))]);
    }
    origins = picked;
  }
  if (origins.empty()) {
    throw FormatError(str("frame ", row, " (", occ::quoted(frames.token(row)), ") of ",
                          occ::quoted(frames.path()), " has no LiDAR origin within 39 m to cast rays from"));
  }
  return origins;
}

int64_t export_openocc(const PredSource& pred, const std::string& output, const SubmissionInfo& info,
                       bool zero_flow) {
  const std::string format = "openocc";
  const FramesFile& frames = pred.frames(format);
  const geom::VoxelGrid grid = pred.geometry(format);
  if (!grid.cubic()) throw FormatError("ray casting needs cubic voxels (one voxel_size_m for x, y and z)");
  if (!pred.has_flow() && !zero_flow) {
    throw FormatError(str(occ::quoted(pred.path()),
                          " has no dataset '/pred/flow', which the challenge scores "
                          "(mAVE): predict with flow, or give --zero-flow for a RayIoU-only submission"));
  }
  const std::vector<uint8_t> class_map = openocc_class_map(pred.class_names());
  const uint8_t free_id = static_cast<uint8_t>(openocc_class_names().size() - 1);
  // Every frame's origins before any output, so bad input leaves nothing.
  const RayOrigins ray_origins(frames);
  std::vector<std::vector<std::array<double, 3>>> origins;
  for (int64_t i = 0; i < pred.frame_count(); ++i) {
    origins.push_back(ray_origins.of(pred.frames_row(i)));
  }
  const auto& directions = metrics::lidar_ray_directions();

  h5::AtomicPath atomic(output);
  GzipFile gzip(atomic.temp_path(), output);
  PickleWriter pickle(/*protocol=*/3);
  pickle.empty_dict();
  pickle.mark();
  write_text_item(pickle, "method", info.method);
  write_text_item(pickle, "team", info.team);
  pickle.text("authors");
  pickle.empty_list();
  pickle.mark();
  for (const auto& author : info.authors) pickle.text(author);
  pickle.append_from_mark();
  write_text_item(pickle, "e-mail", info.email);
  write_text_item(pickle, "institution / company", info.institution);
  write_text_item(pickle, "country / region", info.country);
  pickle.text("results");
  pickle.empty_dict();
  Progress progress("openocc", pred.frame_count());
  for (int64_t i = 0; i < pred.frame_count(); ++i) {
    std::vector<uint8_t> classes = pred.semantics(i);
    std::vector<uint8_t> occupied(classes.size());
    for (size_t v = 0; v < classes.size(); ++v) {
      if (classes[v] >= class_map.size()) {
        throw FormatError(str("class ", int(classes[v]), " in frame ", i, " of ", occ::quoted(pred.path()),
                              " is not one of its ", class_map.size(), " class_names"));
      }
      classes[v] = class_map[classes[v]];
      occupied[v] = classes[v] != free_id;
    }
    const std::vector<Half> flow = pred.has_flow() ? pred.flow_half(i) : std::vector<Half>();
    const auto& frame_origins = origins[static_cast<size_t>(i)];
    const size_t ray_count = directions.size();
    const size_t total = ray_count * frame_origins.size();
    std::vector<uint8_t> pcd_cls(total);
    std::vector<Half> pcd_dist(total), pcd_flow(total * 2);
    parallel_for(static_cast<int64_t>(frame_origins.size()), [&](int64_t t) {
      const std::vector<metrics::RayHit> hits =
          metrics::cast_rays(occupied.data(), grid, frame_origins[t], directions);
      for (size_t k = 0; k < ray_count; ++k) {
        const size_t out = static_cast<size_t>(t) * ray_count + k;
        const size_t index = static_cast<size_t>(hits[k].voxel);
        pcd_cls[out] = classes[index];
        pcd_dist[out] = float_to_half(metrics::depth_metres(hits[k], grid.voxel_size_m[0]));
        if (!flow.empty()) {
          pcd_flow[2 * out] = flow[2 * index];
          pcd_flow[2 * out + 1] = flow[2 * index + 1];
        }
      }
    });
    const int64_t n = static_cast<int64_t>(total);
    pickle.text(pred.token(i, format));
    pickle.empty_dict();
    pickle.mark();
    pickle.text("pcd_cls");
    pickle.numpy_array("u1", {n}, pcd_cls.data(), pcd_cls.size());
    pickle.text("pcd_dist");
    pickle.numpy_array("f2", {n}, pcd_dist.data(), pcd_dist.size() * sizeof(Half));
    pickle.text("pcd_flow");
    pickle.numpy_array("f2", {n, 2}, pcd_flow.data(), pcd_flow.size() * sizeof(Half));
    pickle.set_items_from_mark();
    pickle.set_item();
    gzip.write(pickle.take());
    progress.advance();
  }
  pickle.set_items_from_mark();
  pickle.stop();
  gzip.write(pickle.take());
  gzip.close();
  progress.finish();
  atomic.commit();
  return pred.frame_count();
}

}  // namespace occ::exporting

#include "export/nuscenes.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "export/binary_file.h"
#include "export/npy.h"
#include "export/nuscenes_records.h"
#include "export/output_folder.h"
#include "export/zip_writer.h"
#include "geom/rigid.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::exporting {
namespace {

using json = nlohmann::json;

const std::string kLidar = "LIDAR_TOP";

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string extension_of(const std::string& path) {
  const size_t dot = path.find_last_of('.');
  const size_t slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return path.substr(dot + 1);
}

std::string utc_date(int64_t timestamp_us) {
  const std::time_t seconds = static_cast<std::time_t>(timestamp_us / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

// Sets prev/next along records given in time order.
void chain(json& table, const std::vector<size_t>& records) {
  for (size_t i = 0; i < records.size(); ++i) {
    table[records[i]]["prev"] = i > 0 ? table[records[i - 1]]["token"] : json("");
    table[records[i]]["next"] = i + 1 < records.size() ? table[records[i + 1]]["token"] : json("");
  }
}

class NuScenesWriter {
 public:
  NuScenesWriter(const std::string& frames_path, const std::string& output, std::string version)
      : frames_(frames_path), version_(std::move(version)), folder_(output) {
    const h5::File& file = frames_.file();
    scene_names_ = h5::read_strings(file, "/scenes/name");
    scene_ = h5::read<int32_t>(file, "/frames/scene").values;
    time_ = h5::read<int64_t>(file, "/frames/timestamp_us").values;
    keyframe_ = h5::read<uint8_t>(file, "/frames/is_keyframe").values;
    if (frames_.has("/cameras/timestamp_us"))
      camera_time_ = h5::read<int64_t>(file, "/cameras/timestamp_us").values;
    if (frames_.has("/lidar/origin")) lidar_origin_ = h5::read<double>(file, "/lidar/origin").values;
    if (frames_.has("/cameras/image_path")) image_paths_ = h5::read_strings(file, "/cameras/image_path");
    dataroot_ = h5::has_attribute(file, "/", "dataroot") ? h5::read_string_attribute(file, "/", "dataroot")
                                                         : folder_of(frames_path);
    location_ = h5::read_string_attribute(file, "/", "dataset");
    has_lidar_ = frames_.has("/lidar/points") && frames_.has("/lidar/offsets");
    if (!frames_.has_images()) {
      throw FormatError(
          str(occ::quoted(frames_path), " has no camera images, which a nuScenes dataset needs"));
    }
    if (version_.empty() || version_.find('/') != std::string::npos) {
      throw UsageError(str("nuScenes version ", occ::quoted(version_), " cannot name a folder"));
    }
    plan_scenes();
  }

  int64_t write() {
    write_static_tables();
    Progress progress("nuscenes", frames_.frame_count());
    for (const auto& [scene, rows] : scene_rows_) {
      for (const int64_t row : rows) {
        write_frame(scene, row);
        progress.advance();
      }
    }
    progress.finish();
    link_chains();
    for (const auto& [name, table] : tables_) {
      const std::string text = table.dump(1);
      const std::string relative = version_ + "/" + name + ".json";
      write_binary_file(folder_.file(relative), folder_.display(relative), text.data(), text.size());
    }
    folder_.commit();
    return frames_.frame_count();
  }

 private:
  // Rows of every scene in time order, sample tokens, and the keyframe each
  // sweep belongs to; all checked before anything is written.
  void plan_scenes() {
    std::set<std::string> tokens;
    for (int64_t row = 0; row < frames_.frame_count(); ++row) {
      if (!tokens.insert(frames_.token(row)).second) {
        throw FormatError(str("sample token ", occ::quoted(frames_.token(row)), " appears twice in ",
                              occ::quoted(frames_.path())));
      }
      scene_rows_[scene_.at(row)].push_back(row);
    }
    for (auto& [scene, rows] : scene_rows_) {
      std::stable_sort(rows.begin(), rows.end(), [&](int64_t a, int64_t b) { return time_[a] < time_[b]; });
      std::vector<int64_t> keys;
      for (const int64_t row : rows) {
        if (keyframe_[row]) keys.push_back(row);
      }
      if (keys.empty()) {
        throw FormatError(str("scene ", occ::quoted(scene_names_.at(scene)), " of ",
                              occ::quoted(frames_.path()),
                              " has no keyframe: a nuScenes scene needs samples"));
      }
      int64_t owner = keys.front();
      for (const int64_t row : rows) {
        if (keyframe_[row]) owner = row;
        sample_of_[row] = owner;
      }
      keyframes_[scene] = keys;
    }
  }

  json& table(const std::string& name) {
    auto found = tables_.find(name);
    if (found == tables_.end()) found = tables_.emplace(name, json::array()).first;
    return found->second;
  }

  std::string scene_token(int32_t scene) const { return nuscenes_token("scene/" + scene_names_.at(scene)); }

  void write_static_tables() {
    json log_tokens = json::array();
    for (const auto& [scene, rows] : scene_rows_) {
      const std::string log = nuscenes_token("log/" + scene_names_.at(scene));
      log_tokens.push_back(log);
      table("log").push_back({{"token", log},
                              {"logfile", scene_names_.at(scene)},
                              {"vehicle", "occ"},
                              {"date_captured", utc_date(time_[rows.front()])},
                              {"location", location_}});
      const auto& keys = keyframes_.at(scene);
      table("scene").push_back({{"token", scene_token(scene)},
                                {"log_token", log},
                                {"nbr_samples", keys.size()},
                                {"first_sample_token", frames_.token(keys.front())},
                                {"last_sample_token", frames_.token(keys.back())},
                                {"name", scene_names_.at(scene)},
                                {"description", ""}});
    }
    table("map").push_back({{"token", nuscenes_token("map")},
                            {"log_tokens", log_tokens},
                            {"category", "semantic_prior"},
                            {"filename", ""}});
    for (const auto& name : frames_.camera_names()) {
      table("sensor").push_back(
          {{"token", nuscenes_token("sensor/" + name)}, {"channel", name}, {"modality", "camera"}});
    }
    if (has_lidar_) {
      table("sensor").push_back(
          {{"token", nuscenes_token("sensor/" + kLidar)}, {"channel", kLidar}, {"modality", "lidar"}});
    }
    for (size_t id = 0; id < frames_.class_names().size(); ++id) {
      if (static_cast<int>(id) == frames_.free_class()) continue;
      table("category")
          .push_back({{"token", nuscenes_token("category/" + frames_.class_names()[id])},
                      {"name", frames_.class_names()[id]},
                      {"description", ""}});
    }
    table("attribute");
    tables_["visibility"] = visibility_table();
    table("instance");
    table("sample_annotation");
  }

  // One calibrated_sensor record per distinct calibration of a sensor.
  std::string calibration(const std::string& channel, const Matrix4d& sensor_to_ego, const json& intrinsic) {
    json record = pose_json(sensor_to_ego);
    record["sensor_token"] = nuscenes_token("sensor/" + channel);
    record["camera_intrinsic"] = intrinsic;
    const std::string key = record.dump();
    auto found = calibrations_.find(key);
    if (found != calibrations_.end()) return found->second;
    const std::string token = nuscenes_token("calibrated_sensor/" + key);
    record["token"] = token;
    table("calibrated_sensor").push_back(record);
    calibrations_.emplace(key, token);
    return token;
  }

  std::string ego_pose(const std::string& key, const Matrix4d& world_from_ego, int64_t timestamp) {
    json record = pose_json(world_from_ego);
    record["token"] = nuscenes_token("ego_pose/" + key);
    record["timestamp"] = timestamp;
    table("ego_pose").push_back(record);
    return record["token"];
  }

  void add_sample_data(int32_t scene, int64_t row, const std::string& channel, const std::string& filename,
                       const std::string& format, int width, int height, int64_t timestamp,
                       const std::string& pose_token, const std::string& calibration_token) {
    const std::string key = frames_.token(row) + "/" + channel;
    table("sample_data")
        .push_back({{"token", nuscenes_token("sample_data/" + key)},
                    {"sample_token", frames_.token(sample_of_.at(row))},
                    {"ego_pose_token", pose_token},
                    {"calibrated_sensor_token", calibration_token},
                    {"filename", filename},
                    {"fileformat", format},
                    {"width", width},
                    {"height", height},
                    {"timestamp", timestamp},
                    {"is_key_frame", keyframe_[row] != 0},
                    {"prev", ""},
                    {"next", ""}});
    channel_records_[{scene, channel}].push_back(table("sample_data").size() - 1);
  }

  void write_frame(int32_t scene, int64_t row) {
    const std::string& token = frames_.token(row);
    const std::string& scene_name = scene_names_.at(scene);
    const bool key = keyframe_[row] != 0;
    const std::string base = key ? "samples/" : "sweeps/";
    for (int64_t camera = 0; camera < frames_.camera_count(); ++camera) {
      const std::string& channel = frames_.camera_names()[camera];
      const int64_t timestamp =
          camera_time_.empty() ? time_[row]
                               : camera_time_[static_cast<size_t>(row * frames_.camera_count() + camera)];
      int width = 0, height = 0;
      std::string extension = "jpg";
      std::string bytes = camera_image(row, camera, width, height, extension);
      const std::string filename =
          str(base, channel, "/", scene_name, "__", channel, "__", timestamp, ".", extension);
      write_binary_file(folder_.file(filename), folder_.display(filename), bytes.data(), bytes.size());
      const Matrix3 k = frames_.intrinsics(row, camera);
      const json intrinsic = {{k[0], k[1], k[2]}, {k[3], k[4], k[5]}, {k[6], k[7], k[8]}};
      const std::string calibration_token =
          calibration(channel, frames_.ego_from_camera(row, camera), intrinsic);
      const std::string pose_token =
          ego_pose(token + "/" + channel, frames_.world_from_ego(row, camera), timestamp);
      add_sample_data(scene, row, channel, filename, extension, width, height, timestamp, pose_token,
                      calibration_token);
    }
    if (has_lidar_) write_lidar(scene, row);
    if (key) {
      table("sample").push_back({{"token", token},
                                 {"timestamp", time_[row]},
                                 {"scene_token", scene_token(scene)},
                                 {"prev", ""},
                                 {"next", ""}});
      sample_records_[scene].push_back(table("sample").size() - 1);
      write_occupancy(scene_name, row);
      write_boxes(scene, row);
    }
  }

  std::string camera_image(int64_t row, int64_t camera, int& width, int& height, std::string& extension) {
    if (!frames_.has("/cameras/image")) {
      const std::string& relative =
          image_paths_.at(static_cast<size_t>(row * frames_.camera_count() + camera));
      const std::string full =
          !relative.empty() && relative[0] == '/' ? relative : dataroot_ + "/" + relative;
      const std::string bytes = read_binary_file(full);
      const cv::Mat decoded =
          cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data())),
                       cv::IMREAD_UNCHANGED);
      if (decoded.empty()) throw FormatError(str("cannot decode image ", occ::quoted(full)));
      width = decoded.cols;
      height = decoded.rows;
      extension = extension_of(full).empty() ? "jpg" : extension_of(full);
      return bytes;
    }
    const cv::Mat rgb = frames_.image(row, camera);
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    std::vector<uint8_t> encoded;
    // nuScenes images are JPEG; 95 keeps synthetic edges crisp.
    if (!cv::imencode(".jpg", bgr, encoded, {cv::IMWRITE_JPEG_QUALITY, 95})) {
      throw Error(str("cannot encode the image of frame ", row, " camera ", camera, " as JPEG"));
    }
    width = rgb.cols;
    height = rgb.rows;
    extension = "jpg";
    return std::string(encoded.begin(), encoded.end());
  }

  Matrix4d lidar_to_ego(int64_t row) const {
    Matrix4d pose{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    if (!lidar_origin_.empty()) {
      for (int axis = 0; axis < 3; ++axis)
        pose[axis * 4 + 3] = lidar_origin_[static_cast<size_t>(row * 3 + axis)];
    }
    return pose;
  }

  void write_lidar(int32_t scene, int64_t row) {
    const auto points = frames_.lidar_points(row);
    const Matrix4d sensor_to_ego = lidar_to_ego(row);
    // nuScenes .pcd.bin: float32 x, y, z, intensity, ring index per point.
    std::vector<float> values;
    values.reserve(points.size() * 5);
    for (const auto& p : points) {
      values.insert(values.end(),
                    {static_cast<float>(p[0] - sensor_to_ego[3]), static_cast<float>(p[1] - sensor_to_ego[7]),
                     static_cast<float>(p[2] - sensor_to_ego[11]), p[3], 0.0f});
    }
    const std::string base = keyframe_[row] ? "samples/" : "sweeps/";
    const std::string filename =
        str(base, kLidar, "/", scene_names_.at(scene), "__", kLidar, "__", time_[row], ".pcd.bin");
    write_binary_file(folder_.file(filename), folder_.display(filename), values.data(),
                      values.size() * sizeof(float));
    const std::string calibration_token = calibration(kLidar, sensor_to_ego, json::array());
    Matrix4d world_from_ego{};
    const auto& pose = h5::read_rows<double>(frames_.file(), "/frames/world_from_ego", row, 1).values;
    std::copy(pose.begin(), pose.end(), world_from_ego.begin());
    const std::string pose_token = ego_pose(frames_.token(row) + "/" + kLidar, world_from_ego, time_[row]);
    add_sample_data(scene, row, kLidar, filename, "pcd", 0, 0, time_[row], pose_token, calibration_token);
  }

  void write_occupancy(const std::string& scene_name, int64_t row) {
    const std::vector<std::string> keys = {"semantics", "mask_lidar", "mask_camera"};
    std::vector<std::string> present;
    for (const auto& name : keys) {
      if (frames_.has("/occupancy/" + name)) present.push_back(name);
    }
    if (present.empty()) return;
    const std::string relative = str("gts/", scene_name, "/", frames_.token(row), "/labels.npz");
    ZipWriter zip(folder_.file(relative), folder_.display(relative));
    for (const auto& name : present) {
      const auto grid = h5::read_rows<uint8_t>(frames_.file(), "/occupancy/" + name, row, 1);
      const std::vector<int64_t> shape(grid.shape.begin() + 1, grid.shape.end());
      zip.add(name + ".npy", npy_bytes("|u1", shape, grid.values.data(), grid.values.size()),
              ZipWriter::Method::deflate);
    }
    zip.close();
  }

  void write_boxes(int32_t scene, int64_t row) {
    if (!frames_.has("/boxes/offsets")) return;
    const auto boxes = frames_.boxes(row);
    if (boxes.empty()) return;
    Matrix4d world_from_ego{};
    const auto& pose = h5::read_rows<double>(frames_.file(), "/frames/world_from_ego", row, 1).values;
    std::copy(pose.begin(), pose.end(), world_from_ego.begin());
    const auto points = has_lidar_ ? frames_.lidar_points(row) : std::vector<std::array<float, 4>>{};
    for (const auto& box : boxes) {
      const double c = std::cos(box.yaw), s = std::sin(box.yaw);
      const Matrix4d ego_from_box{c, -s, 0, box.center[0], s, c, 0, box.center[1],
                                  0, 0,  1, box.center[2], 0, 0, 0, 1};
      json record = pose_json(geom::multiply(world_from_ego, ego_from_box));
      const std::string instance_key = str(scene_names_.at(scene), "/", box.instance);
      const std::string instance = nuscenes_token("instance/" + instance_key);
      int lidar_points = 0;
      for (const auto& p : points) {
        // Box frame: x along the length, y along the width (nuScenes wlh).
        const double dx = p[0] - box.center[0], dy = p[1] - box.center[1], dz = p[2] - box.center[2];
        const double along = c * dx + s * dy, across = -s * dx + c * dy;
        if (std::abs(along) <= box.size_wlh[1] / 2 && std::abs(across) <= box.size_wlh[0] / 2 &&
            std::abs(dz) <= box.size_wlh[2] / 2) {
          ++lidar_points;
        }
      }
      record["token"] = nuscenes_token(str("sample_annotation/", frames_.token(row), "/", box.instance));
      record["sample_token"] = frames_.token(row);
      record["instance_token"] = instance;
      record["visibility_token"] = "4";
      record["attribute_tokens"] = json::array();
      record["size"] = {box.size_wlh[0], box.size_wlh[1], box.size_wlh[2]};
      record["num_lidar_pts"] = lidar_points;
      record["num_radar_pts"] = 0;
      record["prev"] = "";
      record["next"] = "";
      table("sample_annotation").push_back(record);
      auto& annotations = instance_annotations_[instance];
      if (annotations.empty()) {
        const std::string& name = frames_.class_names().at(static_cast<size_t>(box.class_id));
        table("instance")
            .push_back({{"token", instance}, {"category_token", nuscenes_token("category/" + name)}});
        instance_records_[instance] = table("instance").size() - 1;
      }
      annotations.push_back(table("sample_annotation").size() - 1);
    }
  }

  void link_chains() {
    for (const auto& [scene, records] : sample_records_) chain(table("sample"), records);
    for (const auto& [key, records] : channel_records_) chain(table("sample_data"), records);
    for (const auto& [instance, records] : instance_annotations_) {
      chain(table("sample_annotation"), records);
      json& record = table("instance")[instance_records_.at(instance)];
      record["nbr_annotations"] = records.size();
      record["first_annotation_token"] = table("sample_annotation")[records.front()]["token"];
      record["last_annotation_token"] = table("sample_annotation")[records.back()]["token"];
    }
  }

  FramesFile frames_;
  std::string version_;
  OutputFolder folder_;
  std::vector<std::string> scene_names_, image_paths_;
  std::vector<int32_t> scene_;
  std::vector<int64_t> time_, camera_time_;
  std::vector<uint8_t> keyframe_;
  std::vector<double> lidar_origin_;
  std::string dataroot_, location_;
  bool has_lidar_ = false;
  std::map<int32_t, std::vector<int64_t>> scene_rows_, keyframes_;
  std::map<int64_t, int64_t> sample_of_;
  std::map<std::string, json> tables_;
  std::map<std::string, std::string> calibrations_;
  std::map<int32_t, std::vector<size_t>> sample_records_;
  std::map<std::pair<int32_t, std::string>, std::vector<size_t>> channel_records_;
  std::map<std::string, std::vector<size_t>> instance_annotations_;
  std::map<std::string, size_t> instance_records_;
};

}  // namespace

int64_t export_nuscenes(const std::string& frames_path, const std::string& output,
                        const std::string& version) {
  NuScenesWriter writer(frames_path, output, version);
  return writer.write();
}

}  // namespace occ::exporting

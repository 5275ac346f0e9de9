#include "datasets/nuscenes_tables.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/strings.h"

namespace occ::datasets {
namespace {

using json = nlohmann::json;

// One table file: its records and where they came from, for messages.
class Table {
 public:
  Table(const std::string& folder, const std::string& name) : path_(folder + "/" + name + ".json") {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw IoError(str("cannot open nuScenes table ", occ::quoted(path_), ": no such file"));
    try {
      records_ = json::parse(in);
    } catch (const json::exception& error) {
      throw FormatError(str("cannot parse nuScenes table ", occ::quoted(path_), ": ", error.what()));
    }
    if (!records_.is_array()) {
      throw FormatError(str("nuScenes table ", occ::quoted(path_), " is not a JSON list of records"));
    }
  }

  size_t size() const { return records_.size(); }
  const std::string& path() const { return path_; }

  const json& field(size_t record, const char* name) const {
    const json& r = records_[record];
    if (!r.is_object() || !r.contains(name)) {
      throw FormatError(str("record ", record, " of ", occ::quoted(path_), " lacks ", occ::quoted(name)));
    }
    return r[name];
  }
  bool has(size_t record, const char* name) const {
    return records_[record].is_object() && records_[record].contains(name);
  }

  template <typename T>
  T get(size_t record, const char* name) const {
    try {
      return field(record, name).get<T>();
    } catch (const json::exception&) {
      throw FormatError(str("field ", occ::quoted(name), " of record ", record, " of ", occ::quoted(path_),
                            " has the wrong type"));
    }
  }
  std::string token(size_t record) const { return get<std::string>(record, "token"); }

  // nuScenes timestamps are integer microseconds, Lyft's are floats.
  int64_t timestamp(size_t record) const {
    const json& value = field(record, "timestamp");
    if (value.is_number_integer()) return value.get<int64_t>();
    if (value.is_number()) return static_cast<int64_t>(std::llround(value.get<double>()));
    throw FormatError(str("timestamp of record ", record, " of ", occ::quoted(path_), " is not a number"));
  }

  template <size_t N>
  std::array<double, N> numbers(size_t record, const char* name) const {
    const auto values = get<std::vector<double>>(record, name);
    if (values.size() != N) {
      throw FormatError(str("field ", occ::quoted(name), " of record ", record, " of ", occ::quoted(path_),
                            " has ", values.size(), " numbers, not ", N));
    }
    std::array<double, N> out{};
    std::copy(values.begin(), values.end(), out.begin());
    return out;
  }

 private:
  std::string path_;
  json records_;
};

template <typename Index>
void require_token(const Index& index, const std::string& token, const std::string& table_name,
                   const std::string& from_path, const std::string& from_token) {
  if (index.count(token) == 0) {
    throw FormatError(str("record ", occ::quoted(from_token), " of ", occ::quoted(from_path), " refers to ",
                          table_name, " ", occ::quoted(token), ", which is not in the ", table_name,
                          " table"));
  }
}

}  // namespace

Matrix4 pose_matrix(const std::array<double, 3>& translation, const std::array<double, 4>& rotation_wxyz) {
  double w = rotation_wxyz[0], x = rotation_wxyz[1], y = rotation_wxyz[2], z = rotation_wxyz[3];
  const double norm = std::sqrt(w * w + x * x + y * y + z * z);
  if (!(norm > 0)) throw FormatError("a pose has a zero rotation quaternion");
  w /= norm, x /= norm, y /= norm, z /= norm;
  return {1 - 2 * (y * y + z * z),
          2 * (x * y - w * z),
          2 * (x * z + w * y),
          translation[0],
          2 * (x * y + w * z),
          1 - 2 * (x * x + z * z),
          2 * (y * z - w * x),
          translation[1],
          2 * (x * z - w * y),
          2 * (y * z + w * x),
          1 - 2 * (x * x + y * y),
          translation[2],
          0,
          0,
          0,
          1};
}

NuScenesTables read_nuscenes_tables(const std::string& dataroot, const std::string& version) {
  NuScenesTables tables;
  tables.folder = dataroot + "/" + version;
  if (!std::filesystem::is_directory(tables.folder)) {
    throw IoError(str("cannot open nuScenes tables ", occ::quoted(tables.folder), ": no such folder"));
  }
  {
    const Table sensor(tables.folder, "sensor");
    for (size_t i = 0; i < sensor.size(); ++i) {
      tables.sensors[sensor.token(i)] = {sensor.get<std::string>(i, "channel"),
                                         sensor.get<std::string>(i, "modality")};
    }
  }
  {
    const Table calibration(tables.folder, "calibrated_sensor");
    for (size_t i = 0; i < calibration.size(); ++i) {
      NuScenesCalibration record;
      record.sensor_token = calibration.get<std::string>(i, "sensor_token");
      require_token(tables.sensors, record.sensor_token, "sensor", calibration.path(), calibration.token(i));
      record.ego_from_sensor =
          pose_matrix(calibration.numbers<3>(i, "translation"), calibration.numbers<4>(i, "rotation"));
      if (calibration.has(i, "camera_intrinsic")) {
        for (const auto& row : calibration.get<std::vector<std::vector<double>>>(i, "camera_intrinsic"))
          record.intrinsic.insert(record.intrinsic.end(), row.begin(), row.end());
        if (!record.intrinsic.empty() && record.intrinsic.size() != 9) {
          throw FormatError(str("camera_intrinsic of ", occ::quoted(calibration.token(i)), " in ",
                                occ::quoted(calibration.path()), " is not 3x3"));
        }
      }
      tables.calibrations[calibration.token(i)] = std::move(record);
    }
  }
  {
    const Table pose(tables.folder, "ego_pose");
    for (size_t i = 0; i < pose.size(); ++i) {
      tables.ego_poses[pose.token(i)] = {
          pose_matrix(pose.numbers<3>(i, "translation"), pose.numbers<4>(i, "rotation"))};
    }
  }
  std::unordered_set<std::string> scene_tokens, sample_tokens;
  {
    const Table scene(tables.folder, "scene");
    for (size_t i = 0; i < scene.size(); ++i) {
      tables.scenes.push_back({scene.token(i), scene.get<std::string>(i, "name")});
      scene_tokens.insert(tables.scenes.back().token);
    }
  }
  {
    const Table sample(tables.folder, "sample");
    for (size_t i = 0; i < sample.size(); ++i) {
      NuScenesSample record{sample.token(i), sample.get<std::string>(i, "scene_token"), sample.timestamp(i)};
      require_token(scene_tokens, record.scene_token, "scene", sample.path(), record.token);
      sample_tokens.insert(record.token);
      tables.samples.push_back(std::move(record));
    }
  }
  {
    const Table data(tables.folder, "sample_data");
    tables.sample_data.reserve(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
      NuScenesSampleData record;
      record.token = data.token(i);
      record.sample_token = data.get<std::string>(i, "sample_token");
      record.ego_pose_token = data.get<std::string>(i, "ego_pose_token");
      record.calibrated_sensor_token = data.get<std::string>(i, "calibrated_sensor_token");
      record.filename = data.get<std::string>(i, "filename");
      record.prev = data.get<std::string>(i, "prev");
      record.next = data.get<std::string>(i, "next");
      record.timestamp_us = data.timestamp(i);
      record.is_key_frame = data.get<bool>(i, "is_key_frame");
      require_token(sample_tokens, record.sample_token, "sample", data.path(), record.token);
      require_token(tables.ego_poses, record.ego_pose_token, "ego_pose", data.path(), record.token);
      require_token(tables.calibrations, record.calibrated_sensor_token, "calibrated_sensor", data.path(),
                    record.token);
      tables.sample_data.push_back(std::move(record));
    }
  }
  {
    const Table category(tables.folder, "category");
    std::unordered_map<std::string, std::string> names;
    for (size_t i = 0; i < category.size(); ++i)
      names[category.token(i)] = category.get<std::string>(i, "name");
    const Table instance(tables.folder, "instance");
    for (size_t i = 0; i < instance.size(); ++i) {
      const std::string category_token = instance.get<std::string>(i, "category_token");
      require_token(names, category_token, "category", instance.path(), instance.token(i));
      tables.instance_category[instance.token(i)] = names.at(category_token);
    }
  }
  {
    const Table annotation(tables.folder, "sample_annotation");
    tables.annotations.reserve(annotation.size());
    for (size_t i = 0; i < annotation.size(); ++i) {
      NuScenesAnnotation record;
      record.token = annotation.token(i);
      record.sample_token = annotation.get<std::string>(i, "sample_token");
      record.instance_token = annotation.get<std::string>(i, "instance_token");
      record.prev = annotation.get<std::string>(i, "prev");
      record.next = annotation.get<std::string>(i, "next");
      record.translation = annotation.numbers<3>(i, "translation");
      record.rotation = annotation.numbers<4>(i, "rotation");
      record.size_wlh = annotation.numbers<3>(i, "size");
      require_token(sample_tokens, record.sample_token, "sample", annotation.path(), record.token);
      require_token(tables.instance_category, record.instance_token, "instance", annotation.path(),
                    record.token);
      tables.annotations.push_back(std::move(record));
    }
  }
  return tables;
}

}  // namespace occ::datasets

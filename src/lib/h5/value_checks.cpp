// The value checks of data/schemas (ValueCheck): non-finite geometry,
// rotations that are not rotations, time running backwards within a scene,
// ragged offsets that do not tile their rows, row links out of range,
// values outside their range (probabilities, class ids, 0/1 masks) and
// segment ids not below their map's segment count.
// Each reports the first bad row of a dataset; data is read in blocks of
// rows so a large dataset does not need its size in memory.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <variant>

#include "core/error.h"
#include "core/strings.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/half.h"
#include "h5/schema.h"

namespace occ::h5 {
namespace {

constexpr int64_t kBlockElements = int64_t{1} << 20;

// Reads rows [first, first + count) of a numeric dataset as T.
template <typename T>
std::vector<T> read_block(const File& file, const std::string& path, DType dtype, int64_t first,
                          int64_t count) {
  auto convert = [](const auto& values) {
    std::vector<T> out(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      if constexpr (std::is_same_v<std::decay_t<decltype(values[i])>, Half>) {
        out[i] = static_cast<T>(half_to_float(values[i]));
      } else {
        out[i] = static_cast<T>(values[i]);
      }
    }
    return out;
  };
  switch (dtype) {
    case DType::uint8:
      return convert(read_rows<uint8_t>(file, path, first, count).values);
    case DType::uint16:
      return convert(read_rows<uint16_t>(file, path, first, count).values);
    case DType::int32:
      return convert(read_rows<int32_t>(file, path, first, count).values);
    case DType::int64:
      return convert(read_rows<int64_t>(file, path, first, count).values);
    case DType::float16:
      return convert(read_rows<Half>(file, path, first, count).values);
    case DType::float32:
      return convert(read_rows<float>(file, path, first, count).values);
    case DType::float64:
      return convert(read_rows<double>(file, path, first, count).values);
    default:
      throw FormatError(str("dataset ", quoted(path), " is not numeric"));
  }
}

// Calls visit(first_row, rows, values) for consecutive blocks of rows until
// it returns false.
template <typename T, typename Visit>
void for_each_block(const File& file, const DatasetInfo& info, Visit visit) {
  if (info.shape.empty()) return;
  const int64_t rows = info.shape[0];
  const int64_t row_elements = std::max<int64_t>(1, element_count(info.shape) / std::max<int64_t>(1, rows));
  const int64_t block = std::max<int64_t>(1, kBlockElements / row_elements);
  for (int64_t first = 0; first < rows; first += block) {
    const int64_t count = std::min(block, rows - first);
    if (!visit(first, count, read_block<T>(file, info.path, info.dtype, first, count))) return;
  }
}

// "[3, 1, 0, 2]": the index of element `flat` of `shape` (C order).
std::string index_text(const Shape& shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t axis = shape.size(); axis-- > 0;) {
    index[axis] = flat % shape[axis];
    flat /= shape[axis];
  }
  return "[" + join(index, ", ") + "]";
}

std::string where(const std::string& path, int64_t row) {
  return str("dataset ", quoted(path), " row ", row);
}

void check_finite(const File& file, const DatasetInfo& info, std::vector<std::string>& problems) {
  const int64_t row_elements = element_count(info.shape) / std::max<int64_t>(1, info.shape[0]);
  for_each_block<double>(file, info, [&](int64_t first, int64_t, const std::vector<double>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (std::isfinite(values[i])) continue;
      const int64_t flat = first * row_elements + static_cast<int64_t>(i);
      problems.push_back(str(where(info.path, flat / row_elements), " is not finite (", values[i], " at ",
                             index_text(info.shape, flat), ")"));
      return false;
    }
    return true;
  });
}

void check_rotation(const File& file, const DatasetInfo& info, const ValueCheck& check,
                    std::vector<std::string>& problems) {
  const int64_t side = info.shape.back();
  const int64_t matrix_elements = side * side;
  const int64_t row_elements = element_count(info.shape) / std::max<int64_t>(1, info.shape[0]);
  for_each_block<double>(file, info, [&](int64_t first, int64_t, const std::vector<double>& values) {
    for (size_t start = 0; start + static_cast<size_t>(matrix_elements) <= values.size();
         start += static_cast<size_t>(matrix_elements)) {
      auto r = [&](int64_t i, int64_t j) { return values[start + static_cast<size_t>(i * side + j)]; };
      double error = 0;
      for (int64_t i = 0; i < 3; ++i) {
        for (int64_t j = 0; j < 3; ++j) {
          double dot = 0;
          for (int64_t k = 0; k < 3; ++k) dot += r(i, k) * r(j, k);
          const double deviation = std::abs(dot - (i == j ? 1.0 : 0.0));
          error = std::isnan(deviation) ? deviation : std::max(error, deviation);
        }
      }
      const double det = r(0, 0) * (r(1, 1) * r(2, 2) - r(1, 2) * r(2, 1)) -
                         r(0, 1) * (r(1, 0) * r(2, 2) - r(1, 2) * r(2, 0)) +
                         r(0, 2) * (r(1, 0) * r(2, 1) - r(1, 1) * r(2, 0));
      if (error <= check.tolerance && det > 0) continue;
      const int64_t flat = first * row_elements + static_cast<int64_t>(start);
      const Shape matrices(info.shape.begin(), info.shape.end() - 2);
      const std::string matrix = index_text(matrices, flat / matrix_elements);
      problems.push_back(error <= check.tolerance
                             ? str(where(info.path, flat / row_elements), ": matrix ", matrix,
                                   " has a reflection, not a rotation, in its rotation part (determinant ",
                                   det, ")")
                             : str(where(info.path, flat / row_elements), ": the rotation part of matrix ",
                                   matrix, " is not orthonormal (largest |R R^T - I| entry ", error,
                                   ", tolerance ", check.tolerance, ")"));
      return false;
    }
    return true;
  });
}

int64_t rows_of(const File& file, const std::string& path) {
  const Shape shape = dataset_info(file, path).shape;
  return shape.empty() ? 1 : shape[0];
}

void check_increasing(const File& file, const DatasetInfo& info, const ValueCheck& check,
                      std::vector<std::string>& problems) {
  const auto scenes = read_block<int64_t>(file, check.of, dataset_info(file, check.of).dtype, 0,
                                          std::min(rows_of(file, check.of), info.shape[0]));
  const bool integers =
      info.dtype != DType::float16 && info.dtype != DType::float32 && info.dtype != DType::float64;
  std::map<int64_t, std::pair<int64_t, double>> last;  // scene -> (row, value)
  std::map<int64_t, int64_t> last_integer;
  for_each_block<double>(file, info, [&](int64_t first, int64_t count, const std::vector<double>& values) {
    // Integers (timestamps in microseconds) compared exactly, not as doubles.
    const std::vector<int64_t> exact =
        integers ? read_block<int64_t>(file, info.path, info.dtype, first, count) : std::vector<int64_t>();
    for (int64_t i = 0; i < count; ++i) {
      const int64_t row = first + i;
      if (row >= static_cast<int64_t>(scenes.size())) return false;
      const int64_t scene = scenes[static_cast<size_t>(row)];
      const auto found = last.find(scene);
      if (found != last.end()) {
        const bool increasing = integers ? exact[static_cast<size_t>(i)] > last_integer[scene]
                                         : values[static_cast<size_t>(i)] > found->second.second;
        if (!increasing) {
          problems.push_back(str(
              where(info.path, row), ": ",
              integers ? str(exact[static_cast<size_t>(i)]) : str(values[static_cast<size_t>(i)]),
              " is not after ", integers ? str(last_integer[scene]) : str(found->second.second), " of row ",
              found->second.first, " in the same scene (", quoted(check.of), " ", scene, ")"));
          return false;
        }
      }
      last[scene] = {row, values[static_cast<size_t>(i)]};
      if (integers) last_integer[scene] = exact[static_cast<size_t>(i)];
    }
    return true;
  });
}

void check_offsets(const File& file, const DatasetInfo& info, const ValueCheck& check,
                   std::vector<std::string>& problems) {
  if (!file.is_dataset(check.of)) {
    problems.push_back(
        str("dataset ", quoted(info.path), " holds offsets into ", quoted(check.of), ", which is missing"));
    return;
  }
  const int64_t target_rows = rows_of(file, check.of);
  int64_t previous = 0, last = 0;
  bool ok = true;
  for_each_block<int64_t>(file, info, [&](int64_t first, int64_t, const std::vector<int64_t>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      const int64_t row = first + static_cast<int64_t>(i);
      if (row == 0 && values[i] != 0) {
        problems.push_back(str(where(info.path, 0), ": ", values[i], ", expected 0 (the first row of ",
                               quoted(check.of), ")"));
        ok = false;
      } else if (values[i] < previous) {
        problems.push_back(str(where(info.path, row), ": ", values[i], " is less than ", previous, " of row ",
                               row - 1, " (offsets never decrease)"));
        ok = false;
      }
      if (!ok) return false;
      previous = last = values[i];
    }
    return true;
  });
  if (ok && info.shape[0] > 0 && last != target_rows) {
    problems.push_back(str(where(info.path, info.shape[0] - 1), ": the last offset is ", last, ", but ",
                           quoted(check.of), " has ", target_rows, " rows"));
  }
}

void check_row_index(const File& file, const DatasetInfo& info, const ValueCheck& check,
                     std::vector<std::string>& problems) {
  if (!file.is_dataset(check.of)) {
    problems.push_back(
        str("dataset ", quoted(info.path), " holds rows of ", quoted(check.of), ", which is missing"));
    return;
  }
  const int64_t target_rows = rows_of(file, check.of);
  for_each_block<int64_t>(file, info, [&](int64_t first, int64_t, const std::vector<int64_t>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      if ((values[i] >= 0 && values[i] < target_rows) || (check.allow_none && values[i] == -1)) continue;
      problems.push_back(str(where(info.path, first + static_cast<int64_t>(i)), ": ", values[i],
                             " is not a row of ", quoted(check.of), " (it has ", target_rows, " rows",
                             check.allow_none ? "; -1 means none" : "", ")"));
      return false;
    }
    return true;
  });
}

// The value of shape symbol `symbol` that an attribute of `schema` binds
// (length_binds or binds), or nullopt when the file lacks the attribute.
std::optional<int64_t> attribute_symbol(const File& file, const Schema& schema, const std::string& symbol) {
  for (const auto& rule : schema.attributes) {
    if (!has_attribute(file, "/", rule.name)) continue;
    const AttributeValue value = read_attribute(file, "/", rule.name);
    if (rule.length_binds == symbol) {
      return attribute_length(value);
    }
    const auto bound = std::find(rule.binds.begin(), rule.binds.end(), symbol);
    if (bound != rule.binds.end() && std::holds_alternative<std::vector<int64_t>>(value)) {
      const auto& numbers = std::get<std::vector<int64_t>>(value);
      const auto index = static_cast<size_t>(bound - rule.binds.begin());
      if (index < numbers.size()) return numbers[index];
    }
  }
  return std::nullopt;
}

void check_range(const File& file, const Schema& schema, const DatasetInfo& info, const ValueCheck& check,
                 std::vector<std::string>& problems) {
  double low = check.min.value_or(-std::numeric_limits<double>::infinity());
  double high = check.max.value_or(std::numeric_limits<double>::infinity());
  std::string bounds = check.min && check.max ? str("[", *check.min, ", ", *check.max, "]")
                       : check.min            ? str(">= ", *check.min)
                       : check.max            ? str("<= ", *check.max)
                                              : std::string();
  bool open_high = false;
  if (!check.below.empty()) {
    const std::optional<int64_t> limit = attribute_symbol(file, schema, check.below);
    if (!limit) return;  // validate() reports the missing attribute
    if (static_cast<double>(*limit) <= high) {
      high = static_cast<double>(*limit);
      open_high = true;
    }
    bounds = str(bounds, bounds.empty() ? "" : " and ", "< ", check.below, " = ", *limit);
  }
  const int64_t row_elements = element_count(info.shape) / std::max<int64_t>(1, info.shape[0]);
  for_each_block<double>(file, info, [&](int64_t first, int64_t, const std::vector<double>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      const double value = values[i];
      if (value >= low && (open_high ? value < high : value <= high)) continue;
      const int64_t flat = first * row_elements + static_cast<int64_t>(i);
      problems.push_back(str(where(info.path, flat / row_elements), ": ", value, " at ",
                             index_text(info.shape, flat), " is outside ", bounds));
      return false;
    }
    return true;
  });
}

void check_below_count(const File& file, const DatasetInfo& info, const ValueCheck& check,
                       std::vector<std::string>& problems) {
  if (!file.is_dataset(check.of)) {
    problems.push_back(str("dataset ", quoted(info.path), " holds ids below the counts of ", quoted(check.of),
                           ", which is missing"));
    return;
  }
  const DatasetInfo counts_info = dataset_info(file, check.of);
  if (counts_info.shape.size() > info.shape.size() ||
      !std::equal(counts_info.shape.begin(), counts_info.shape.end(), info.shape.begin())) {
    problems.push_back(str("dataset ", quoted(check.of), " has shape ", shape_text(counts_info.shape),
                           ", which does not lead the shape ", shape_text(info.shape), " of ",
                           quoted(info.path)));
    return;
  }
  const std::vector<int64_t> counts = read_block<int64_t>(
      file, check.of, counts_info.dtype, 0, counts_info.shape.empty() ? 1 : counts_info.shape[0]);
  const int64_t per_count =
      element_count(info.shape) / std::max<int64_t>(1, element_count(counts_info.shape));
  const int64_t row_elements = element_count(info.shape) / std::max<int64_t>(1, info.shape[0]);
  for_each_block<int64_t>(file, info, [&](int64_t first, int64_t, const std::vector<int64_t>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      const int64_t flat = first * row_elements + static_cast<int64_t>(i);
      const int64_t count = counts[static_cast<size_t>(flat / per_count)];
      // A count of 0 marks a map that holds no segments: every id is 0.
      if (values[i] >= 0 && (values[i] < count || (count == 0 && values[i] == 0))) continue;
      const Shape leading(info.shape.begin(),
                          info.shape.begin() + static_cast<long>(counts_info.shape.size()));
      problems.push_back(str(where(info.path, flat / row_elements), ": id ", values[i], " at ",
                             index_text(info.shape, flat), " is not below the count ", count, " of ",
                             quoted(check.of), " ", index_text(leading, flat / per_count)));
      return false;
    }
    return true;
  });
}

}  // namespace

std::vector<std::string> check_values(const File& file, const Schema& schema, bool all) {
  std::vector<std::string> problems;
  for (const auto& rule : schema.datasets) {
    if (rule.checks.empty() || rule.subtree || !file.is_dataset(rule.path)) continue;
    const DatasetInfo info = dataset_info(file, rule.path);
    if (info.shape.empty()) continue;
    for (const auto& check : rule.checks) {
      if (!check.on_open && !all) continue;
      switch (check.kind) {
        case ValueCheck::Kind::finite:
          check_finite(file, info, problems);
          break;
        case ValueCheck::Kind::rotation:
          check_rotation(file, info, check, problems);
          break;
        case ValueCheck::Kind::increasing_within_scene:
          if (file.is_dataset(check.of)) check_increasing(file, info, check, problems);
          break;
        case ValueCheck::Kind::offsets:
          check_offsets(file, info, check, problems);
          break;
        case ValueCheck::Kind::row_index:
          check_row_index(file, info, check, problems);
          break;
        case ValueCheck::Kind::range:
          check_range(file, schema, info, check, problems);
          break;
        case ValueCheck::Kind::below_count:
          check_below_count(file, info, check, problems);
          break;
      }
    }
  }
  return problems;
}

std::vector<std::string> verify_stored_data(const File& file) {
  std::vector<std::string> problems;
  for (const auto& path : file.dataset_paths()) {
    const DatasetInfo info = dataset_info(file, path);
    if (info.chunk.empty() || info.dtype == DType::string || info.dtype == DType::other) continue;
    if (info.shape.empty() || element_count(info.shape) == 0) continue;
    const int64_t rows = info.shape[0];
    const int64_t row_bytes = element_count(info.shape) / rows * static_cast<int64_t>(dtype_size(info.dtype));
    const int64_t block = std::max<int64_t>(1, (int64_t{16} << 20) / std::max<int64_t>(1, row_bytes));
    std::vector<uint8_t> buffer(static_cast<size_t>(std::min(block, rows) * row_bytes));
    try {
      for (int64_t first = 0; first < rows; first += block) {
        read_rows_raw(file, path, first, std::min(block, rows - first), info.dtype, buffer.data());
      }
    } catch (const FormatError& error) {
      problems.push_back(error.what());
    }
  }
  return problems;
}

}  // namespace occ::h5

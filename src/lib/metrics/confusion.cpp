#include "metrics/confusion.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace occ::metrics {

void Confusion::merge(const Confusion& other) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
}

double nanmean_except(const std::vector<double>& values, int skip) {
  double sum = 0;
  int64_t count = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (static_cast<int>(i) == skip || std::isnan(values[i])) continue;
    sum += values[i];
    ++count;
  }
  return count ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
}

Occ3dMiou::Occ3dMiou(int classes, int free_class) : confusion_(classes), free_class_(free_class) {}

void Occ3dMiou::add(const uint8_t* gt, const uint8_t* pred, const uint8_t* mask, int64_t voxels) {
  const int k = confusion_.classes;
  int64_t* counts = confusion_.counts.data();
  if (k > 32) {
    for (int64_t i = 0; i < voxels; ++i) {
      if (mask && !mask[i]) continue;
      const int g = gt[i];
      if (g >= k) continue;  // the official k = (gt >= 0) & (gt < n) filter
      ++counts[g * k + pred[i]];
    }
    return;
  }
  // Fast path for up to 32 classes: each voxel becomes a pair code
  // (min(gt, K) << 5 | pred), where row K collects every dropped voxel (GT
  // outside [0, K), masked out) and is left out when folding; the codes are
  // counted into kTables small tables in turn, so runs of the same pair do
  // not serialise on one counter. The tables of (K + 1) rows fit in L1 (34
  // KiB at K = 32; rows for every uint8 GT took 256 KiB and twice the time).
  constexpr int kRow = 32, kTables = 8;
  const int table = (k + 1) * kRow;
  const auto dropped = static_cast<uint8_t>(k);
  std::vector<uint32_t> tables(static_cast<size_t>(kTables * table), 0);
  uint32_t* t = tables.data();
  std::vector<uint16_t> codes(4096);
  for (int64_t start = 0; start < voxels; start += int64_t{1} << 30) {  // uint32 counters cannot overflow
    const int64_t end = std::min(voxels, start + (int64_t{1} << 30));
    for (int64_t block = start; block < end; block += 4096) {
      const int64_t n = std::min<int64_t>(4096, end - block);
      const uint8_t* g = gt + block;
      const uint8_t* q = pred + block;
      uint16_t* c = codes.data();
      // Branch-free byte arithmetic, so both loops vectorise.
      if (mask) {
        const uint8_t* m = mask + block;
        for (int64_t i = 0; i < n; ++i) {
          const auto keep = static_cast<uint8_t>(-static_cast<int>(m[i] != 0));  // 0xff or 0
          const auto row = static_cast<uint8_t>((std::min(g[i], dropped) & keep) | (dropped & ~keep));
          c[i] = static_cast<uint16_t>(row << 5 | (q[i] & (kRow - 1)));
        }
      } else {
        for (int64_t i = 0; i < n; ++i)
          c[i] = static_cast<uint16_t>(std::min(g[i], dropped) << 5 | (q[i] & (kRow - 1)));
      }
      int64_t i = 0;
      for (; i + kTables <= n; i += kTables) {
        for (int j = 0; j < kTables; ++j) ++t[j * table + c[i + j]];
      }
      for (; i < n; ++i) ++t[c[i]];
    }
    for (int g = 0; g < k; ++g) {
      for (int p = 0; p < k; ++p) {
        int64_t sum = 0;
        for (int j = 0; j < kTables; ++j) sum += t[j * table + g * kRow + p];
        counts[g * k + p] += sum;
      }
    }
    std::fill(tables.begin(), tables.end(), 0);
  }
}

std::vector<double> Occ3dMiou::class_iou() const {
  const int k = confusion_.classes;
  std::vector<double> iou(static_cast<size_t>(k));
  for (int c = 0; c < k; ++c) {
    int64_t row = 0;
    int64_t col = 0;
    for (int j = 0; j < k; ++j) {
      row += confusion_.at(c, j);
      col += confusion_.at(j, c);
    }
    const int64_t diag = confusion_.at(c, c);
    const int64_t union_count = row + col - diag;
    iou[static_cast<size_t>(c)] = union_count == 0
                                      ? std::numeric_limits<double>::quiet_NaN()
                                      : static_cast<double>(diag) / static_cast<double>(union_count);
  }
  return iou;
}

double Occ3dMiou::miou() const {
  return nanmean_except(class_iou(), free_class_);
}

SscMetrics::SscMetrics(int classes, int empty_class) : confusion_(classes), empty_class_(empty_class) {}

void SscMetrics::add(const uint8_t* gt, const uint8_t* pred, const uint8_t* valid, int64_t voxels) {
  const int k = confusion_.classes;
  int64_t* counts = confusion_.counts.data();
  for (int64_t i = 0; i < voxels; ++i) {
    if ((valid && !valid[i]) || gt[i] == 255) continue;
    ++counts[pred[i] * k + gt[i]];
  }
}

std::vector<double> SscMetrics::class_iou() const {
  const int k = confusion_.classes;
  std::vector<double> iou(static_cast<size_t>(k));
  for (int c = 0; c < k; ++c) {
    int64_t row = 0;  // predicted as c
    int64_t col = 0;  // GT c
    for (int j = 0; j < k; ++j) {
      row += confusion_.at(c, j);
      col += confusion_.at(j, c);
    }
    const int64_t tp = confusion_.at(c, c);
    // tp + fp + fn + 1e-15, as np_ioueval.getIoU.
    const double union_count = static_cast<double>(tp + (row - tp) + (col - tp)) + 1e-15;
    iou[static_cast<size_t>(c)] = static_cast<double>(tp) / union_count;
  }
  return iou;
}

double SscMetrics::miou() const {
  const auto iou = class_iou();
  double sum = 0;
  int count = 0;
  for (size_t c = 0; c < iou.size(); ++c) {
    if (static_cast<int>(c) == empty_class_) continue;
    sum += iou[c];
    ++count;
  }
  return count ? sum / count : std::numeric_limits<double>::quiet_NaN();
}

namespace {

// Sums of the confusion matrix split by "occupied" (not the empty class).
struct OccupancySums {
  int64_t both = 0;       // predicted occupied and GT occupied
  int64_t predicted = 0;  // predicted occupied
  int64_t actual = 0;     // GT occupied
  int64_t total = 0;
  int64_t empty_empty = 0;
};

OccupancySums occupancy_sums(const Confusion& confusion, int empty) {
  OccupancySums sums;
  for (int p = 0; p < confusion.classes; ++p) {
    for (int g = 0; g < confusion.classes; ++g) {
      const int64_t n = confusion.at(p, g);
      sums.total += n;
      if (p != empty && g != empty) sums.both += n;
      if (p != empty) sums.predicted += n;
      if (g != empty) sums.actual += n;
    }
  }
  sums.empty_empty = confusion.at(empty, empty);
  return sums;
}

// np.finfo(np.float32).eps, added by evaluate_completion.py.
constexpr double kFloat32Epsilon = 1.1920928955078125e-07;

}  // namespace

double SscMetrics::completion_iou() const {
  const auto sums = occupancy_sums(confusion_, empty_class_);
  const int64_t denominator = sums.total - sums.empty_empty;
  return denominator == 0 ? std::numeric_limits<double>::quiet_NaN()
                          : static_cast<double>(sums.both) / static_cast<double>(denominator);
}

double SscMetrics::precision() const {
  const auto sums = occupancy_sums(confusion_, empty_class_);
  return static_cast<double>(sums.both) / (static_cast<double>(sums.predicted) + kFloat32Epsilon);
}

double SscMetrics::recall() const {
  const auto sums = occupancy_sums(confusion_, empty_class_);
  return static_cast<double>(sums.both) / (static_cast<double>(sums.actual) + kFloat32Epsilon);
}

}  // namespace occ::metrics

#include "h5/row_batcher.h"

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "core/threads.h"

namespace occ::h5 {
namespace {

constexpr size_t kMaxHeldBytes = size_t{64} << 20;

}  // namespace

RowBatcher::RowBatcher(File& file, int64_t frames_per_batch)
    : file_(file), frames_per_batch_(std::max<int64_t>(1, frames_per_batch)) {}

int64_t RowBatcher::default_frames() {
  return 2 * static_cast<int64_t>(thread_budget());
}

void RowBatcher::add_raw(const std::string& path, int64_t first, int64_t count, DType dtype,
                         const void* data) {
  if (count <= 0) return;
  auto found = pending_.find(path);
  if (found == pending_.end()) {
    Pending pending;
    pending.dtype = dtype;
    const Shape shape = dataset_info(file_, path).shape;
    pending.row_bytes = dtype_size(dtype);
    for (size_t k = 1; k < shape.size(); ++k) pending.row_bytes *= static_cast<size_t>(shape[k]);
    found = pending_.emplace(path, std::move(pending)).first;
  }
  Pending& pending = found->second;
  if (pending.dtype != dtype) {
    throw Error(str("cannot write ", file_.where(path), ": rows of ", dtype_name(dtype), " after rows of ",
                    dtype_name(pending.dtype)));
  }
  if (pending.count > 0 && pending.first + pending.count != first) write(path, pending);
  if (pending.count == 0) pending.first = first;
  const auto* bytes = static_cast<const unsigned char*>(data);
  const size_t added = static_cast<size_t>(count) * pending.row_bytes;
  pending.bytes.insert(pending.bytes.end(), bytes, bytes + added);
  pending.count += count;
  held_bytes_ += added;
  if (held_bytes_ >= kMaxHeldBytes) flush();
}

void RowBatcher::end_frame() {
  if (++frames_ >= frames_per_batch_) flush();
}

void RowBatcher::write(const std::string& path, Pending& pending) {
  if (pending.count > 0)
    write_rows_raw(file_, path, pending.first, pending.count, pending.dtype, pending.bytes.data());
  held_bytes_ -= pending.bytes.size();
  pending.count = 0;
  pending.bytes.clear();
}

void RowBatcher::flush() {
  for (auto& [path, pending] : pending_) write(path, pending);
  frames_ = 0;
}

}  // namespace occ::h5

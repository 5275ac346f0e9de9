#include "train/data_loader.h"

#include <hdf5.h>

#include <climits>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "core/error.h"
#include "core/strings.h"
#include "h5/dataset.h"
#include "train/data_loader_dataset.h"
#include "train/keyframe_history.h"
#include "train/sample_order.h"

namespace occ::train {
namespace {

// Keeps the flip draws apart from any other draw keyed by the same
// (seed, epoch, position, camera).
constexpr uint64_t kFlipStream = 0x666c6970;  // "flip"
// The key of a sample's other draws (LiDAR points, Batch::sample_seed).
constexpr uint64_t kSampleStream = 0x73616d70;  // "samp"

models::GridSpec grid_of(const FramesFile& file) {
  models::GridSpec grid;
  grid.shape = file.grid_shape();
  grid.origin_m = file.grid_origin();
  grid.voxel_size_m = file.voxel_size();
  grid.num_classes = static_cast<int64_t>(file.class_names().size());
  grid.free_class = file.free_class();
  return grid;
}

}  // namespace

// Threads: workers take samples in batch order from `pending` (a window of at
// most `prefetch` batches), decode them without the lock and stack a batch
// when its last sample is in. The consumer pops batches from the front, so
// batches come out in order whatever the timing; an error is kept with its
// batch and rethrown when the consumer reaches that batch.
struct BatchLoader::State {
  struct Pending {
    std::vector<SampleSlot> slots;
    std::vector<Sample> samples;
    size_t handed_out = 0, finished = 0;
    size_t error_slot = SIZE_MAX;  // the first failed slot: the same error whatever the timing
    std::exception_ptr error;
    models::Batch batch;
    bool ready = false;
  };

  std::string path;
  ImageOptions image;
  LoaderOptions options;
  models::GridSpec grid;
  SampleOrder order;
  int64_t camera_count = 0;
  int64_t next_planned;  // the next global batch to plan
  int64_t end_batch;     // one past the last global batch (INT64_MAX: endless)
  std::vector<std::unique_ptr<FramesDataset>> datasets;  // one per worker (one for workers = 0)

  std::mutex mutex;
  std::condition_variable work_available, batch_ready;
  std::deque<Pending> pending;  // deque: references stay valid as batches come and go at the ends
  bool stopping = false;
  std::vector<std::thread> threads;

  State(const std::string& path_in, std::vector<int64_t> rows, const ImageOptions& image_in,
        const LoaderOptions& options_in, int64_t start_batch)
      : path(path_in),
        image(image_in),
        options(options_in),
        order(std::move(rows), options_in.batch_size, options_in.rank, options_in.world_size,
              options_in.shuffle, options_in.drop_last, options_in.seed),
        next_planned(start_batch),
        end_batch(options_in.repeat ? INT64_MAX : order.global_batches_per_epoch()) {}

  ~State() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    work_available.notify_all();
    for (auto& thread : threads) thread.join();
  }

  // The next global batch with frames for this rank; false past the end.
  bool plan_next(std::vector<SampleSlot>& slots) {
    while (next_planned < end_batch) {
      slots = order.batch(next_planned++);
      if (!slots.empty()) return true;
    }
    return false;
  }

  std::vector<bool> flips(const SampleSlot& slot) const {
    std::vector<bool> flip(static_cast<size_t>(camera_count), false);
    if (!options.augment || image.flip_probability <= 0) return flip;
    for (int64_t camera = 0; camera < camera_count; ++camera) {
      const uint64_t hash =
          hash_values({options.seed, static_cast<uint64_t>(slot.epoch), static_cast<uint64_t>(slot.position),
                       static_cast<uint64_t>(camera), kFlipStream});
      flip[static_cast<size_t>(camera)] = unit_interval(hash) < image.flip_probability;
    }
    return flip;
  }

  SampleDraws draws(const SampleSlot& slot) const {
    SampleDraws out;
    out.flips = flips(slot);
    out.key = hash_values({options.seed, static_cast<uint64_t>(slot.epoch),
                           static_cast<uint64_t>(slot.position), kSampleStream});
    return out;
  }

  models::Batch read_batch(const FramesDataset& dataset, const std::vector<SampleSlot>& slots) const {
    std::vector<Sample> samples;
    for (const SampleSlot& slot : slots) samples.push_back(dataset.read(slot.row, draws(slot)));
    models::Batch batch = stack_samples(samples, path);
    return batch;
  }

  // Under the lock: a sample to decode, planning a new batch when the window
  // has room; nullptr when there is nothing to do now.
  Pending* find_work(size_t& slot) {
    for (Pending& batch : pending) {
      if (batch.handed_out < batch.slots.size()) {
        slot = batch.handed_out++;
        return &batch;
      }
    }
    if (static_cast<int64_t>(pending.size()) >= options.prefetch) return nullptr;
    std::vector<SampleSlot> slots;
    if (!plan_next(slots)) {
      batch_ready.notify_all();  // the consumer may be waiting to hear of the end
      return nullptr;
    }
    Pending& batch = pending.emplace_back();
    batch.slots = std::move(slots);
    batch.samples.resize(batch.slots.size());
    slot = batch.handed_out++;
    return &batch;
  }

  void work(const FramesDataset& dataset) {
    // HDF5's error stacks are per thread in the thread-safe build: turn off
    // its printing here too (occ reports errors through exceptions).
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      Pending* batch = nullptr;
      size_t slot = 0;
      work_available.wait(lock, [&] { return stopping || (batch = find_work(slot)) != nullptr; });
      if (stopping) return;
      const SampleSlot sample_slot = batch->slots[slot];
      lock.unlock();
      Sample sample;
      std::exception_ptr error;
      try {
        sample = dataset.read(sample_slot.row, draws(sample_slot));
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      batch->samples[slot] = std::move(sample);
      if (error && slot < batch->error_slot) {
        batch->error_slot = slot;
        batch->error = error;
      }
      if (++batch->finished < batch->slots.size()) continue;
      if (!batch->error) {
        std::vector<Sample> samples = std::move(batch->samples);
        lock.unlock();
        models::Batch stacked;
        try {
          stacked = stack_samples(samples, path);
        } catch (...) {
          error = std::current_exception();
        }
        samples.clear();
        lock.lock();
        batch->batch = std::move(stacked);
        batch->error = error;
      }
      batch->samples.clear();
      batch->ready = true;
      batch_ready.notify_all();
    }
  }

  std::optional<models::Batch> next_in_thread() {
    std::vector<SampleSlot> slots;
    if (!plan_next(slots)) return std::nullopt;
    return read_batch(*datasets.front(), slots);
  }

  std::optional<models::Batch> next_from_workers() {
    std::unique_lock<std::mutex> lock(mutex);
    batch_ready.wait(lock, [&] {
      return (!pending.empty() && pending.front().ready) || (pending.empty() && next_planned >= end_batch);
    });
    if (pending.empty()) return std::nullopt;
    Pending done = std::move(pending.front());
    pending.pop_front();
    lock.unlock();
    work_available.notify_all();  // the window has room again
    if (done.error) std::rethrow_exception(done.error);
    return std::move(done.batch);
  }
};

BatchLoader::BatchLoader(const std::string& frames_path, std::vector<int64_t> rows, ImageOptions image,
                         LoaderOptions options, int64_t start_batch) {
  image.validate();
  options.validate();
  if (start_batch < 0) throw UsageError(str("start_batch must be 0 or more, not ", start_batch));
  if (rows.empty())
    throw UsageError(str("no frames of ", quoted(frames_path), " to load (the row list is empty)"));
  auto first = std::make_unique<FramesDataset>(frames_path, image, options);
  const int64_t frame_count = first->file().frame_count();
  for (const int64_t row : rows) {
    if (row < 0 || row >= frame_count) {
      throw UsageError(
          str("row ", row, " is not a frame of ", quoted(frames_path), " (", frame_count, " frames)"));
    }
  }
  const auto row_count = static_cast<int64_t>(rows.size());
  state_ = std::make_unique<State>(frames_path, std::move(rows), image, options, start_batch);
  State& state = *state_;
  const int64_t global_batch = int64_t{options.batch_size} * options.world_size;
  if (options.drop_last && state.order.global_batches_per_epoch() == 0) {
    throw UsageError(str("loader option 'batch_size': ", options.batch_size, " x world_size ",
                         options.world_size, " = ", global_batch, " frames per batch, more than the ",
                         row_count, " rows to load (drop_last leaves nothing)"));
  }
  if (options.repeat && state.order.rank_batches_per_epoch() == 0) {
    throw UsageError(str("loader option 'rank': rank ", options.rank, " gets no frames of the ", row_count,
                         " rows with ", global_batch, " frames per global batch"));
  }
  state.grid = grid_of(first->file());
  state.camera_count = first->file().camera_count();
  state.datasets.push_back(std::move(first));
  // Separate FramesFile objects per worker: HDF5 here is the thread-safe build.
  for (int worker = 1; worker < options.workers; ++worker) {
    state.datasets.push_back(std::make_unique<FramesDataset>(frames_path, image, options));
  }
  for (int worker = 0; worker < options.workers; ++worker) {
    const FramesDataset& dataset = *state.datasets[static_cast<size_t>(worker)];
    state.threads.emplace_back([&state, &dataset] { state.work(dataset); });
  }
}

BatchLoader::~BatchLoader() = default;

std::optional<models::Batch> BatchLoader::next() {
  return state_->options.workers == 0 ? state_->next_in_thread() : state_->next_from_workers();
}

int64_t BatchLoader::batches_per_epoch() const {
  return state_->order.rank_batches_per_epoch();
}

const models::GridSpec& BatchLoader::grid() const {
  return state_->grid;
}

models::GridSpec grid_of_frames_file(const std::string& frames_path) {
  return grid_of(FramesFile(frames_path));
}

std::vector<int64_t> keyframe_rows(const std::string& frames_path) {
  const FramesFile file(frames_path);
  const auto keyframes = h5::read<uint8_t>(file.file(), "/frames/is_keyframe").values;
  std::vector<int64_t> rows;
  for (size_t row = 0; row < keyframes.size(); ++row) {
    if (keyframes[row] == 1) rows.push_back(static_cast<int64_t>(row));
  }
  return rows;
}

std::vector<int64_t> rows_with_targets(const std::string& frames_path) {
  if (!FramesFile(frames_path).has("/occupancy/semantics")) return {};
  return keyframe_rows(frames_path);
}

std::vector<int64_t> rows_with_neighbours(const std::string& frames_path, const std::vector<int>& offsets) {
  const std::vector<int64_t> keyframes = keyframe_rows(frames_path);
  if (offsets.empty()) return keyframes;
  const FramesFile file(frames_path);
  const KeyframeHistory scene(file);
  std::vector<int64_t> rows;
  for (const int64_t row : keyframes) {
    bool any = false;
    for (const int offset : offsets) any = any || scene.keyframe_at(row, offset) >= 0;
    if (any) rows.push_back(row);
  }
  return rows;
}

}  // namespace occ::train

// Writes HDF5 files with the occ library for tests that need a separate
// process: the h5py interop check (reads what we wrote) and the atomic-write
// tests (kill the writer half way).
//
//   h5_test_writer dtypes OUT [COMPRESSION]   every dtype and attribute kind, known values
//   h5_test_writer slow OUT FRAMES DELAY_MS    frames one by one, "started" on stdout after the first
//   h5_test_writer pair PARALLEL SERIAL [COMPRESSION]  the same frames of every dtype, through occ's
//       parallel chunk writer (2 threads) and through HDF5's H5Dwrite, for h5py to compare
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/signals.h"
#include "core/threads.h"
#include "h5/atomic_file.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

using namespace occ;

namespace {

// Values are i * 0.5 - 3 (floats) or i % modulus (integers), so the reader
// can recompute them.
void write_dtypes(const std::string& out, const std::string& compression_text) {
  h5::AtomicPath atomic(out);
  h5::File file = h5::File::create(atomic.temp_path(), out);
  h5::DatasetOptions options;
  options.compression = h5::Compression::parse(compression_text);
  const h5::Shape shape{3, 4, 5};
  const int64_t n = h5::element_count(shape);
  std::vector<uint8_t> u8(n);
  std::vector<uint16_t> u16(n);
  std::vector<int32_t> i32(n);
  std::vector<int64_t> i64(n);
  std::vector<Half> f16(n);
  std::vector<float> f32(n);
  std::vector<double> f64(n);
  for (int64_t i = 0; i < n; ++i) {
    u8[i] = static_cast<uint8_t>(i % 251);
    u16[i] = static_cast<uint16_t>(i * 1000 % 65521);
    i32[i] = static_cast<int32_t>(i * 7919 - 100000);
    i64[i] = static_cast<int64_t>(i) * 4000000000LL - 7;
    f16[i] = float_to_half(static_cast<float>(i) * 0.5f - 3.0f);
    f32[i] = static_cast<float>(i) * 0.5f - 3.0f;
    f64[i] = static_cast<double>(i) * 0.5 - 3.0;
  }
  h5::write(file, "/data/uint8", u8, shape, options);
  h5::write(file, "/data/uint16", u16, shape, options);
  h5::write(file, "/data/int32", i32, shape, options);
  h5::write(file, "/data/int64", i64, shape, options);
  h5::write(file, "/data/float16", f16, shape, options);
  h5::write(file, "/data/float32", f32, shape, options);
  h5::write(file, "/data/float64", f64, shape, options);
  h5::write_strings(file, "/data/names", {"CAM_FRONT", "Ünïcode", ""});
  h5::write_attribute(file, "/", "text", std::string("hello ünïcode"));
  h5::write_attribute(file, "/", "count", int64_t{42});
  h5::write_attribute(file, "/", "scale", 0.25);
  h5::write_attribute(file, "/", "names", std::vector<std::string>{"a", "bb", "ccc"});
  h5::write_attribute(file, "/", "shape", std::vector<int64_t>{200, 200, 16});
  h5::write_attribute(file, "/", "origin", std::vector<double>{-40.0, -40.0, -1.0});
  h5::write_attribute(file, "/data/float32", "unit", std::string("m"));
  file.close();
  atomic.commit();
}

void write_slowly(const std::string& out, int frames, int delay_ms) {
  install_signal_handlers();
  h5::AtomicPath atomic(out);
  h5::File file = h5::File::create(atomic.temp_path(), out);
  const h5::Shape frame_shape{1, 64, 64};
  h5::DatasetOptions options;
  options.extendable = true;
  h5::create_dataset(file, "/frames", h5::DType::float32, {0, 64, 64}, options);
  std::vector<float> frame(64 * 64);
  for (int i = 0; i < frames; ++i) {
    std::fill(frame.begin(), frame.end(), static_cast<float>(i));
    h5::write_rows(file, "/frames", i, 1, frame.data());
    H5Fflush(file.id(), H5F_SCOPE_GLOBAL);
    if (i == 0) {
      std::cout << "started " << atomic.temp_path() << std::endl;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
  h5::write_attribute(file, "/", "frames", int64_t{frames});
  file.close();
  atomic.commit();
}

// 12 frames of 30 x 7 per dtype, one frame per chunk: values as write_dtypes.
template <typename T>
void write_frames_pair(h5::File& parallel, h5::File& serial, const std::string& path,
                       const h5::DatasetOptions& options, T (*value)(int64_t)) {
  const h5::Shape shape{12, 30, 7};
  std::vector<T> values(static_cast<size_t>(h5::element_count(shape)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = value(static_cast<int64_t>(i));
  h5::create_dataset(parallel, path, h5::dtype_of<T>(), shape, options);
  h5::write_rows(parallel, path, 0, shape[0], values.data());
  h5::create_dataset(serial, path, h5::dtype_of<T>(), shape, options);
  h5::Handle dataset(H5Dopen2(serial.id(), path.c_str(), H5P_DEFAULT), H5Dclose);
  h5::Handle type = h5::make_type(h5::dtype_of<T>());
  if (H5Dwrite(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    throw Error("H5Dwrite failed on " + path);
}

void write_pair(const std::string& parallel_out, const std::string& serial_out,
                const std::string& compression) {
  set_thread_budget(2);
  h5::File parallel = h5::File::create(parallel_out, parallel_out);
  h5::File serial = h5::File::create(serial_out, serial_out);
  h5::DatasetOptions options;
  options.compression = h5::Compression::parse(compression);
  options.chunk = {1, 30, 7};
  write_frames_pair<uint8_t>(parallel, serial, "/data/uint8", options,
                             [](int64_t i) { return uint8_t(i % 251); });
  write_frames_pair<uint16_t>(parallel, serial, "/data/uint16", options,
                              [](int64_t i) { return uint16_t(i * 1000 % 65521); });
  write_frames_pair<int32_t>(parallel, serial, "/data/int32", options,
                             [](int64_t i) { return int32_t(i * 7919 - 100000); });
  write_frames_pair<int64_t>(parallel, serial, "/data/int64", options,
                             [](int64_t i) -> int64_t { return i * int64_t{4000000000} - 7; });
  write_frames_pair<Half>(parallel, serial, "/data/float16", options,
                          [](int64_t i) { return float_to_half(static_cast<float>(i) * 0.5f - 3.0f); });
  write_frames_pair<float>(parallel, serial, "/data/float32", options,
                           [](int64_t i) { return static_cast<float>(i) * 0.5f - 3.0f; });
  write_frames_pair<double>(parallel, serial, "/data/float64", options,
                            [](int64_t i) { return static_cast<double>(i) * 0.5 - 3.0; });
  parallel.close();
  serial.close();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "dtypes" && (argc == 3 || argc == 4)) {
      write_dtypes(argv[2], argc == 4 ? argv[3] : "deflate");
      return 0;
    }
    if (mode == "slow" && argc == 5) {
      write_slowly(argv[2], std::stoi(argv[3]), std::stoi(argv[4]));
      return 0;
    }
    if (mode == "pair" && (argc == 4 || argc == 5)) {
      write_pair(argv[2], argv[3], argc == 5 ? argv[4] : "deflate");
      return 0;
    }
    std::cerr
        << "usage: h5_test_writer dtypes OUT [COMPRESSION] | slow OUT FRAMES DELAY_MS | pair PARALLEL SERIAL "
           "[COMPRESSION]\n";
    return 2;
  } catch (const Error& error) {
    std::cerr << "h5_test_writer: " << error.what() << "\n";
    return error.exit_code();
  }
}

// Reads datasets of HDF5 files frame batch by frame batch through
// h5::read_row_list_raw, as occ eval does, without the rest of occ's
// start-up; prints the seconds as JSON. For scripts/bench_eval.py, which
// times the decoding alone on 1 and 2 threads.
//
//   h5_read_bench THREADS BATCH FILE:DATASET...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/threads.h"
#include "h5/dataset.h"
#include "h5/file.h"

using namespace occ;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: h5_read_bench THREADS BATCH FILE:DATASET...\n";
    return 2;
  }
  try {
    set_thread_budget(std::stoi(argv[1]));
    const int64_t batch = std::max(1, std::stoi(argv[2]));
    std::vector<h5::File> files;
    std::vector<std::string> datasets;
    for (int a = 3; a < argc; ++a) {
      const std::string arg = argv[a];
      const size_t colon = arg.rfind(':');
      files.push_back(h5::File::open(arg.substr(0, colon)));
      datasets.push_back(arg.substr(colon + 1));
    }
    const auto start = std::chrono::steady_clock::now();
    int64_t bytes = 0;
    for (size_t d = 0; d < files.size(); ++d) {
      const auto info = h5::dataset_info(files[d], datasets[d]);
      const int64_t rows = info.shape.at(0), row = h5::element_count(info.shape) / std::max<int64_t>(1, rows);
      std::vector<unsigned char> out(static_cast<size_t>(batch * row) * h5::dtype_size(info.dtype));
      for (int64_t first = 0; first < rows; first += batch) {
        std::vector<int64_t> list;
        for (int64_t r = first; r < std::min(rows, first + batch); ++r) list.push_back(r);
        h5::read_row_list_raw(files[d], datasets[d], list, info.dtype, out.data());
      }
      bytes += h5::element_count(info.shape) * static_cast<int64_t>(h5::dtype_size(info.dtype));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"seconds\": %.6f, \"bytes\": %lld}\n", seconds, static_cast<long long>(bytes));
    return 0;
  } catch (const Error& error) {
    std::cerr << "h5_read_bench: " << error.what() << "\n";
    return error.exit_code();
  }
}

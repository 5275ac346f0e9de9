#pragma once
// NumPy's .npy arrays and .npz archives (a zip of .npy entries, stored by
// np.savez or deflated by np.savez_compressed), so occ reads other tools'
// outputs such as Occ3D labels.npz and submission folders.
// Format: numpy/lib/format.py (magic "\x93NUMPY", version, little-endian
// header length, a Python-dict header with 'descr', 'fortran_order', 'shape').
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace occ::npy {

struct Array {
  std::string descr;           // as in the header: "|u1", "<f4", ...
  char kind = 'u';             // 'b' bool, 'u' unsigned, 'i' signed, 'f' float
  int item_size = 1;           // bytes per element
  std::vector<int64_t> shape;  // C order (Fortran-order files are transposed on read)
  std::vector<uint8_t> bytes;  // element data in C order, native little-endian

  int64_t count() const;
  // Converts to the asked type when the conversion is exact for every
  // possible value (u1 -> uint8, bool -> uint8, f2/f4 -> float, ...); throws
  // FormatError naming `where` otherwise.
  std::vector<uint8_t> as_uint8(const std::string& where) const;
  // Class labels from any integer or bool dtype (other tools save int64
  // labels); a value outside [0, 255] throws FormatError naming `where`.
  std::vector<uint8_t> as_labels(const std::string& where) const;
  std::vector<float> as_float(const std::string& where) const;
};

// Parses one .npy image; `where` names it in messages ("'a.npz' entry 'x'").
Array parse(const uint8_t* data, size_t size, const std::string& where);
Array read_npy(const std::string& path);
// Serialises an array as .npy version 1.0 (C order).
std::vector<uint8_t> serialise(const Array& array);

// Read access to an .npz archive.
class NpzReader {
 public:
  explicit NpzReader(const std::string& path);
  ~NpzReader();
  NpzReader(const NpzReader&) = delete;
  NpzReader& operator=(const NpzReader&) = delete;

  // Array names without the ".npy" suffix, in archive order.
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const;
  Array read(const std::string& name) const;
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  std::vector<std::string> names_;
};

// Writes an .npz archive (deflated like np.savez_compressed, or stored like
// np.savez), atomically.
struct NpzEntry {
  std::string name;  // without ".npy"
  Array array;
};
void write_npz(const std::string& path, const std::vector<NpzEntry>& entries, bool compress);

// Builds an Array from typed values (tests and writers).
Array make_uint8(const std::vector<int64_t>& shape, const std::vector<uint8_t>& values);
Array make_float32(const std::vector<int64_t>& shape, const std::vector<float>& values);

}  // namespace occ::npy

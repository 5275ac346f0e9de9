#include "datasets/npy.h"

#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/strings.h"
#include "h5/atomic_file.h"
#include "h5/half.h"

namespace occ::npy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

// The value text after "'key':" in the header dict, up to the next top-level
// comma (tuples keep their commas).
std::string header_value(const std::string& header, const std::string& key, const std::string& where) {
  const std::string quoted_key = "'" + key + "'";
  size_t at = header.find(quoted_key);
  if (at == std::string::npos)
    throw FormatError(str("cannot read ", where, ": npy header has no ", quoted_key));
  at = header.find(':', at + quoted_key.size());
  if (at == std::string::npos) throw FormatError(str("cannot read ", where, ": malformed npy header"));
  ++at;
  while (at < header.size() && header[at] == ' ') ++at;
  size_t end = at;
  int depth = 0;
  while (end < header.size()) {
    const char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if ((c == ',' && depth == 0) || (c == '}' && depth == 0)) break;
    ++end;
  }
  return header.substr(at, end - at);
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& where) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    throw FormatError(str("cannot read ", where, ": npy shape ", text, " is not a tuple"));
  }
  std::vector<int64_t> shape;
  std::string number;
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      number += c;
      // 18 digits stay below 2^63; larger extents cannot be data anyway.
      if (number.size() > 18)
        throw FormatError(str("cannot read ", where, ": npy shape ", text, " is too large"));
    } else if (c == ',' || c == ')') {
      if (!number.empty()) shape.push_back(std::stoll(number));
      number.clear();
    } else if (c != ' ' && c != 'L') {
      throw FormatError(str("cannot read ", where, ": npy shape ", text, " is not a tuple of integers"));
    }
  }
  return shape;
}

// Reorders Fortran-order bytes into C order.
std::vector<uint8_t> fortran_to_c(const std::vector<uint8_t>& in, const std::vector<int64_t>& shape,
                                  int item) {
  const size_t dims = shape.size();
  std::vector<uint8_t> out(in.size());
  const int64_t count = static_cast<int64_t>(in.size()) / item;
  std::vector<int64_t> index(dims, 0);
  for (int64_t c_pos = 0; c_pos < count; ++c_pos) {
    int64_t f_pos = 0;
    int64_t stride = 1;
    for (size_t d = 0; d < dims; ++d) {
      f_pos += index[d] * stride;
      stride *= shape[d];
    }
    std::memcpy(&out[static_cast<size_t>(c_pos * item)], &in[static_cast<size_t>(f_pos * item)],
                static_cast<size_t>(item));
    for (size_t d = dims; d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

[[noreturn]] void zip_failure(const std::string& path, const std::string& what, zip_error_t* error) {
  const std::string reason = error ? zip_error_strerror(error) : "unknown error";
  throw FormatError(str("cannot read ", occ::quoted(path), ": ", what, ": ", reason));
}

}  // namespace

int64_t Array::count() const {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t total = 1;
  for (int64_t extent : shape) total *= extent;
  return total;
}

std::vector<uint8_t> Array::as_uint8(const std::string& where) const {
  if ((kind == 'u' || kind == 'b') && item_size == 1) return bytes;
  throw FormatError(str(where, " has dtype ", descr, ", expected uint8 ('|u1') or bool"));
}

std::vector<uint8_t> Array::as_labels(const std::string& where) const {
  if ((kind == 'u' || kind == 'b') && item_size == 1) return bytes;
  if ((kind != 'u' && kind != 'i') ||
      (item_size != 1 && item_size != 2 && item_size != 4 && item_size != 8)) {
    throw FormatError(str(where, " has dtype ", descr, ", expected integer class labels"));
  }
  std::vector<uint8_t> labels(static_cast<size_t>(count()));
  for (size_t i = 0; i < labels.size(); ++i) {
    const uint8_t* at = &bytes[i * static_cast<size_t>(item_size)];
    int64_t value = 0;
    uint64_t raw = 0;
    std::memcpy(&raw, at, static_cast<size_t>(item_size));  // little-endian host, as the header says
    if (kind == 'i' && item_size < 8 && (raw >> (8 * item_size - 1)) & 1) {
      raw |= ~uint64_t{0} << (8 * item_size);  // sign-extend
    }
    value = static_cast<int64_t>(raw);
    if (kind == 'u' && item_size == 8 && raw > 255) value = 256;
    if (value < 0 || value > 255) {
      throw FormatError(str(where, " has label ", value, " at element ", i, ", outside 0..255"));
    }
    labels[i] = static_cast<uint8_t>(value);
  }
  return labels;
}

std::vector<float> Array::as_float(const std::string& where) const {
  std::vector<float> values(static_cast<size_t>(count()));
  if (kind == 'f' && item_size == 4) {
    if (!bytes.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());  // no null pointers to memcpy
  } else if (kind == 'f' && item_size == 2) {
    for (size_t i = 0; i < values.size(); ++i) {
      Half half;
      std::memcpy(&half.bits, &bytes[2 * i], 2);
      values[i] = half_to_float(half);
    }
  } else {
    throw FormatError(str(where, " has dtype ", descr, ", expected float16 or float32"));
  }
  return values;
}

Array parse(const uint8_t* data, size_t size, const std::string& where) {
  if (size < 10 || std::memcmp(data, kMagic, kMagicSize) != 0) {
    throw FormatError(str("cannot read ", where, ": not a .npy array (bad magic)"));
  }
  const int major = data[6];
  size_t header_size = 0;
  size_t offset = 0;
  if (major == 1) {
    header_size = static_cast<size_t>(data[8]) | static_cast<size_t>(data[9]) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw FormatError(str("cannot read ", where, ": truncated npy header"));
    header_size = static_cast<size_t>(data[8]) | static_cast<size_t>(data[9]) << 8 |
                  static_cast<size_t>(data[10]) << 16 | static_cast<size_t>(data[11]) << 24;
    offset = 12;
  } else {
    throw FormatError(str("cannot read ", where, ": unsupported npy version ", major));
  }
  if (offset + header_size > size) throw FormatError(str("cannot read ", where, ": truncated npy header"));
  const std::string header(reinterpret_cast<const char*>(data + offset), header_size);

  Array array;
  std::string descr = header_value(header, "descr", where);
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"')) {
    throw FormatError(str("cannot read ", where, ": unsupported npy dtype ", descr));
  }
  array.descr = descr.substr(1, descr.size() - 2);
  const std::string& d = array.descr;
  if (d.size() < 3 || (d[0] != '<' && d[0] != '|' && d[0] != '=') ||
      std::string("buif").find(d[1]) == std::string::npos) {
    throw FormatError(
        str("cannot read ", where, ": unsupported npy dtype '", d, "' (only little-endian numbers)"));
  }
  array.kind = d[1];
  const std::string size_text = d.substr(2);
  if (size_text != "1" && size_text != "2" && size_text != "4" && size_text != "8") {
    throw FormatError(
        str("cannot read ", where, ": unsupported npy dtype '", d, "' (item size 1, 2, 4 or 8)"));
  }
  array.item_size = size_text[0] - '0';
  const std::string fortran = header_value(header, "fortran_order", where);
  array.shape = parse_shape(header_value(header, "shape", where), where);
  for (int64_t extent : array.shape) {
    if (extent < 0) throw FormatError(str("cannot read ", where, ": negative extent in npy shape"));
  }
  const size_t data_at = offset + header_size;
  // The element count, checked against the bytes present before any product
  // can overflow (a header may claim any shape).
  const size_t available = size - data_at;
  size_t bytes = static_cast<size_t>(array.item_size);
  bool fits = true;
  for (int64_t extent : array.shape) {
    if (extent == 0) {
      bytes = 0;
      fits = true;
      break;
    }
    if (fits && bytes > available / static_cast<size_t>(extent)) fits = false;
    if (fits) bytes *= static_cast<size_t>(extent);
  }
  if (!fits) {
    throw FormatError(
        str("cannot read ", where, ": npy data is truncated (", available, " bytes, shape needs more)"));
  }
  if (available < bytes) {
    throw FormatError(
        str("cannot read ", where, ": npy data is truncated (", size - data_at, " of ", bytes, " bytes)"));
  }
  array.bytes.assign(data + data_at, data + data_at + bytes);
  if (fortran == "True" && array.shape.size() > 1) {
    array.bytes = fortran_to_c(array.bytes, array.shape, array.item_size);
  }
  return array;
}

Array read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(str("cannot open ", occ::quoted(path), ": ", std::strerror(errno)));
  const std::vector<uint8_t> content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse(content.data(), content.size(), occ::quoted(path));
}

std::vector<uint8_t> serialise(const Array& array) {
  std::string shape = "(";
  for (size_t i = 0; i < array.shape.size(); ++i) shape += std::to_string(array.shape[i]) + ", ";
  if (array.shape.size() > 1) shape.resize(shape.size() - 2);
  if (array.shape.size() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = str("{'descr': '", array.descr, "', 'fortran_order': False, 'shape': ", shape, ", }");
  // numpy pads the header with spaces so the data starts 64-byte aligned.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> out(kMagic, kMagic + kMagicSize);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(header.size() & 0xff));
  out.push_back(static_cast<uint8_t>(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), array.bytes.begin(), array.bytes.end());
  return out;
}

struct NpzReader::Impl {
  zip_t* archive = nullptr;
};

NpzReader::NpzReader(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  int code = 0;
  impl_->archive = zip_open(path.c_str(), ZIP_RDONLY, &code);
  if (!impl_->archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    if (code == ZIP_ER_NOENT || code == ZIP_ER_OPEN || code == ZIP_ER_READ) {
      throw IoError(str("cannot open ", occ::quoted(path), ": ", reason));
    }
    throw FormatError(str("cannot open ", occ::quoted(path), ": not an .npz archive (", reason, ")"));
  }
  const zip_int64_t entries = zip_get_num_entries(impl_->archive, 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    std::string name = zip_get_name(impl_->archive, static_cast<zip_uint64_t>(i), 0);
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    names_.push_back(name);
  }
}

NpzReader::~NpzReader() {
  if (impl_ && impl_->archive) zip_discard(impl_->archive);
}

bool NpzReader::contains(const std::string& name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

Array NpzReader::read(const std::string& name) const {
  const std::string where = str(occ::quoted(path_), " entry ", occ::quoted(name));
  const zip_int64_t index = zip_name_locate(impl_->archive, (name + ".npy").c_str(), 0);
  if (index < 0) {
    throw FormatError(str("cannot read ", occ::quoted(path_), ": no array ", occ::quoted(name), " (it has ",
                          join(names_, ", "), ")"));
  }
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(impl_->archive, static_cast<zip_uint64_t>(index), 0, &stat) != 0) {
    zip_failure(path_, "cannot stat " + name, zip_get_error(impl_->archive));
  }
  // A damaged or hostile directory may claim any size; refuse more than the
  // stored bytes can hold before allocating it (deflate expands at most
  // 1032:1, zlib's technical notes; a stored entry is its own size), and
  // stored bytes beyond the end of the file.
  const bool sizes_known = (stat.valid & ZIP_STAT_SIZE) && (stat.valid & ZIP_STAT_COMP_SIZE);
  const bool stored = (stat.valid & ZIP_STAT_COMP_METHOD) && stat.comp_method == ZIP_CM_STORE;
  const zip_uint64_t most = stored ? stat.comp_size : stat.comp_size * 1032 + 1024;
  std::error_code error;
  const auto archive_bytes = std::filesystem::file_size(path_, error);
  if (!sizes_known || error || stat.comp_size > archive_bytes || stat.size > most) {
    throw FormatError(str("cannot read ", where, ": the archive claims ", stat.size, " bytes from ",
                          stat.comp_size, " stored (damaged zip directory)"));
  }
  zip_file_t* file = zip_fopen_index(impl_->archive, static_cast<zip_uint64_t>(index), 0);
  if (!file) zip_failure(path_, "cannot open entry " + name, zip_get_error(impl_->archive));
  std::vector<uint8_t> content(static_cast<size_t>(stat.size));
  const zip_int64_t got = zip_fread(file, content.data(), content.size());
  const bool short_read = got < 0 || static_cast<zip_uint64_t>(got) != stat.size;
  if (short_read) {
    const std::string reason = zip_error_strerror(zip_file_get_error(file));
    zip_fclose(file);
    throw FormatError(str("cannot read ", where, ": ", reason));
  }
  zip_fclose(file);
  return parse(content.data(), content.size(), where);
}

void write_npz(const std::string& path, const std::vector<NpzEntry>& entries, bool compress) {
  h5::AtomicPath atomic(path);
  int code = 0;
  zip_t* archive = zip_open(atomic.temp_path().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (!archive) throw IoError(str("cannot write ", occ::quoted(path), ": libzip error ", code));
  // libzip reads the buffers at zip_close, so they must outlive the loop.
  std::vector<std::vector<uint8_t>> buffers;
  buffers.reserve(entries.size());
  for (const auto& entry : entries) {
    buffers.push_back(serialise(entry.array));
    zip_source_t* source = zip_source_buffer(archive, buffers.back().data(), buffers.back().size(), 0);
    const zip_int64_t index =
        source ? zip_file_add(archive, (entry.name + ".npy").c_str(), source, ZIP_FL_OVERWRITE) : -1;
    if (index < 0) {
      if (source) zip_source_free(source);
      const std::string reason = zip_error_strerror(zip_get_error(archive));
      zip_discard(archive);
      throw IoError(str("cannot write ", occ::quoted(path), ": ", reason));
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index),
                             compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  if (zip_close(archive) != 0) {
    const std::string reason = zip_error_strerror(zip_get_error(archive));
    zip_discard(archive);
    throw IoError(str("cannot write ", occ::quoted(path), ": ", reason));
  }
  atomic.commit();
}

Array make_uint8(const std::vector<int64_t>& shape, const std::vector<uint8_t>& values) {
  Array array;
  array.descr = "|u1";
  array.kind = 'u';
  array.item_size = 1;
  array.shape = shape;
  array.bytes = values;
  return array;
}

Array make_float32(const std::vector<int64_t>& shape, const std::vector<float>& values) {
  Array array;
  array.descr = "<f4";
  array.kind = 'f';
  array.item_size = 4;
  array.shape = shape;
  array.bytes.resize(values.size() * 4);
  if (!values.empty()) std::memcpy(array.bytes.data(), values.data(), array.bytes.size());
  return array;
}

}  // namespace occ::npy

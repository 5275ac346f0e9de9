#include "export/pickle_writer.h"

#include <cstring>

#include "core/error.h"
#include "core/strings.h"

namespace occ::exporting {
namespace {

// Opcode bytes from CPython's Lib/pickle.py.
constexpr char kMark = '(';
constexpr char kStop = '.';
constexpr char kNone = 'N';
constexpr char kBinInt = 'J';
constexpr char kBinInt1 = 'K';
constexpr char kLong1 = '\x8a';
constexpr char kBinFloat = 'G';
constexpr char kBinUnicode = 'X';
constexpr char kBinBytes = 'B';
constexpr char kShortBinBytes = 'C';
constexpr char kGlobal = 'c';
constexpr char kTuple = 't';
constexpr char kEmptyTuple = ')';
constexpr char kEmptyDict = '}';
constexpr char kSetItem = 's';
constexpr char kEmptyList = ']';
constexpr char kAppends = 'e';
constexpr char kSetItems = 'u';
constexpr char kReduce = 'R';
constexpr char kBuild = 'b';
constexpr char kBinPersId = 'Q';
constexpr char kProto = '\x80';
constexpr char kNewTrue = '\x88';
constexpr char kNewFalse = '\x89';

}  // namespace

PickleWriter::PickleWriter(int protocol) : protocol_(protocol) {
  if (protocol < 2 || protocol > 4)
    throw Error(str("internal: pickle protocol ", protocol, " not supported"));
  put(kProto);
  buffer_ += static_cast<char>(protocol);
}

void PickleWriter::put_u32(uint32_t value) {
  for (int i = 0; i < 4; ++i) buffer_ += static_cast<char>((value >> (8 * i)) & 0xff);
}

void PickleWriter::none() {
  put(kNone);
}

void PickleWriter::boolean(bool value) {
  put(value ? kNewTrue : kNewFalse);
}

void PickleWriter::integer(int64_t value) {
  if (value >= 0 && value < 256) {
    put(kBinInt1);
    buffer_ += static_cast<char>(value);
  } else if (value >= INT32_MIN && value <= INT32_MAX) {
    put(kBinInt);
    put_u32(static_cast<uint32_t>(static_cast<int32_t>(value)));
  } else {
    // LONG1: a length byte, then two's complement little endian.
    put(kLong1);
    buffer_ += static_cast<char>(8);
    const uint64_t bits = static_cast<uint64_t>(value);
    for (int i = 0; i < 8; ++i) buffer_ += static_cast<char>((bits >> (8 * i)) & 0xff);
  }
}

void PickleWriter::real(double value) {
  // BINFLOAT is big endian.
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  put(kBinFloat);
  for (int i = 7; i >= 0; --i) buffer_ += static_cast<char>((bits >> (8 * i)) & 0xff);
}

void PickleWriter::text(const std::string& value) {
  put(kBinUnicode);
  put_u32(static_cast<uint32_t>(value.size()));
  buffer_ += value;
}

void PickleWriter::bytes(const void* data, size_t size) {
  if (protocol_ < 3) throw Error("internal: pickle bytes need protocol 3");
  if (size > UINT32_MAX) throw Error("internal: pickle bytes object over 4 GiB");
  if (size < 256) {
    put(kShortBinBytes);
    buffer_ += static_cast<char>(size);
  } else {
    put(kBinBytes);
    put_u32(static_cast<uint32_t>(size));
  }
  buffer_.append(static_cast<const char*>(data), size);
}

void PickleWriter::global(const std::string& module, const std::string& name) {
  put(kGlobal);
  buffer_ += module + '\n' + name + '\n';
}

void PickleWriter::mark() {
  put(kMark);
}

void PickleWriter::tuple_from_mark() {
  put(kTuple);
}

void PickleWriter::empty_tuple() {
  put(kEmptyTuple);
}

void PickleWriter::empty_dict() {
  put(kEmptyDict);
}

void PickleWriter::empty_list() {
  put(kEmptyList);
}

void PickleWriter::append_from_mark() {
  put(kAppends);
}

void PickleWriter::set_items_from_mark() {
  put(kSetItems);
}

void PickleWriter::set_item() {
  put(kSetItem);
}

void PickleWriter::reduce() {
  put(kReduce);
}

void PickleWriter::build() {
  put(kBuild);
}

void PickleWriter::persistent_id() {
  put(kBinPersId);
}

void PickleWriter::stop() {
  put(kStop);
}

std::string PickleWriter::take() {
  std::string out;
  out.swap(buffer_);
  return out;
}

void PickleWriter::numpy_dtype(const std::string& dtype) {
  // numpy.dtype(name, align=False, copy=True), then the state numpy's
  // dtype.__reduce__ produces: (version 3, byte order, subarray, names,
  // fields, itemsize -1, alignment -1, flags 0).
  global("numpy", "dtype");
  mark();
  text(dtype);
  boolean(false);
  boolean(true);
  tuple_from_mark();
  reduce();
  mark();
  integer(3);
  text(dtype == "u1" || dtype == "i1" || dtype == "b1" ? "|" : "<");
  none();
  none();
  none();
  integer(-1);
  integer(-1);
  integer(0);
  tuple_from_mark();
  build();
}

void PickleWriter::numpy_array(const std::string& dtype, const std::vector<int64_t>& shape, const void* data,
                               size_t byte_count) {
  global("numpy.core.multiarray", "_reconstruct");
  mark();
  global("numpy", "ndarray");
  mark();
  integer(0);
  tuple_from_mark();
  bytes("b", 1);
  tuple_from_mark();
  reduce();
  mark();
  integer(1);
  mark();
  for (const int64_t extent : shape) integer(extent);
  tuple_from_mark();
  numpy_dtype(dtype);
  boolean(false);
  bytes(data, byte_count);
  tuple_from_mark();
  build();
}

}  // namespace occ::exporting

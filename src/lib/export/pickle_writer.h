#pragma once
// A Python pickle encoder for the few types occ exports: dicts, strings,
// bytes, integers, floats, booleans, None, tuples, references to Python
// globals with REDUCE/BUILD, and numpy arrays. Opcodes follow CPython's
// Lib/pickletools.py; protocol 2 (what torch.save uses) or 3 (bytes objects,
// what numpy arrays need to round-trip their data as `bytes`).
//
// The writer only appends opcodes to a buffer; callers stream the buffer out
// with take() so a pickle far larger than memory can be written.
#include <cstdint>
#include <string>
#include <vector>

namespace occ::exporting {

class PickleWriter {
 public:
  explicit PickleWriter(int protocol);

  // Values: each pushes one object on the unpickler's stack.
  void none();
  void boolean(bool value);
  void integer(int64_t value);
  void real(double value);
  void text(const std::string& value);  // Python str (UTF-8)
  void bytes(const void* data, size_t size);
  // module.name, e.g. global("collections", "OrderedDict").
  void global(const std::string& module, const std::string& name);

  // Containers: push a MARK, push the items, then close.
  void mark();
  void tuple_from_mark();
  void empty_tuple();
  void empty_dict();
  void empty_list();
  // Appends the items pushed since the mark to the list below it.
  void append_from_mark();
  // Adds the key/value pairs pushed since the mark to the dict below it.
  void set_items_from_mark();
  // Pops key and value, adds them to the dict below.
  void set_item();

  // callable(*args): pops args tuple and callable, pushes the result.
  void reduce();
  // obj.__setstate__(state): pops state.
  void build();
  // A persistent id (torch's storages): pops the id object.
  void persistent_id();

  // A numpy array, rebuilt the way numpy pickles its own arrays
  // (numpy.core.multiarray._reconstruct, then __setstate__ with version 1,
  // shape, dtype, fortran order and raw C-order little-endian data).
  // `dtype` is numpy's name ("u1", "f2", "f4"); needs protocol 3 or later.
  void numpy_array(const std::string& dtype, const std::vector<int64_t>& shape, const void* data,
                   size_t byte_count);

  void stop();

  // The bytes encoded since the last take().
  std::string take();
  const std::string& buffer() const { return buffer_; }

 private:
  void numpy_dtype(const std::string& dtype);
  void put(char opcode) { buffer_ += opcode; }
  void put_u32(uint32_t value);

  int protocol_;
  std::string buffer_;
};

}  // namespace occ::exporting

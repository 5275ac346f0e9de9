#include "nn/state_dict.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/nn/module.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "core/error.h"

namespace occ::nn {
namespace {

std::string shape_text(at::IntArrayRef sizes) {
  std::ostringstream text;
  text << '[';
  for (size_t i = 0; i < sizes.size(); ++i) text << (i ? ", " : "") << sizes[i];
  text << ']';
  return text.str();
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// At most a handful of names in a message; the count says how many there are.
std::string name_list(const std::vector<std::string>& names) {
  constexpr size_t kShown = 8;
  std::string text;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) text += (i ? ", " : "") + quoted(names[i]);
  if (names.size() > kShown) text += ", ... (" + std::to_string(names.size()) + " in all)";
  return text;
}

// LibTorch 1.13's torch::pickle_load cannot read what Python writes for
// torch.save(model.state_dict()): it lacks the SETITEM opcode that stores the
// OrderedDict's _metadata attribute. This is a small unpickler for exactly the
// objects a state dict holds (dicts, OrderedDicts, tuples, lists, strings,
// numbers, tensors rebuilt from archive storages); anything else, e.g. a
// pickled Python class, is rejected rather than executed. Opcode meanings:
// Python's Lib/pickletools.py.
struct PickleValue {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Tensor };
  Kind kind = Kind::None;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;  // String; Global as "module.name"
  std::vector<std::shared_ptr<PickleValue>> items;
  std::vector<std::pair<std::shared_ptr<PickleValue>, std::shared_ptr<PickleValue>>> entries;
  at::Tensor tensor;
};
using PickleValuePtr = std::shared_ptr<PickleValue>;

PickleValuePtr make_value(PickleValue::Kind kind) {
  auto value = std::make_shared<PickleValue>();
  value->kind = kind;
  return value;
}

// dtype of a storage class of torch.save's persistent ids ("torch.FloatStorage").
at::ScalarType storage_dtype(const std::string& name) {
  static const std::map<std::string, at::ScalarType> dtypes = {
      {"torch.FloatStorage", at::kFloat}, {"torch.DoubleStorage", at::kDouble},
      {"torch.HalfStorage", at::kHalf},   {"torch.BFloat16Storage", at::kBFloat16},
      {"torch.LongStorage", at::kLong},   {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort}, {"torch.CharStorage", at::kChar},
      {"torch.ByteStorage", at::kByte},   {"torch.BoolStorage", at::kBool}};
  const auto found = dtypes.find(name);
  if (found == dtypes.end()) throw FormatError("unsupported tensor storage type " + quoted(name));
  return found->second;
}

class StateDictUnpickler {
 public:
  StateDictUnpickler(const std::string& pickle, caffe2::serialize::PyTorchStreamReader& archive,
                     const std::string& path)
      : pickle_(pickle), archive_(archive), path_(path) {}

  PickleValuePtr run() {
    while (true) {
      const auto opcode = static_cast<uint8_t>(read_bytes(1)[0]);
      switch (opcode) {
        case 0x80:  // PROTO
          read_bytes(1);
          break;
        case 0x95:  // FRAME (protocol 4)
          read_bytes(8);
          break;
        case '.':  // STOP
          if (stack_.size() != 1) fail("unbalanced pickle stack");
          return stack_.back();
        case '(':  // MARK
          marks_.push_back(stack_.size());
          break;
        case 'N':
          push(make_value(PickleValue::Kind::None));
          break;
        case 0x88:    // NEWTRUE
        case 0x89: {  // NEWFALSE
          auto value = make_value(PickleValue::Kind::Bool);
          value->integer = opcode == 0x88;
          push(value);
          break;
        }
        case 'K':  // BININT1
          push_int(read_unsigned(1));
          break;
        case 'M':  // BININT2
          push_int(read_unsigned(2));
          break;
        case 'J':  // BININT
          push_int(static_cast<int32_t>(read_unsigned(4)));
          break;
        case 0x8a: {  // LONG1: little-endian two's complement of n bytes
          const auto size = read_unsigned(1);
          if (size > 8) fail("integer wider than 64 bits");
          uint64_t bits = size ? read_unsigned(size) : 0;
          if (size > 0 && size < 8 && (bits >> (8 * size - 1)) & 1) bits |= ~uint64_t{0} << (8 * size);
          push_int(static_cast<int64_t>(bits));
          break;
        }
        case 'G': {  // BINFLOAT, big-endian
          const auto bytes = read_bytes(8);
          uint64_t bits = 0;
          for (char byte : bytes) bits = (bits << 8) | static_cast<uint8_t>(byte);
          auto value = make_value(PickleValue::Kind::Float);
          std::memcpy(&value->real, &bits, sizeof bits);
          push(value);
          break;
        }
        case 'X':  // BINUNICODE
          push_string(read_bytes(read_unsigned(4)));
          break;
        case 0x8c:  // SHORT_BINUNICODE
          push_string(read_bytes(read_unsigned(1)));
          break;
        case 'c': {  // GLOBAL
          auto value = make_value(PickleValue::Kind::Global);
          value->text = read_line();
          value->text += "." + read_line();
          push(value);
          break;
        }
        case 'q':  // BINPUT
          memo_put(read_unsigned(1));
          break;
        case 'r':  // LONG_BINPUT
          memo_put(read_unsigned(4));
          break;
        case 0x94:  // MEMOIZE
          memo_put(memo_.size());
          break;
        case 'h':  // BINGET
          memo_get(read_unsigned(1));
          break;
        case 'j':  // LONG_BINGET
          memo_get(read_unsigned(4));
          break;
        case ')':
          push(make_value(PickleValue::Kind::Tuple));
          break;
        case 't':
          push_sequence(PickleValue::Kind::Tuple, pop_to_mark());
          break;
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          const size_t count = opcode - 0x84u;
          if (stack_.size() < count) fail("stack underflow");
          std::vector<PickleValuePtr> items(stack_.end() - static_cast<std::ptrdiff_t>(count), stack_.end());
          stack_.resize(stack_.size() - count);
          push_sequence(PickleValue::Kind::Tuple, std::move(items));
          break;
        }
        case ']':
          push(make_value(PickleValue::Kind::List));
          break;
        case 'a': {  // APPEND
          auto item = pop();
          expect(top(), PickleValue::Kind::List)->items.push_back(item);
          break;
        }
        case 'e': {  // APPENDS
          auto items = pop_to_mark();
          auto& list = expect(top(), PickleValue::Kind::List)->items;
          list.insert(list.end(), items.begin(), items.end());
          break;
        }
        case '}':
          push(make_value(PickleValue::Kind::Dict));
          break;
        case 's': {  // SETITEM
          auto value = pop();
          auto key = pop();
          expect(top(), PickleValue::Kind::Dict)->entries.emplace_back(key, value);
          break;
        }
        case 'u': {  // SETITEMS
          auto items = pop_to_mark();
          if (items.size() % 2 != 0) fail("odd SETITEMS");
          auto dict = expect(top(), PickleValue::Kind::Dict);
          for (size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'Q':  // BINPERSID: a tensor storage in the archive
          push(load_storage(*expect(pop(), PickleValue::Kind::Tuple)));
          break;
        case 'R':     // REDUCE: callable(*arguments)
        case 0x81: {  // NEWOBJ: cls.__new__(cls, *arguments)
          auto arguments = expect(pop(), PickleValue::Kind::Tuple);
          auto callable = expect(pop(), PickleValue::Kind::Global);
          push(reduce(callable->text, arguments->items));
          break;
        }
        case 'b': {  // BUILD: attributes of an object
          pop();
          // The only states a state dict holds: an OrderedDict's _metadata
          // (per-module versions, irrelevant here) and tensor hooks.
          const auto kind = top()->kind;
          if (kind != PickleValue::Kind::Dict && kind != PickleValue::Kind::Tensor)
            fail("unsupported object state");
          break;
        }
        default:
          fail("unsupported pickle opcode 0x" + hex(opcode));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& reason) const {
    throw FormatError("cannot read state dict " + quoted(path_) + ": " + reason);
  }

  static std::string hex(uint8_t byte) {
    const char* digits = "0123456789abcdef";
    return {digits[byte >> 4], digits[byte & 15]};
  }

  std::string read_bytes(size_t count) {
    if (count > pickle_.size() - position_) fail("truncated pickle");
    std::string bytes = pickle_.substr(position_, count);
    position_ += count;
    return bytes;
  }
  uint64_t read_unsigned(size_t count) {  // little-endian
    const auto bytes = read_bytes(count);
    uint64_t value = 0;
    for (size_t i = count; i-- > 0;) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
    return value;
  }
  std::string read_line() {
    const auto end = pickle_.find('\n', position_);
    if (end == std::string::npos) fail("truncated pickle");
    std::string line = pickle_.substr(position_, end - position_);
    position_ = end + 1;
    return line;
  }

  void push(PickleValuePtr value) { stack_.push_back(std::move(value)); }
  void push_int(int64_t integer) {
    auto value = make_value(PickleValue::Kind::Int);
    value->integer = integer;
    push(value);
  }
  void push_string(std::string text) {
    auto value = make_value(PickleValue::Kind::String);
    value->text = std::move(text);
    push(value);
  }
  void push_sequence(PickleValue::Kind kind, std::vector<PickleValuePtr> items) {
    auto value = make_value(kind);
    value->items = std::move(items);
    push(value);
  }
  PickleValuePtr pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
    auto value = stack_.back();
    stack_.pop_back();
    return value;
  }
  const PickleValuePtr& top() {
    if (stack_.empty()) fail("stack underflow");
    return stack_.back();
  }
  std::vector<PickleValuePtr> pop_to_mark() {
    if (marks_.empty()) fail("missing MARK");
    const auto mark = static_cast<std::ptrdiff_t>(marks_.back());
    marks_.pop_back();
    std::vector<PickleValuePtr> items(stack_.begin() + mark, stack_.end());
    stack_.resize(static_cast<size_t>(mark));
    return items;
  }
  PickleValuePtr expect(const PickleValuePtr& value, PickleValue::Kind kind) const {
    if (value->kind != kind) fail("unexpected pickle object");
    return value;
  }
  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    const auto found = memo_.find(index);
    if (found == memo_.end()) fail("undefined memo entry");
    push(found->second);
  }

  int64_t integer_of(const PickleValuePtr& value) const {
    return expect(value, PickleValue::Kind::Int)->integer;
  }
  std::vector<int64_t> integers_of(const PickleValuePtr& value) const {
    std::vector<int64_t> integers;
    for (const auto& item : expect(value, PickleValue::Kind::Tuple)->items)
      integers.push_back(integer_of(item));
    return integers;
  }

  // Persistent id ('storage', storage class, key, location, numel): the raw
  // little-endian bytes of record data/<key> of the archive.
  PickleValuePtr load_storage(const PickleValue& id) {
    if (id.items.size() < 5 || id.items[0]->kind != PickleValue::Kind::String ||
        id.items[0]->text != "storage")
      fail("unsupported persistent id");
    const auto dtype = storage_dtype(expect(id.items[1], PickleValue::Kind::Global)->text);
    const auto key = expect(id.items[2], PickleValue::Kind::String)->text;
    const auto numel = integer_of(id.items[4]);
    auto cached = storages_.find(key);
    if (cached == storages_.end()) {
      const std::string record = "data/" + key;
      if (!archive_.hasRecord(record)) fail("missing tensor data " + quoted(record));
      auto [data, size] = archive_.getRecord(record);
      auto storage = at::empty({numel}, at::TensorOptions().dtype(dtype));
      if (size != static_cast<size_t>(storage.nbytes()))
        fail("tensor data " + quoted(record) + " has the wrong size");
      std::memcpy(storage.data_ptr(), data.get(), size);
      cached = storages_.emplace(key, storage).first;
    }
    auto value = make_value(PickleValue::Kind::Tensor);
    value->tensor = cached->second;
    return value;
  }

  PickleValuePtr reduce(const std::string& callable, const std::vector<PickleValuePtr>& arguments) {
    if (callable == "collections.OrderedDict") return make_value(PickleValue::Kind::Dict);
    if (callable == "torch._utils._rebuild_tensor_v2") {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (arguments.size() < 4) fail("malformed tensor");
      const auto& storage = expect(arguments[0], PickleValue::Kind::Tensor)->tensor;
      const auto sizes = integers_of(arguments[2]);
      const auto strides = integers_of(arguments[3]);
      const auto offset = integer_of(arguments[1]);
      int64_t last = offset;
      for (size_t i = 0; i < sizes.size() && i < strides.size(); ++i)
        if (sizes[i] > 0) last += (sizes[i] - 1) * strides[i];
      if (sizes.size() != strides.size() || offset < 0 ||
          (storage.numel() > 0 ? last >= storage.numel() : last > 0))
        fail("tensor view outside its storage");
      auto value = make_value(PickleValue::Kind::Tensor);
      value->tensor = storage.as_strided(sizes, strides, offset);
      return value;
    }
    if (callable == "torch._utils._rebuild_parameter" || callable == "torch.jit._pickle.restore_type_tag") {
      // (tensor, requires_grad, hooks) and (value, type string): keep the value.
      if (arguments.empty()) fail("malformed " + callable);
      return arguments[0];
    }
    fail("unsupported object " + quoted(callable) + " (only tensors and dicts are read)");
  }

  const std::string& pickle_;
  caffe2::serialize::PyTorchStreamReader& archive_;
  const std::string& path_;
  size_t position_ = 0;
  std::vector<PickleValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, PickleValuePtr> memo_;
  std::map<std::string, at::Tensor> storages_;
};

NamedTensors tensors_of(const PickleValue& dict, const std::string& path) {
  NamedTensors entries;
  for (const auto& [key, value] : dict.entries) {
    if (key->kind != PickleValue::Kind::String)
      throw FormatError("state dict " + quoted(path) + " has a key that is not a string");
    if (value->kind != PickleValue::Kind::Tensor)
      throw FormatError("state dict " + quoted(path) + " entry " + quoted(key->text) + " is not a tensor");
    entries.emplace_back(key->text, value->tensor);
  }
  return entries;
}

}  // namespace

NamedTensors read_state_dict(const std::string& path) {
  if (!std::ifstream(path, std::ios::binary)) throw IoError("cannot open state dict " + quoted(path));
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> archive;
  std::string pickle;
  try {
    archive = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    auto [data, size] = archive->getRecord("data.pkl");
    pickle.assign(static_cast<const char*>(data.get()), size);
  } catch (const c10::Error& error) {
    // Keep the first line only: LibTorch appends a C++ backtrace.
    std::string reason = error.what_without_backtrace();
    reason = reason.substr(0, reason.find('\n'));
    throw FormatError("cannot read state dict " + quoted(path) + ": not a torch.save file of torch >= 1.6 (" +
                      reason + ")");
  }
  PickleValuePtr root;
  try {
    root = StateDictUnpickler(pickle, *archive, path).run();
  } catch (const c10::Error& error) {
    // Corrupt sizes reach LibTorch (allocation, as_strided) before any check
    // of ours could see them.
    std::string reason = error.what_without_backtrace();
    reason = reason.substr(0, reason.find('\n'));
    throw FormatError("cannot read state dict " + quoted(path) + ": corrupt tensor data (" + reason + ")");
  }
  if (root->kind != PickleValue::Kind::Dict)
    throw FormatError("state dict " + quoted(path) + " does not hold a dict");
  // A training checkpoint wraps the state dict.
  for (const char* wrapper : {"state_dict", "model"}) {
    for (const auto& [key, value] : root->entries)
      if (key->kind == PickleValue::Kind::String && key->text == wrapper &&
          value->kind == PickleValue::Kind::Dict)
        return tensors_of(*value, path);
  }
  return tensors_of(*root, path);
}

StateDictLoadResult load_state_dict(torch::nn::Module& module, const NamedTensors& entries,
                                    const StateDictLoadOptions& options, const std::string& source) {
  std::map<std::string, at::Tensor> targets;
  for (const auto& item : module.named_parameters(/*recurse=*/true))
    targets.emplace(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) targets.emplace(item.key(), item.value());

  StateDictLoadResult result;
  std::map<std::string, const at::Tensor*> chosen;
  for (const auto& [file_name, tensor] : entries) {
    if (!starts_with(file_name, options.source_prefix)) continue;
    const std::string name = file_name.substr(options.source_prefix.size());
    bool ignored = false;
    for (const auto& prefix : options.ignored_prefixes) ignored = ignored || starts_with(name, prefix);
    if (ignored) continue;
    if (targets.count(name) == 0) {
      result.unexpected.push_back(name);
      continue;
    }
    const auto& target = targets.at(name);
    if (target.sizes() != tensor.sizes())
      throw FormatError(source + " parameter " + quoted(name) + " has shape " + shape_text(tensor.sizes()) +
                        " but the model expects " + shape_text(target.sizes()));
    chosen[name] = &tensor;
  }
  for (const auto& [name, target] : targets)
    if (chosen.count(name) == 0) result.missing.push_back(name);

  if (options.strict && !result.missing.empty())
    throw FormatError(source + " lacks " + std::to_string(result.missing.size()) +
                      " model parameter(s): " + name_list(result.missing));
  if (options.strict && !result.unexpected.empty())
    throw FormatError(source + " has " + std::to_string(result.unexpected.size()) +
                      " entry(ies) the model does not have: " + name_list(result.unexpected));

  // Copy only after every check passed, so a failed load leaves the module as
  // it was.
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : chosen) {
    targets.at(name).copy_(*tensor);
    result.loaded.push_back(name);
  }
  return result;
}

StateDictLoadResult load_state_dict_file(torch::nn::Module& module, const std::string& path,
                                         const StateDictLoadOptions& options) {
  return load_state_dict(module, read_state_dict(path), options, "state dict " + quoted(path));
}

}  // namespace occ::nn

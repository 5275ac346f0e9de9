#include "export/torch_archive.h"

#include "core/error.h"
#include "core/strings.h"
#include "export/pickle_writer.h"
#include "export/zip_writer.h"
#include "h5/atomic_file.h"

namespace occ::exporting {
namespace {

// torch.save names the archive folder after the file; torch.load accepts
// any single top-level folder.
const std::string kArchive = "archive";

void empty_ordered_dict(PickleWriter& pickle) {
  pickle.global("collections", "OrderedDict");
  pickle.empty_tuple();
  pickle.reduce();
}

}  // namespace

std::string torch_storage_class(h5::DType dtype) {
  switch (dtype) {
    case h5::DType::uint8:
      return "ByteStorage";
    case h5::DType::int32:
      return "IntStorage";
    case h5::DType::int64:
      return "LongStorage";
    case h5::DType::float16:
      return "HalfStorage";
    case h5::DType::float32:
      return "FloatStorage";
    case h5::DType::float64:
      return "DoubleStorage";
    default:
      throw FormatError(str("dtype ", h5::dtype_name(dtype), " has no torch storage type"));
  }
}

std::string torch_state_dict_pickle(const std::vector<NamedTensor>& tensors) {
  PickleWriter pickle(/*protocol=*/2);
  empty_ordered_dict(pickle);
  pickle.mark();
  for (size_t key = 0; key < tensors.size(); ++key) {
    const NamedTensor& tensor = tensors[key];
    pickle.text(tensor.name);
    pickle.global("torch._utils", "_rebuild_tensor_v2");
    pickle.mark();
    // The storage, loaded by torch's persistent_load from data/<key>.
    pickle.mark();
    pickle.text("storage");
    pickle.global("torch", torch_storage_class(tensor.dtype));
    pickle.text(std::to_string(key));
    pickle.text("cpu");
    pickle.integer(tensor.element_count());
    pickle.tuple_from_mark();
    pickle.persistent_id();
    pickle.integer(0);  // storage offset
    pickle.mark();
    for (const int64_t extent : tensor.shape) pickle.integer(extent);
    pickle.tuple_from_mark();
    // Contiguous C-order strides, in elements.
    std::vector<int64_t> strides(tensor.shape.size(), 1);
    for (size_t axis = tensor.shape.size(); axis-- > 1;)
      strides[axis - 1] = strides[axis] * tensor.shape[axis];
    pickle.mark();
    for (const int64_t stride : strides) pickle.integer(stride);
    pickle.tuple_from_mark();
    pickle.boolean(false);       // requires_grad
    empty_ordered_dict(pickle);  // backward hooks
    pickle.tuple_from_mark();
    pickle.reduce();
  }
  pickle.set_items_from_mark();
  pickle.stop();
  return pickle.take();
}

void write_torch_archive(const std::vector<NamedTensor>& tensors, const std::string& output) {
  const std::string pickle = torch_state_dict_pickle(tensors);
  h5::AtomicPath atomic(output);
  ZipWriter zip(atomic.temp_path(), output);
  zip.add(kArchive + "/data.pkl", pickle, ZipWriter::Method::store);
  zip.add(kArchive + "/byteorder", "little", ZipWriter::Method::store);
  for (size_t key = 0; key < tensors.size(); ++key) {
    zip.add(str(kArchive, "/data/", key), tensors[key].data, ZipWriter::Method::store);
  }
  zip.add(kArchive + "/version", "3\n", ZipWriter::Method::store);
  zip.close();
  atomic.commit();
}

}  // namespace occ::exporting

#pragma once
// A folder output written all-or-nothing: files go into a hidden temporary
// folder beside the final path, which is renamed into place by commit().
// Destroyed without commit() (an error, an exception), the temporary and
// everything in it is removed, so the output path never holds a partial export.
#include <string>

namespace occ::exporting {

class OutputFolder {
 public:
  // Creates the temporary folder at once, so an unwritable parent is reported
  // before any work. An existing output must be an empty folder (it is
  // replaced); anything else there is an error, never overwritten.
  explicit OutputFolder(std::string final_path);
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  const std::string& final_path() const { return final_path_; }
  // Path inside the temporary folder for a file at `relative` in the output;
  // creates the folders above it.
  std::string file(const std::string& relative) const;
  // Name of `relative` as the user will see it, for messages.
  std::string display(const std::string& relative) const;

  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

}  // namespace occ::exporting

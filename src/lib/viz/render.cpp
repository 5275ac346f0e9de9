#include "viz/render.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "datasets/pred_file.h"
#include "h5/artifact.h"
#include "h5/atomic_file.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/half.h"
#include "viz/grid_views.h"
#include "viz/image_views.h"
#include "viz/palette.h"
#include "viz/sheet.h"

namespace occ::viz {
namespace {

std::string extension_of(const std::string& path) {
  const size_t dot = path.find_last_of('.');
  std::string extension = dot == std::string::npos ? "" : path.substr(dot + 1);
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

bool is_video(const std::string& path) {
  const std::string extension = extension_of(path);
  return extension == "mp4" || extension == "avi";
}

// The files a render reads, opened once.
struct Sources {
  std::unique_ptr<FramesFile> frames;  // the input or --gt
  std::unique_ptr<PredFile> pred;      // when the input is a pred file
  std::optional<h5::File> masks, flow;
  std::vector<std::string> class_names;
  std::vector<cv::Vec3b> palette;

  int64_t count() const { return pred ? pred->frame_count() : frames->frame_count(); }
  int64_t frames_row(int64_t i) const { return pred ? pred->frames_row(i) : i; }

  OccupancyGrid grid_from_frames(int64_t row, bool with_flow) const {
    if (!frames->has("/occupancy/semantics")) {
      throw FormatError(str(quoted(frames->path()), " has no '/occupancy/semantics' to draw"));
    }
    OccupancyGrid grid;
    grid.shape = frames->grid_shape();
    grid.origin_m = frames->grid_origin();
    grid.voxel_size_m = frames->voxel_size();
    grid.num_classes = static_cast<int64_t>(frames->class_names().size());
    grid.free_class = frames->free_class();
    grid.labels = frames->occupancy(row);
    if (frames->has("/occupancy/mask_camera")) grid.visible = frames->camera_mask(row);
    if (with_flow && frames->has("/occupancy/flow")) grid.flow = frames->occupancy_flow(row);
    return grid;
  }

  OccupancyGrid grid_from_pred(int64_t i, bool with_flow) const {
    OccupancyGrid grid;
    grid.shape = pred->grid_shape();
    grid.num_classes = static_cast<int64_t>(pred->class_names().size());
    grid.free_class = pred->free_class();
    grid.labels = pred->semantics(i);
    if (frames) {
      grid.origin_m = frames->grid_origin();
      grid.voxel_size_m = frames->voxel_size();
      if (frames->has("/occupancy/mask_camera")) grid.visible = frames->camera_mask(pred->frames_row(i));
    } else {
      grid.origin_m = {-40, -40, -1};  // Occ3D, when no frames file tells
      grid.voxel_size_m = {0.4, 0.4, 0.4};
    }
    if (with_flow && pred->has_flow()) grid.flow = pred->flow(i);
    return grid;
  }

  OccupancyGrid grid(int64_t i, bool with_flow) const {
    return pred ? grid_from_pred(i, with_flow) : grid_from_frames(i, with_flow);
  }
};

Sources open_sources(const RenderOptions& options) {
  Sources sources;
  const h5::File probe = h5::File::open(options.input);
  const std::string schema =
      h5::has_attribute(probe, "/", "schema") ? h5::read_string_attribute(probe, "/", "schema") : "";
  if (schema == "occ.pred") {
    sources.pred = std::make_unique<PredFile>(options.input);
    if (!options.gt.empty()) {
      sources.frames = std::make_unique<FramesFile>(options.gt);
      sources.pred->require_made_from(sources.frames->file(), sources.frames->frame_count());
    }
    sources.class_names = sources.pred->class_names();
  } else if (schema == "occ.frames") {
    if (!options.gt.empty())
      throw UsageError("--gt goes with a pred file; the input is a frames file already");
    sources.frames = std::make_unique<FramesFile>(options.input);
    sources.class_names = sources.frames->class_names();
  } else {
    throw FormatError(str(quoted(options.input), " is neither a frames nor a pred file (schema ",
                          schema.empty() ? "missing" : quoted(schema), ")"));
  }
  for (const auto& [path, kind, slot] : {std::tuple{options.masks, "masks", &sources.masks},
                                         std::tuple{options.flow, "flow", &sources.flow}}) {
    if (path.empty()) continue;
    *slot = h5::open_artifact(path, kind);
    if (!sources.frames) throw UsageError(str("--", kind, " needs the frames file (--gt) it was made from"));
    h5::require_made_from(**slot, sources.frames->file());
  }
  sources.palette = class_palette(sources.class_names);
  return sources;
}

const FramesFile& need_frames(const Sources& sources, const std::string& view) {
  if (!sources.frames) throw UsageError(str("view ", quoted(view), " needs the frames file: give --gt"));
  return *sources.frames;
}

std::vector<cv::Mat> camera_maps(const h5::File& file, const std::string& dataset, int64_t row, int type,
                                 int64_t cameras) {
  const h5::DatasetInfo info = h5::dataset_info(file, dataset);
  std::vector<uint8_t> bytes(static_cast<size_t>(h5::element_count(info.shape) / info.shape[0]) *
                             h5::dtype_size(info.dtype));
  h5::read_rows_raw(file, dataset, row, 1, info.dtype, bytes.data());
  std::vector<cv::Mat> maps;
  const int height = static_cast<int>(info.shape[2]), width = static_cast<int>(info.shape[3]);
  const size_t stride = bytes.size() / static_cast<size_t>(cameras);
  for (int64_t c = 0; c < cameras; ++c) {
    maps.push_back(cv::Mat(height, width, type, bytes.data() + stride * static_cast<size_t>(c)).clone());
  }
  return maps;
}

// ProtoOcc's prototypes of each camera (region = the image cells assigned to
// one prototype, painted with their mean colour), with the superpixel masks
// of the same image beside them when --masks is given: the prototype
// optimisation pulls the two partitions together (Sec. 3.2.2).
Panel prototypes_panel(const Sources& sources, int64_t i, const RenderOptions& options) {
  const PredFile& pred = *sources.pred;
  if (!pred.has_prototypes()) {
    throw FormatError(str("view 'prototypes': ", quoted(pred.path()),
                          " has no '/pred/prototypes': make it with occ predict --prototypes"));
  }
  const FramesFile& frames = need_frames(sources, "prototypes");
  const int64_t row = pred.frames_row(i);
  const int64_t cameras = frames.camera_count();
  const std::vector<cv::Mat> assignments = pred.prototypes(i);
  if (cameras == 0 || static_cast<int64_t>(assignments.size()) != cameras) {
    throw FormatError(str(quoted(pred.path()), " has prototypes of ", assignments.size(), " cameras but ",
                          quoted(frames.path()), " has ", cameras));
  }
  std::vector<cv::Mat> masks;
  if (sources.masks) masks = camera_maps(*sources.masks, "/masks/labels", row, CV_16U, cameras);
  std::vector<cv::Mat> tiles;
  int image_width = 1;
  for (int64_t c = 0; c < cameras; ++c) {
    const cv::Mat image = frames.image(row, c);
    image_width = image.cols;
    cv::Mat tile = paint_region_means(image, assignments[static_cast<size_t>(c)]);
    if (!masks.empty()) {
      // A dark gap inside the pair, so that neither white boundary merges
      // with the other picture, and a white margin after it, so that the rig
      // layout does not read as masks | next camera's prototypes.
      const cv::Mat gap(image.rows, 4, CV_8UC3, cv::Scalar(64, 64, 64));
      const cv::Mat margin(image.rows, 12, CV_8UC3, cv::Scalar(255, 255, 255));
      cv::hconcat(
          std::vector<cv::Mat>{tile, gap, paint_region_means(image, masks[static_cast<size_t>(c)]), margin},
          tile);
    }
    tiles.push_back(tile);
  }
  const auto grid = pred.prototype_grid();
  std::string title = "prototypes";
  if (grid[0] > 0) title += str(", M = ", grid[0] * grid[1], " (", grid[0], "x", grid[1], " grid)");
  if (!masks.empty()) title += " | superpixel masks";
  // Scaled as one camera image in the other rig views, the gap included.
  const int tile_width = static_cast<int>(
      std::lround(static_cast<double>(options.camera_tile_width) * tiles.front().cols / image_width));
  return {title + " (mean colours)", rig_sheet(tiles, frames.camera_names(), tile_width)};
}

std::vector<Panel> render_view(const std::string& view, const Sources& sources, int64_t i,
                               const RenderOptions& options) {
  BevStyle bev;
  bev.pixels_per_voxel = options.bev_pixels_per_voxel;
  bev.camera_only = options.camera_only;
  const int64_t row = sources.frames_row(i);
  const std::string what = sources.pred ? "prediction" : "ground truth";
  if (view == "bev") return {{"BEV, " + what, render_bev(sources.grid(i, false), sources.palette, bev)}};
  if (view == "voxels") {
    VoxelCamera camera;
    camera.size = options.voxel_size;
    camera.camera_only = options.camera_only;
    return {{"voxels, " + what, render_voxels(sources.grid(i, false), sources.palette, camera)}};
  }
  if (view == "compare") {
    if (!sources.pred)
      throw UsageError("view 'compare' needs a pred file as input and its frames file as --gt");
    const FramesFile& frames = need_frames(sources, view);
    OccupancyGrid truth = sources.grid_from_frames(row, false);
    const OccupancyGrid prediction = sources.grid_from_pred(i, false);
    if (truth.shape != prediction.shape) {
      throw FormatError(
          str(quoted(sources.pred->path()), " and ", quoted(frames.path()), " have different grids"));
    }
    return {{"ground truth", render_bev(truth, sources.palette, bev)},
            {"prediction", render_bev(prediction, sources.palette, bev)},
            {"error (grey right, red wrong)", render_error_bev(truth, prediction, bev)}};
  }
  if (view == "prototypes") {
    if (!sources.pred) {
      throw UsageError(
          "view 'prototypes' needs a pred file made by occ predict --prototypes as input and its frames file "
          "as --gt");
    }
    return {prototypes_panel(sources, i, options)};
  }
  const FramesFile& frames = need_frames(sources, view);
  const int64_t cameras = frames.camera_count();
  std::vector<cv::Mat> images;
  if (view == "cameras" || view == "masks") {
    for (int64_t c = 0; c < cameras; ++c) images.push_back(frames.image(row, c));
  }
  if (view == "cameras") {
    if (options.overlay) {
      const OccupancyGrid grid = sources.grid(i, false);
      for (int64_t c = 0; c < cameras; ++c) {
        images[c] = overlay_occupancy(images[c], grid, sources.palette, frames.intrinsics(row, c),
                                      frames.ego_from_camera(row, c), options.camera_only);
      }
    }
    return {{options.overlay ? "cameras with " + what : "cameras",
             rig_sheet(images, frames.camera_names(), options.camera_tile_width)}};
  }
  if (view == "masks") {
    if (!sources.masks) throw UsageError("view 'masks' needs --masks");
    const auto labels = camera_maps(*sources.masks, "/masks/labels", row, CV_16U, cameras);
    for (int64_t c = 0; c < cameras; ++c) images[c] = draw_boundaries(images[c], labels[c]);
    return {{"superpixel masks", rig_sheet(images, frames.camera_names(), options.camera_tile_width)}};
  }
  if (view == "depth") {
    const bool rendered = sources.pred && sources.pred->has_depth();
    if (!rendered && !frames.has("/cameras/depth")) {
      throw FormatError(str("view 'depth': neither the pred file nor ", quoted(frames.path()), " has depth"));
    }
    for (int64_t c = 0; c < cameras; ++c) {
      images.push_back(depth_to_colour(rendered ? sources.pred->depth(i, c) : frames.depth(row, c)));
    }
    std::vector<Panel> panels = {{rendered ? "rendered depth" : "depth",
                                  rig_sheet(images, frames.camera_names(), options.camera_tile_width)}};
    if (rendered && frames.has("/cameras/depth")) {
      // The ground truth beside the prediction, on the same colour scale.
      std::vector<cv::Mat> truth;
      for (int64_t c = 0; c < cameras; ++c) truth.push_back(depth_to_colour(frames.depth(row, c)));
      panels.push_back(
          {"ground-truth depth", rig_sheet(truth, frames.camera_names(), options.camera_tile_width)});
    }
    return panels;
  }
  if (view == "flow") {
    std::vector<Panel> panels;
    if (sources.flow) {
      const std::string group = sources.flow->is_dataset("/next/flow") ? "/next" : "/prev";
      const auto halves = camera_maps(*sources.flow, group + "/flow", row, CV_16UC2, cameras);
      const auto valid = camera_maps(*sources.flow, group + "/valid", row, CV_8U, cameras);
      for (int64_t c = 0; c < cameras; ++c) {
        cv::Mat flow(halves[c].size(), CV_32FC2);
        const auto* in = halves[c].ptr<uint16_t>();
        auto* out = flow.ptr<float>();
        for (size_t k = 0; k < flow.total() * 2; ++k) out[k] = half_to_float(Half{in[k]});
        images.push_back(flow_to_colour(flow, 0, valid[c]));
      }
      panels.push_back({"optical flow to " + group.substr(1) + " (black: inconsistent)",
                        rig_sheet(images, frames.camera_names(), options.camera_tile_width)});
    }
    if (sources.pred && sources.pred->has_rendered_flow()) {
      // Let Occ Flow's per-pixel rendered BEV flow (occ predict
      // --rendered-flow), coloured as seen from above: forward up, left left.
      std::vector<cv::Mat> rendered;
      for (int64_t c = 0; c < cameras; ++c) {
        const cv::Mat ego = sources.pred->rendered_flow(i, c);
        cv::Mat above(ego.size(), CV_32FC2);
        for (int v = 0; v < ego.rows; ++v)
          for (int u = 0; u < ego.cols; ++u) {
            const cv::Vec2f f = ego.at<cv::Vec2f>(v, u);
            above.at<cv::Vec2f>(v, u) = {-f[1], -f[0]};
          }
        rendered.push_back(flow_to_colour(above));
      }
      panels.push_back({"rendered BEV flow per pixel",
                        rig_sheet(rendered, frames.camera_names(), options.camera_tile_width)});
    }
    // Occupancy flow where the input has it; a frames file without
    // occupancy (real KITTI tracking) shows the optical flow alone.
    const bool has_occupancy_flow = sources.pred
                                        ? sources.pred->has("/pred/flow")
                                        : frames.has("/occupancy/flow") && frames.has("/occupancy/semantics");
    if (has_occupancy_flow) {
      panels.push_back({sources.pred ? "predicted occupancy flow (hue: heading, 1 s arrows)"
                                     : "occupancy flow (hue: heading, 1 s arrows)",
                        render_flow_bev(sources.grid(i, true), 10.0, bev)});
      // A prediction beside the ground truth of its frame.
      if (sources.pred && frames.has("/occupancy/flow") && frames.has("/occupancy/semantics"))
        panels.push_back(
            {"ground-truth occupancy flow", render_flow_bev(sources.grid_from_frames(row, true), 10.0, bev)});
    }
    if (panels.empty()) throw UsageError("view 'flow' needs --flow or occupancy flow in the input");
    return panels;
  }
  throw UsageError(str("unknown view ", quoted(view)));
}

cv::Mat render_frame(const Sources& sources, int64_t i, const RenderOptions& options) {
  std::vector<Panel> panels;
  for (const auto& view : options.views) {
    for (auto& panel : render_view(view, sources, i, options)) panels.push_back(std::move(panel));
  }
  const int64_t row = sources.frames_row(i);
  std::string caption = str(options.input, "   frame ", i);
  if (sources.frames) caption += "   token " + sources.frames->token(row);
  // The class legend only under views that paint classes.
  const bool uses_classes =
      std::any_of(options.views.begin(), options.views.end(), [&](const std::string& view) {
        return view == "bev" || view == "voxels" || view == "compare" ||
               (view == "cameras" && options.overlay);
      });
  std::vector<std::string> names;
  std::vector<cv::Vec3b> colours;
  for (size_t k = 0; uses_classes && k < sources.class_names.size(); ++k) {
    const std::string& name = sources.class_names[k];
    if (name == "free" || name == "empty") continue;
    names.push_back(name);
    colours.push_back(sources.palette[k]);
  }
  return compose_sheet(panels, caption, names, colours);
}

}  // namespace

const std::vector<std::string>& render_views() {
  static const std::vector<std::string> views = {"bev",  "voxels", "cameras",    "depth",
                                                 "flow", "masks",  "prototypes", "compare"};
  return views;
}

void RenderOptions::validate() const {
  if (input.empty()) throw UsageError("an input file is required");
  if (output.empty()) throw UsageError("-o/--output is required");
  if (views.empty()) throw UsageError("--view needs at least one view");
  for (const auto& view : views) {
    if (std::find(render_views().begin(), render_views().end(), view) == render_views().end()) {
      throw UsageError(str("unknown view ", quoted(view), ": use ", join(render_views(), ", ")));
    }
  }
  const std::string extension = extension_of(output);
  if (extension != "png" && extension != "jpg" && extension != "jpeg" && !is_video(output)) {
    throw UsageError(
        str("-o ", quoted(output), ": use .png or .jpg for a picture, .mp4 or .avi for a video"));
  }
  if (first_frame < 0 || last_frame < first_frame) throw UsageError("bad frame range");
  if (!is_video(output) && last_frame != first_frame) {
    throw UsageError("a frame range needs a video output (.mp4 or .avi)");
  }
  if (bev_pixels_per_voxel < 1 || bev_pixels_per_voxel > 16) throw UsageError("--bev-scale must be 1 to 16");
  if (voxel_size.width < 16 || voxel_size.height < 16 || voxel_size.width > 7680 ||
      voxel_size.height > 4320) {
    throw UsageError("--voxel-size must be between 16x16 and 4320x7680");
  }
  if (camera_tile_width < 32 || camera_tile_width > 4096) throw UsageError("--tile-width must be 32 to 4096");
  if (!(fps > 0 && fps <= 240)) throw UsageError("--fps must be in (0, 240]");
}

RenderSummary render(const RenderOptions& options) {
  options.validate();
  const Sources sources = open_sources(options);
  if (options.last_frame >= sources.count()) {
    throw UsageError(str("frame ", options.last_frame, " is out of range: ", quoted(options.input), " has ",
                         sources.count(), " frames"));
  }
  RenderSummary summary;
  h5::AtomicPath atomic(options.output);
  const auto begin = std::chrono::steady_clock::now();
  if (!is_video(options.output)) {
    cv::Mat rgb = render_frame(sources, options.first_frame, options);
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    if (!cv::imwrite(atomic.temp_path(), bgr)) throw IoError(str("cannot write ", quoted(options.output)));
    summary.size = rgb.size();
    summary.frames = 1;
  } else {
    cv::VideoWriter writer;
    Progress progress("render frames", options.last_frame - options.first_frame + 1);
    for (int64_t i = options.first_frame; i <= options.last_frame; ++i) {
      cv::Mat rgb = render_frame(sources, i, options), bgr;
      cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
      if (!writer.isOpened()) {
        summary.size = bgr.size();
        const int fourcc = extension_of(options.output) == "mp4"
                               ? cv::VideoWriter::fourcc('m', 'p', '4', 'v')
                               : cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
        if (!writer.open(atomic.temp_path(), fourcc, options.fps, summary.size)) {
          throw IoError(str("cannot write video ", quoted(options.output), ": no encoder for it in OpenCV"));
        }
      }
      // Sheets of one run have one size; guard against a view that varies.
      if (bgr.size() != summary.size) cv::resize(bgr, bgr, summary.size, 0, 0, cv::INTER_AREA);
      writer.write(bgr);
      progress.advance();
      ++summary.frames;
    }
    writer.release();
    progress.finish();
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  atomic.commit();
  return summary;
}

}  // namespace occ::viz

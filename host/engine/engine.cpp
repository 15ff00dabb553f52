// Model and Data: MJCF loading with errors that name the file and line, MuJoCo's error handlers,
// names of coordinates, degrees of freedom and actuators (engine.hpp).
#include <mujoco/mujoco.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>

#include "swingpipe/error.hpp"
#include "swingpipe/host/engine.hpp"
#include "swingpipe/host/io.hpp"

namespace swingpipe::engine {
namespace {

[[noreturn]] void on_mujoco_error(const char* message) {
  throw Error(std::string("MuJoCo: ") + message);
}

void on_mujoco_warning(const char* message) {
  spdlog::warn("MuJoCo: {}", message);
}

/// The line number in MuJoCo's message: "line 5", "line = 7", "Line number=4"; 0 when none.
long line_of(const std::string& text) {
  for (std::size_t at = 0; (at = text.find("ine", at)) != std::string::npos; at += 3) {
    if (at == 0 || (text[at - 1] != 'l' && text[at - 1] != 'L')) continue;
    std::size_t i = at + 3;
    if (text.compare(i, 7, " number") == 0) i += 7;
    while (i < text.size() && (text[i] == ' ' || text[i] == '=')) ++i;
    long line = 0;
    bool digits = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, digits = true)
      line = line * 10 + (text[i] - '0');
    if (digits) return line;
  }
  return 0;
}

/// "<file>:<line>: <message>" from what mj_loadXML wrote into its error buffer.
std::string load_error(const std::filesystem::path& path, const std::string& text) {
  std::string where = path.string();
  if (const long line = line_of(text); line > 0) where += ":" + std::to_string(line);
  // One line: the message parts MuJoCo puts on separate lines, without the line bookkeeping.
  std::string flat;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    flat += (flat.empty() ? "" : "; ") + line;
  }
  if (flat.empty()) flat = "MuJoCo could not load the model (no message)";
  return where + ": " + flat;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read model file " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string name_of(const mjModel* m, int type, int id, const char* fallback) {
  const char* n = mj_id2name(m, type, id);
  return n && *n ? std::string(n) : std::string(fallback) + std::to_string(id);
}

void fill_names(const mjModel* m, std::vector<std::string>& qpos, std::vector<std::string>& dofs,
                std::vector<std::string>& actuators) {
  qpos.assign(static_cast<std::size_t>(m->nq), "");
  dofs.assign(static_cast<std::size_t>(m->nv), "");
  for (int j = 0; j < m->njnt; ++j) {
    const std::string base = name_of(m, mjOBJ_JOINT, j, "joint");
    const int type = m->jnt_type[j];
    const int nq = type == mjJNT_FREE ? 7 : type == mjJNT_BALL ? 4 : 1;
    const int nv = type == mjJNT_FREE ? 6 : type == mjJNT_BALL ? 3 : 1;
    for (int k = 0; k < nq; ++k)
      qpos[static_cast<std::size_t>(m->jnt_qposadr[j] + k)] =
          nq == 1 ? base : base + "[" + std::to_string(k) + "]";
    for (int k = 0; k < nv; ++k)
      dofs[static_cast<std::size_t>(m->jnt_dofadr[j] + k)] =
          nv == 1 ? base : base + "[" + std::to_string(k) + "]";
  }
  actuators.clear();
  for (int i = 0; i < m->nu; ++i) actuators.push_back(name_of(m, mjOBJ_ACTUATOR, i, "actuator"));
}

int find_id(const Model& model, int type, const char* kind, std::string_view name) {
  const mjModel* m = model.get();
  const int id = mj_name2id(m, type, std::string(name).c_str());
  if (id >= 0) return id;
  const int count = type == mjOBJ_BODY ? m->nbody : type == mjOBJ_SITE ? m->nsite : m->njnt;
  std::string known;
  for (int i = 0; i < count; ++i) {
    const char* n = mj_id2name(m, type, i);
    if (n && *n) known += (known.empty() ? "" : ", ") + std::string(n);
  }
  throw InputError("model " + model.path().string() + " has no " + kind + " '" + std::string(name) +
                   "' (" + kind + "s: " + (known.empty() ? "none" : known) + ")");
}

}  // namespace

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_error = on_mujoco_error;
    mju_user_warning = on_mujoco_warning;
  });
}

std::shared_ptr<const Model> Model::load(const std::filesystem::path& mjcf,
                                         const LoadOptions& options) {
  install_handlers();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(mjcf, ec))
    throw NotFoundError("model file " + mjcf.string() + " does not exist");
  const std::string bytes = read_file(mjcf);
  char error[1024] = "";
  mjModel* raw = nullptr;
  {
    // mj_loadXML keeps the last parsed model in a global (mj_saveLastXML): one at a time.
    static std::mutex load_mutex;
    std::lock_guard lock(load_mutex);
    try {
      raw = mj_loadXML(mjcf.c_str(), nullptr, error, sizeof error);
    } catch (const Error& e) {
      throw InputError(load_error(mjcf, e.what()));
    }
  }
  if (!raw) throw InputError(load_error(mjcf, error));
  std::shared_ptr<Model> model(new Model());
  model->model_ = raw;
  if (options.tolerance) {
    if (!(*options.tolerance >= 0))
      throw InputError("solver tolerance must be >= 0, got " + std::to_string(*options.tolerance));
    raw->opt.tolerance = *options.tolerance;
  }
  if (options.iterations) {
    if (*options.iterations < 1)
      throw InputError("solver iterations must be >= 1, got " +
                       std::to_string(*options.iterations));
    raw->opt.iterations = *options.iterations;
  }
  model->path_ = mjcf;
  const char* model_name = raw->nnames > 0 ? raw->names : nullptr;  // the model's own name
  model->name_ = model_name && *model_name ? model_name : mjcf.stem().string();
  model->sha256_ = io::sha256_hex(bytes.data(), bytes.size());
  fill_names(raw, model->qpos_names_, model->dof_names_, model->actuator_names_);
  return model;
}

Model::~Model() {
  if (model_) mj_deleteModel(model_);
}

int Model::nq() const {
  return model_->nq;
}
int Model::nv() const {
  return model_->nv;
}
int Model::nu() const {
  return model_->nu;
}
int Model::nbody() const {
  return model_->nbody;
}
double Model::timestep() const {
  return model_->opt.timestep;
}

int Model::body(std::string_view name) const {
  return find_id(*this, mjOBJ_BODY, "body", name);
}
int Model::site(std::string_view name) const {
  return find_id(*this, mjOBJ_SITE, "site", name);
}
int Model::joint(std::string_view name) const {
  return find_id(*this, mjOBJ_JOINT, "joint", name);
}

Data::Data(std::shared_ptr<const Model> model) : model_(std::move(model)) {
  install_handlers();
  if (!model_) throw InputError("engine: Data needs a model");
  data_ = mj_makeData(model_->get());
  if (!data_) throw Error("MuJoCo: mj_makeData failed for " + model_->path().string());
}

Data::~Data() {
  if (data_) mj_deleteData(data_);
}

void Data::reset() {
  mj_resetData(model_->get(), data_);
}

}  // namespace swingpipe::engine

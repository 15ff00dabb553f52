// The task registry: tasks in memory (bounded; TTL and LRU eviction of finished tasks only), every
// task in SQLite, one timer thread for expiry.
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <list>
#include <unordered_map>

#include "tasks/task_store.hpp"

namespace swingpipe::tasks {

using Clock = std::chrono::steady_clock;

namespace {

std::string new_task_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Error("task id: OpenSSL RAND_bytes failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int i = 0; i < 16; ++i) {
    id[2 * i] = hex[bytes[i] >> 4];
    id[2 * i + 1] = hex[bytes[i] & 0xf];
  }
  return id;
}

}  // namespace

struct Registry::Memory {
  struct Entry {
    Task task;
    Clock::time_point updated;  ///< last update (steady clock): the TTL counts from here
    bool finishing = false;     ///< its final state is being written
    bool listed = false;        ///< in `lru` and `by_update` (finished and persisted)
    std::list<std::string>::iterator lru_it, update_it;
  };

  mutable std::mutex mutex;
  std::condition_variable changed;  ///< a task finished or left memory
  std::condition_variable timer;    ///< the expiry thread's deadline may have moved
  std::unordered_map<std::string, Entry> tasks;
  std::list<std::string> lru;        ///< finished tasks, least recently accessed first
  std::list<std::string> by_update;  ///< finished tasks, oldest last update first
  std::size_t queued = 0, running = 0;
  bool stopping = false;

  void list(Entry& e) {
    e.lru_it = lru.insert(lru.end(), e.task.id);
    e.update_it = by_update.insert(by_update.end(), e.task.id);
    e.listed = true;
  }
  /// Removes a listed (finished, persisted) task from memory.
  void drop(std::unordered_map<std::string, Entry>::iterator it) {
    lru.erase(it->second.lru_it);
    by_update.erase(it->second.update_it);
    tasks.erase(it);
  }
  void count(State s, int delta) {
    if (s == State::queued) queued += delta;
    if (s == State::running) running += delta;
  }
  void expire(Clock::time_point now, std::chrono::milliseconds ttl,
              std::vector<std::string>& gone) {
    while (!by_update.empty()) {
      auto it = tasks.find(by_update.front());
      if (now - it->second.updated < ttl) break;
      gone.push_back(it->first);
      drop(it);
    }
  }
};

Registry::Registry(Options options, DepartureHook on_departure)
    : options_(std::move(options)),
      on_departure_(std::move(on_departure)),
      store_(std::make_unique<TaskStore>(options_.database)),
      memory_(std::make_unique<Memory>()) {
  if (options_.capacity < 1) throw InputError("task registry: capacity must be >= 1");
  if (options_.ttl.count() < 1) throw InputError("task registry: ttl must be >= 1 ms");
  const int64_t now = now_ms();
  interrupted_at_open_ = store_->interrupt_unfinished(now);
  if (interrupted_at_open_ > 0)
    spdlog::warn("tasks: {} task(s) of an earlier server were unfinished: marked interrupted",
                 interrupted_at_open_);
  if (options_.retention_days > 0)
    store_->purge_finished_before(now - int64_t{options_.retention_days} * 86400 * 1000);
  expiry_thread_ = std::thread([this] { expiry_loop(); });
}

Registry::~Registry() {
  {
    std::lock_guard lock(memory_->mutex);
    memory_->stopping = true;
  }
  memory_->timer.notify_all();
  expiry_thread_.join();
}

Task Registry::submit(std::string kind, std::string owner, nlohmann::json params) {
  Task t;
  t.id = new_task_id();
  t.kind = std::move(kind);
  t.owner = std::move(owner);
  t.params = std::move(params);
  t.created_ms = t.updated_ms = now_ms();
  std::string evicted;
  {
    std::lock_guard lock(memory_->mutex);
    auto& m = *memory_;
    if (m.tasks.size() >= options_.capacity) {
      if (m.lru.empty())
        throw RegistryFullError("the task registry is full: all " +
                                    std::to_string(options_.capacity) +
                                    " tasks are queued or running",
                                options_.retry_after_seconds);
      auto victim = m.tasks.find(m.lru.front());
      evicted = victim->first;
      m.drop(victim);  // already in the database: nothing is lost
    }
    auto& e = m.tasks[t.id];
    e.task = t;
    e.updated = Clock::now();
    m.count(State::queued, +1);
  }
  if (!evicted.empty()) notify_departures({evicted}, Departure::evicted);
  try {
    store_->write(t);
  } catch (...) {
    std::lock_guard lock(memory_->mutex);
    memory_->tasks.erase(t.id);
    memory_->count(State::queued, -1);
    throw;
  }
  return t;
}

std::optional<Task> Registry::get(const std::string& id) {
  {
    std::lock_guard lock(memory_->mutex);
    auto& m = *memory_;
    auto it = m.tasks.find(id);
    if (it != m.tasks.end()) {
      if (it->second.listed) m.lru.splice(m.lru.end(), m.lru, it->second.lru_it);
      return it->second.task;
    }
  }
  return store_->load(id);
}

std::optional<Task> Registry::wait_finished(const std::string& id, Clock::time_point deadline) {
  {
    std::unique_lock lock(memory_->mutex);
    auto& m = *memory_;
    m.changed.wait_until(lock, deadline, [&] {
      auto it = m.tasks.find(id);
      return it == m.tasks.end() || is_finished(it->second.task.state);
    });
  }
  return get(id);
}

bool Registry::start(const std::string& id) {
  std::lock_guard lock(memory_->mutex);
  auto& m = *memory_;
  auto it = m.tasks.find(id);
  if (it == m.tasks.end()) return false;
  Memory::Entry& e = it->second;
  if (e.task.state != State::queued || e.finishing || e.task.cancel_requested) return false;
  m.count(State::queued, -1);
  m.count(State::running, +1);
  e.task.state = State::running;
  e.task.started_ms = e.task.updated_ms = now_ms();
  e.updated = Clock::now();
  return true;
}

void Registry::progress(const std::string& id, double fraction, std::string message) {
  std::lock_guard lock(memory_->mutex);
  auto it = memory_->tasks.find(id);
  if (it == memory_->tasks.end() || it->second.task.state != State::running) return;
  Task& t = it->second.task;
  t.progress = std::clamp(fraction, 0.0, 1.0);
  if (!message.empty()) t.message = std::move(message);
  t.updated_ms = now_ms();
  it->second.updated = Clock::now();
}

void Registry::finish(const std::string& id, State state, nlohmann::json result,
                      std::string message) {
  if (!is_finished(state))
    throw InputError(std::string("task ") + id + ": cannot finish in state " + to_string(state));
  Task snapshot;
  {
    std::lock_guard lock(memory_->mutex);
    auto it = memory_->tasks.find(id);
    if (it == memory_->tasks.end() || is_finished(it->second.task.state) || it->second.finishing)
      return;  // unknown, or finished by someone else first
    it->second.finishing = true;
    snapshot = it->second.task;
  }
  snapshot.state = state;
  snapshot.result = std::move(result);
  if (!message.empty()) snapshot.message = std::move(message);  // else the last progress note
  if (state == State::succeeded) snapshot.progress = 1;
  snapshot.updated_ms = snapshot.finished_ms = now_ms();
  std::string error;
  try {
    store_->write(snapshot);  // in the database before it may leave memory
  } catch (const std::exception& e) {
    error = e.what();
  }
  {
    std::lock_guard lock(memory_->mutex);
    auto& m = *memory_;
    Memory::Entry& e = m.tasks.at(id);
    m.count(e.task.state, -1);
    snapshot.cancel_requested = e.task.cancel_requested;
    e.task = std::move(snapshot);
    e.finishing = false;
    e.updated = Clock::now();
    if (error.empty()) {  // not persisted: kept in memory (never evicted) so nothing is lost
      const bool was_empty = m.by_update.empty();
      m.list(e);
      if (was_empty) m.timer.notify_one();
    }
  }
  memory_->changed.notify_all();
  if (!error.empty()) {
    spdlog::error("task {}: its final state could not be stored: {}", id, error);
    throw StorageError(error);
  }
}

Registry::CancelResult Registry::cancel(const std::string& id) {
  bool queued = false;
  {
    std::lock_guard lock(memory_->mutex);
    auto it = memory_->tasks.find(id);
    if (it != memory_->tasks.end()) {
      Task& t = it->second.task;
      if (is_finished(t.state) || it->second.finishing) return CancelResult::already_finished;
      t.cancel_requested = true;  // start() refuses it from now on
      if (t.state == State::running) return CancelResult::requested;
      queued = true;
    }
  }
  if (!queued)  // not in memory: finished and gone from memory, or unknown
    return store_->load(id) ? CancelResult::already_finished : CancelResult::not_found;
  finish(id, State::cancelled, nullptr, "cancelled before it started");
  return CancelResult::cancelled;
}

bool Registry::cancel_requested(const std::string& id) const {
  std::lock_guard lock(memory_->mutex);
  auto it = memory_->tasks.find(id);
  return it != memory_->tasks.end() && it->second.task.cancel_requested;
}

std::size_t Registry::expire() {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(memory_->mutex);
    memory_->expire(Clock::now(), options_.ttl, gone);
  }
  notify_departures(gone, Departure::expired);
  return gone.size();
}

void Registry::expiry_loop() {
  std::unique_lock lock(memory_->mutex);
  auto& m = *memory_;
  while (!m.stopping) {
    if (m.by_update.empty()) {
      m.timer.wait(lock);  // until a task finishes (or stop)
    } else {
      const auto deadline = m.tasks.at(m.by_update.front()).updated + options_.ttl;
      m.timer.wait_until(lock, deadline);
    }
    if (m.stopping) break;
    std::vector<std::string> gone;
    m.expire(Clock::now(), options_.ttl, gone);
    if (gone.empty()) continue;
    lock.unlock();
    notify_departures(gone, Departure::expired);
    lock.lock();
  }
}

void Registry::notify_departures(const std::vector<std::string>& ids, Departure why) {
  if (ids.empty()) return;
  memory_->changed.notify_all();
  if (on_departure_)
    for (const auto& id : ids) on_departure_(id, why);
}

Registry::Counts Registry::counts() const {
  std::lock_guard lock(memory_->mutex);
  const auto& m = *memory_;
  return {m.tasks.size(), m.queued, m.running, m.tasks.size() - m.queued - m.running};
}

bool Registry::in_memory(const std::string& id) const {
  std::lock_guard lock(memory_->mutex);
  return memory_->tasks.count(id) > 0;
}

std::vector<std::string> Registry::unfinished() const {
  std::lock_guard lock(memory_->mutex);
  std::vector<std::string> out;
  for (const auto& [id, e] : memory_->tasks)
    if (!is_finished(e.task.state)) out.push_back(id);
  return out;
}

bool Registry::wait_departed(const std::string& id, Clock::time_point deadline) {
  std::unique_lock lock(memory_->mutex);
  return memory_->changed.wait_until(lock, deadline, [&] { return memory_->tasks.count(id) == 0; });
}

}  // namespace swingpipe::tasks

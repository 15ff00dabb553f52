#include "tasks/task_store.hpp"

#include <chrono>

namespace swingpipe::tasks {

using storage::Stmt;
using storage::Transaction;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  owner TEXT NOT NULL,
  state TEXT NOT NULL,
  progress REAL NOT NULL,
  message TEXT NOT NULL,
  params TEXT NOT NULL,      -- JSON
  result TEXT,               -- JSON; NULL until finished
  created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tasks_unfinished ON tasks(state) WHERE state IN ('queued', 'running');
)sql";

constexpr const char* kColumns =
    "id, kind, owner, state, progress, message, params, result, created_ms, started_ms, "
    "updated_ms, finished_ms";

}  // namespace

const char* to_string(State s) {
  switch (s) {
    case State::queued:
      return "queued";
    case State::running:
      return "running";
    case State::succeeded:
      return "succeeded";
    case State::failed:
      return "failed";
    case State::cancelled:
      return "cancelled";
    case State::interrupted:
      return "interrupted";
  }
  return "failed";
}

std::optional<State> parse_state(std::string_view text) {
  for (State s : {State::queued, State::running, State::succeeded, State::failed, State::cancelled,
                  State::interrupted})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TaskStore::TaskStore(const std::filesystem::path& path)
    : pool_({path, /*max_connections=*/4, /*busy_timeout_ms=*/10000, /*read_only=*/false,
             /*synchronous_full=*/false}) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  writer_.reset(new storage::Lease(pool_.lease()));  // (not copyable: no make_unique)
  reader_.reset(new storage::Lease(pool_.lease()));
  const auto& c = **writer_;
  for (const auto* conn : {&c, &**reader_})  // read pages through memory maps, not pread
    exec(*conn, "PRAGMA mmap_size=268435456", "setting mmap_size");
  {
    Transaction tx(c, "the tasks schema");
    exec(c, kSchema, "creating the tasks table");
    tx.commit();
  }
  upsert_ = std::make_unique<Stmt>(
      c,
      std::string("INSERT INTO tasks(") + kColumns +
          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
          "ON CONFLICT(id) DO UPDATE SET state = excluded.state, progress = excluded.progress, "
          "message = excluded.message, result = excluded.result, "
          "started_ms = excluded.started_ms, updated_ms = excluded.updated_ms, "
          "finished_ms = excluded.finished_ms",
      "writing tasks");
  select_ = std::make_unique<Stmt>(
      **reader_, std::string("SELECT ") + kColumns + " FROM tasks WHERE id = ?1", "reading a task");
}

TaskStore::~TaskStore() {
  upsert_.reset();  // finalized before their connections go back to the pool
  select_.reset();
  writer_.reset();
  reader_.reset();
}

void TaskStore::write(const Task& task) {
  auto ticket = std::make_shared<Ticket>();
  std::unique_lock lock(mutex_);
  pending_.push_back({task, ticket});
  while (!ticket->done) {
    if (writing_) {  // a leader is committing: ours is in the next batch (or that one)
      done_.wait(lock);
      continue;
    }
    writing_ = true;  // lead: commit everything queued so far
    std::vector<Pending> batch;
    batch.swap(pending_);
    lock.unlock();
    std::string error;
    try {
      write_batch(batch);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    writing_ = false;
    if (error.empty()) ++commits_;
    for (auto& p : batch) {
      p.ticket->error = error;
      p.ticket->done = true;
    }
    done_.notify_all();
  }
  if (!ticket->error.empty()) throw StorageError(ticket->error);
}

void TaskStore::write_batch(const std::vector<Pending>& batch) {
  const auto& c = **writer_;
  Transaction tx(c, "writing " + std::to_string(batch.size()) + " task(s)");
  Stmt& s = *upsert_;
  for (const auto& p : batch) {
    const Task& t = p.task;
    s.bind(1, t.id).bind(2, t.kind).bind(3, t.owner).bind(4, std::string(to_string(t.state)));
    s.bind(5, t.progress).bind(6, t.message).bind(7, t.params.dump());
    if (t.result.is_null())
      s.bind_null(8);
    else
      s.bind(8, t.result.dump());
    s.bind(9, t.created_ms).bind(10, t.started_ms).bind(11, t.updated_ms).bind(12, t.finished_ms);
    try {
      s.run();
    } catch (...) {
      s.reset();
      throw;
    }
    s.reset();
  }
  tx.commit();
}

std::optional<Task> TaskStore::load(const std::string& id) {
  std::lock_guard lock(read_mutex_);
  const auto& c = **reader_;
  Stmt& s = *select_;
  struct Reset {  // the statement is reused: reset it however this returns
    Stmt& stmt;
    ~Reset() { stmt.reset(); }
  } reset{s};
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  Task t;
  t.id = s.text(0);
  t.kind = s.text(1);
  t.owner = s.text(2);
  const auto state = parse_state(s.text(3));
  if (!state)
    throw CorruptDataError(c.path + ": task " + id + " has an unknown state '" + s.text(3) + "'");
  t.state = *state;
  t.progress = s.real(4);
  t.message = s.text(5);
  try {
    t.params = nlohmann::json::parse(s.text(6));
    if (!s.is_null(7)) t.result = nlohmann::json::parse(s.text(7));
  } catch (const nlohmann::json::exception& e) {
    throw CorruptDataError(c.path + ": task " + id + ": stored JSON unreadable: " + e.what());
  }
  t.created_ms = s.int64(8);
  t.started_ms = s.int64(9);
  t.updated_ms = s.int64(10);
  t.finished_ms = s.int64(11);
  return t;
}

int64_t TaskStore::interrupt_unfinished(int64_t now) {
  auto c = pool_.lease();
  Transaction tx(*c, "marking unfinished tasks interrupted");
  Stmt s(*c,
         "UPDATE tasks SET state = 'interrupted', message = 'the server stopped before the task "
         "finished (it was ' || state || ')', updated_ms = ?1, finished_ms = ?1 "
         "WHERE state IN ('queued', 'running')",
         "marking unfinished tasks interrupted");
  s.bind(1, now).run();
  const int64_t n = sqlite3_changes(c->db);
  tx.commit();
  return n;
}

int64_t TaskStore::purge_finished_before(int64_t before_ms) {
  auto c = pool_.lease();
  Stmt s(*c, "DELETE FROM tasks WHERE finished_ms > 0 AND finished_ms < ?1", "deleting old tasks");
  s.bind(1, before_ms).run();
  return sqlite3_changes(c->db);
}

int64_t TaskStore::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

}  // namespace swingpipe::tasks

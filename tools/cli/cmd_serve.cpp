// `swingpipe serve --config configs/server.json`: the HTTP task API (tools/server).
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "command.hpp"
#include "output.hpp"
#include "server.hpp"
#include "server_config.hpp"

namespace swingpipe::cli {
namespace {

struct ServeFlags {
  std::string config;
  int port = -1;
  bool print_config = false;
};

/// SIGINT/SIGTERM are taken by one thread (sigwait), never by a handler: the first shuts the
/// server down gracefully, a second exits at once.
void serve(const server::ServerConfig& config, bool json) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: all inherit it

  server::Server srv(config);
  const int port = srv.bind();
  const std::string url = "http://" + config.host + ":" + std::to_string(port);
  if (json)
    std::cout << nlohmann::json{{"url", url},
                                {"port", port},
                                {"interrupted_tasks", srv.interrupted_at_start()}}
                     .dump()
              << std::endl;
  else
    std::cout << "swingpipe: serving " << url << " (library " << config.library << "); Ctrl-C stops"
              << std::endl;

  std::atomic<bool> done{false};
  std::thread waiter([&] {
    int received = 0;
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (done) return;
      if (++received == 1) {
        spdlog::info("{}: shutting down (send it again to exit at once)", strsignal(sig));
        srv.shutdown();
      } else {
        spdlog::warn("{} again: exiting now; unfinished tasks read 'interrupted' on the next start",
                     strsignal(sig));
        std::_Exit(130);
      }
    }
  });
  srv.serve();
  done = true;
  pthread_kill(waiter.native_handle(), SIGTERM);  // wake the waiter so it sees `done`
  waiter.join();
  spdlog::info("stopped");
}

void add_serve(CLI::App& app, Globals& g) {
  auto f = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve the HTTP task API (see configs/server.json for every setting and its default, and "
      "GET /openapi.json for the endpoints: the library, POST /v1/runs for analyses, POST "
      "/v1/simulations for MuJoCo swings of a model named in simulations.models_dir, tasks). "
      "Listens on 127.0.0.1:8750 by default; SIGINT or SIGTERM stops it gracefully (running "
      "tasks finish or stop at a checkpoint).");
  cmd->add_option("--config", f->config, "Server config (JSON); default: the built-in defaults");
  cmd->add_option("--port", f->port, "Override listen.port (0 = any free port, printed)")
      ->check(CLI::Range(0, 65535));
  cmd->add_flag("--print-config", f->print_config,
                "Print the effective config (every key with its value) and exit");
  cmd->callback([&g, f] {
    server::ServerConfig config =
        f->config.empty() ? server::parse_server_config(nlohmann::json::object(), "<defaults>")
                          : server::load_server_config(f->config);
    if (f->port >= 0) config.port = f->port;
    if (f->print_config) {
      std::cout << server::to_json(config).dump(2) << "\n";
      return;
    }
    serve(config, g.json);
  });
}

}  // namespace
SWINGPIPE_COMMAND("serve", add_serve);
}  // namespace swingpipe::cli

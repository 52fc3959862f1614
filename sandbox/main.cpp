// payrecon-sandbox: a local Amazon Pay India server. Prints the bound port as the first line of stdout, serves
// until SIGTERM or SIGINT, then shuts down cleanly. Exit codes (core/exit_code.h, the sandbox's column): 0 clean
// stop, 1 cannot serve, 2 bad usage, merchants file or scenario.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <pthread.h>

#include "core/exit_code.h"
#include "sandbox/merchants.h"
#include "sandbox/options.h"
#include "sandbox/sandbox.h"
#include "sandbox/scenario.h"
#include "sandbox/server.h"

using namespace payrecon::sandbox;
using payrecon::core::ExitCode;
using payrecon::core::ToInt;

int main(int argc, char** argv) {
  // Block the stop signals in every thread; the main thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  CommandLine cl;
  try {
    cl = ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& e) {
    std::cerr << "payrecon-sandbox: " << e.what() << "\n" << kUsage;
    return ToInt(ExitCode::kUsage);
  }
  if (cl.help) {
    std::cout << kUsage;
    return ToInt(ExitCode::kOk);
  }
  std::unique_ptr<Sandbox> sandbox;
  try {
    sandbox = std::make_unique<Sandbox>(MerchantDirectory::FromFile(cl.merchants_file), cl.sandbox);
  } catch (const MerchantsError& e) {
    std::cerr << "payrecon-sandbox: " << e.what() << "\n";
    return ToInt(ExitCode::kUsage);
  }
  sandbox->faults().Set(cl.faults);
  if (!cl.scenario_file.empty()) {
    std::ifstream in(cl.scenario_file);
    if (!in) {
      std::cerr << "payrecon-sandbox: cannot read scenario \"" << cl.scenario_file << "\"\n";
      return ToInt(ExitCode::kUsage);
    }
    const auto start = std::chrono::steady_clock::now();
    try {
      const std::size_t n = sandbox->LoadScenario(in);
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
      std::cerr << "payrecon-sandbox: loaded " << n << " transactions from \"" << cl.scenario_file << "\" in " << ms
                << " ms\n";
    } catch (const ScenarioError& e) {
      std::cerr << "payrecon-sandbox: scenario \"" << cl.scenario_file << "\": " << e.what() << "\n";
      return ToInt(ExitCode::kUsage);
    }
  }
  Server server(*sandbox, cl.server);
  try {
    const std::uint16_t port = server.Start();
    std::printf("%u\n", static_cast<unsigned>(port));
    std::fflush(stdout);
    std::cerr << "payrecon-sandbox: serving on " << cl.server.bind << ":" << port
              << (cl.server.tls_cert.empty() ? " (http)" : " (https)") << "\n";
  } catch (const std::exception& e) {
    std::cerr << "payrecon-sandbox: " << e.what() << "\n";
    return ToInt(ExitCode::kCannotServe);
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.Stop();
  std::cerr << "payrecon-sandbox: stopped on signal " << signal_number << "\n";
  return ToInt(ExitCode::kOk);
}

// wslplug run with several service threads, as WSL calls hooks: distributions started at the
// same time (--concurrent-distributions, or a scenario's {"together": [...]} group) run their
// hooks at once on different threads of the host. A plugin with a race on a global crashes only
// then; PluginError is accepted on each thread running a start hook and each message stays with
// its own event; a clean plugin passes; malformed groups are input errors naming the JSON path.
// Fixtures (tests/fixtures/run) are built at test time and run through the real binary under wine.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "run_support.hpp"
#include "wslplug/host/run.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

// The events of a run for `hook`, in order.
std::vector<json> events_of(const json& run, const std::string& hook) {
  std::vector<json> out;
  for (const json& e : run["events"])
    if (e["hook"] == hook) out.push_back(e);
  return out;
}

// The OnDistributionStarted events ran at the same time: distinct service threads, and their
// durations overlap (each PluginError / hook end falls inside the other's call).
void expect_distinct_service_threads(const std::vector<json>& events) {
  std::set<long> threads;
  for (const json& e : events) {
    ASSERT_TRUE(e["thread"].is_number()) << e.dump(2);
    EXPECT_GE(e["thread"].get<long>(), 1) << e.dump(2);
    threads.insert(e["thread"].get<long>());
  }
  EXPECT_EQ(threads.size(), events.size());
}

}  // namespace

TEST(RunThreads, RaceOnAGlobalCrashesOnlyWhenDistributionsStartTogether) {
  const auto dll = wt::run_fixture("race_distribution_started.c");
  ASSERT_FALSE(dll.empty());
  // One after another (WSL's order when a user starts one distribution at a time): clean.
  auto serial = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  EXPECT_EQ(serial.result.rc, 0) << serial.context();
  const json* run = serial.run("2.4.4");
  ASSERT_NE(run, nullptr) << serial.context();
  EXPECT_EQ((*run)["outcome"], "ok") << serial.context();
  EXPECT_EQ(serial.doc["options"]["concurrent_distributions"], false);
  auto started = events_of(*run, "OnDistributionStarted");
  ASSERT_EQ(started.size(), 2u) << serial.context();
  for (const json& e : started) {
    EXPECT_EQ(e["thread"], 0) << e.dump(2);
    EXPECT_EQ(e["symbol"], "S_OK") << e.dump(2);
  }

  // Two distributions starting at once: the second call dereferences the global the first one
  // freed and cleared.
  auto together =
      wt::run_json({dll.string(), "--wsl-version", "2.4.4", "--concurrent-distributions"});
  EXPECT_EQ(together.result.rc, 1) << together.context();
  EXPECT_EQ(together.doc["options"]["concurrent_distributions"], true);
  run = together.run("2.4.4");
  ASSERT_NE(run, nullptr) << together.context();
  EXPECT_EQ((*run)["outcome"], "crashed") << together.context();
  const json& crash = (*run)["crash"];
  ASSERT_TRUE(crash.is_object()) << together.context();
  EXPECT_EQ(crash["code"], "0xC0000005");
  EXPECT_EQ(crash["hook"], "OnDistributionStarted");
  EXPECT_EQ(crash["thread"], "hook");  // a service thread running a hook, not a plugin worker
  EXPECT_EQ(crash["fault_address"], "0x0000000000000000") << crash.dump(2);
  EXPECT_TRUE(wt::has_problem(*run, "crash")) << together.context();
  started = events_of(*run, "OnDistributionStarted");
  ASSERT_EQ(started.size(), 2u) << together.context();
  expect_distinct_service_threads(started);
  // The call that finished first returned S_OK; the crash is in the other distribution's call,
  // and WSL's view of that call is the service's death.
  const json& ok = started[0]["hresult"].is_string() ? started[0] : started[1];
  const json& crashed = started[0]["hresult"].is_string() ? started[1] : started[0];
  EXPECT_EQ(ok["symbol"], "S_OK") << together.context();
  EXPECT_TRUE(crashed["hresult"].is_null()) << together.context();
  ASSERT_TRUE(crashed["wsl"].is_object()) << crashed.dump(2);
  EXPECT_EQ(crashed["wsl"]["message"], "The remote procedure call failed.");
  EXPECT_NE(ok["distribution"], crashed["distribution"]);
  // The run ended at the crash: no stopping hook.
  EXPECT_TRUE(events_of(*run, "OnDistributionStopping").empty()) << together.context();
}

TEST(RunThreads, PluginErrorOnEachServiceThreadStaysWithItsOwnEvent) {
  const auto dll = wt::run_fixture("plugin_error_concurrent.c");
  ASSERT_FALSE(dll.empty());
  wt::TempDir dir;
  wt::write_text(dir / "s.json", R"({
    "schema": 1,
    "events": [
      {"hook": "OnVMStarted"},
      {"together": [
        {"hook": "OnDistributionStarted", "distribution": "Ubuntu", "expect": "E_ACCESSDENIED"},
        {"hook": "OnDistributionStarted", "distribution": "bare", "expect": "E_ACCESSDENIED"}
      ]},
      {"hook": "OnVMStopping"}
    ]
  })");
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4", "--name", "policy", "--scenario",
                         (dir / "s.json").string()});
  // Both refusals were expected: the run passes.
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "ok") << r.context();
  EXPECT_FALSE(wt::has_problem(*run, "plugin-error-outside-hook")) << r.context();
  EXPECT_FALSE(wt::has_problem(*run, "plugin-error-twice")) << r.context();
  const auto started = events_of(*run, "OnDistributionStarted");
  ASSERT_EQ(started.size(), 2u) << r.context();
  expect_distinct_service_threads(started);
  std::vector<double> error_times;
  for (const json& e : started) {
    const std::string name = e["distribution"].get<std::string>();
    const std::string message = name + " is not allowed on this machine";
    EXPECT_EQ(e["symbol"], "E_ACCESSDENIED") << e.dump(2);
    EXPECT_EQ(e["expectation_met"], true) << e.dump(2);
    EXPECT_EQ(e["plugin_error"], message) << e.dump(2);
    ASSERT_EQ(e["api_calls"].size(), 1u) << e.dump(2);
    const json& call = e["api_calls"][0];
    EXPECT_EQ(call["call"], "PluginError");
    EXPECT_EQ(call["symbol"], "S_OK") << call.dump(2);
    EXPECT_EQ(call["thread"], "hook");
    EXPECT_EQ(call["args"]["message"], message);
    error_times.push_back(call["t_ms"].get<double>());
    ASSERT_TRUE(e["wsl"].is_object()) << e.dump(2);
    EXPECT_EQ(
        e["wsl"]["message"],
        fmt::format("A fatal error was returned by plugin 'policy'. Error message: '{}'", message));
    // A refused start: no stopping hook for it (the plugin set none anyway).
  }
  // Each hook sleeps 300 ms before PluginError: the two calls overlapped.
  ASSERT_EQ(error_times.size(), 2u);
  EXPECT_LT(std::abs(error_times[0] - error_times[1]), 250.0) << r.context();
  // The plugin sets no other hook: the group's two calls are the whole run.
  EXPECT_EQ((*run)["events"].size(), 2u) << r.context();
}

TEST(RunThreads, CleanPluginPassesWithConcurrentDistributions) {
  const auto dll = wt::run_fixture("clean.cpp");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json(
      {dll.string(), "--wsl-version", "2.4.4", "--concurrent-distributions", "--repeat", "2"});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "ok") << r.context();
  for (const char* hook : {"OnDistributionStarted", "OnDistributionStopping"}) {
    const auto events = events_of(*run, hook);
    ASSERT_EQ(events.size(), 4u) << hook << " " << r.context();  // 2 distributions x 2 rounds
    for (size_t round = 0; round < 2; ++round) {
      const std::vector<json> pair = {events[2 * round], events[2 * round + 1]};
      expect_distinct_service_threads(pair);
      for (const json& e : pair) {
        EXPECT_EQ(e["symbol"], "S_OK") << e.dump(2);
        EXPECT_EQ(e["iteration"], round + 1) << e.dump(2);
      }
    }
  }
  // Every call the plugin made in a concurrent hook belongs to that hook's event: the command it
  // ran in its own distribution names that distribution.
  for (const json& e : events_of(*run, "OnDistributionStarted")) {
    bool ran_in_own = false;
    for (const json& c : e["api_calls"])
      if (c["call"] == "ExecuteBinaryInDistribution") {
        EXPECT_EQ(c["thread"], "hook") << c.dump(2);
        EXPECT_EQ(c["args"]["distribution_name"], e["distribution"]) << c.dump(2);
        EXPECT_EQ(c["symbol"], "S_OK") << c.dump(2);
        ran_in_own = true;
      }
    EXPECT_TRUE(ran_in_own) << e.dump(2);
  }
  // Hooks outside the groups stay on the main thread.
  for (const char* hook : {"OnVMStarted", "OnDistributionRegistered", "OnVMStopping"}) {
    const json* e = wt::find_event(*run, hook);
    ASSERT_NE(e, nullptr) << hook;
    EXPECT_EQ((*e)["thread"], 0) << e->dump(2);
  }
}

TEST(RunThreads, GroupSyntaxAndItsErrors) {
  auto s = wslplug::host::parse_scenario(R"({"events": [
      {"hook": "OnVMStarted"},
      {"together": [{"hook": "OnDistributionStarted", "distribution": "A"},
                    {"hook": "OnDistributionStopping", "distribution": "B"}]},
      {"together": [{"hook": "OnDistributionStarted", "distribution": "A"},
                    {"hook": "OnDistributionStarted", "distribution": "B"}]},
      {"hook": "OnVMStopping"}]})",
                                         "s.json");
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_EQ(s->events.size(), 6u);
  EXPECT_EQ(s->events[0].group, 0);
  EXPECT_NE(s->events[1].group, 0);
  EXPECT_EQ(s->events[1].group, s->events[2].group);
  EXPECT_NE(s->events[3].group, 0);
  EXPECT_EQ(s->events[3].group, s->events[4].group);
  EXPECT_NE(s->events[1].group, s->events[3].group);  // two groups in a row stay two groups
  EXPECT_EQ(s->events[5].group, 0);
  EXPECT_EQ(s->events[2].hook, "OnDistributionStopping");

  // The default lifecycle with --concurrent-distributions: each round's starts form one group,
  // its stops another.
  const auto events = wslplug::host::default_events(wslplug::host::default_distributions(), 2,
                                                    /*concurrent=*/true);
  std::map<int, std::vector<std::string>> groups;
  for (const auto& e : events)
    if (e.group != 0) groups[e.group].push_back(e.hook + ":" + e.distribution);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups.begin()->second, (std::vector<std::string>{"OnDistributionStarted:Ubuntu",
                                                              "OnDistributionStarted:bare"}));
  EXPECT_EQ(groups.rbegin()->second, (std::vector<std::string>{"OnDistributionStopping:Ubuntu",
                                                               "OnDistributionStopping:bare"}));

  struct Case {
    const char* where;
    const char* message;
  };
  const std::string a = R"({"hook": "OnDistributionStarted", "distribution": "A"})";
  const std::string b = R"({"hook": "OnDistributionStarted", "distribution": "B"})";
  const std::vector<std::pair<std::string, Case>> cases = {
      {R"({"together": "A"})", {"events[1].together", "at least two events"}},
      {R"({"together": [)" + a + "]}", {"events[1].together", "at least two events"}},
      {R"({"together": [)" + a + R"(, {"hook": "OnVMStopping"}]})",
       {"events[1].together[1].hook", "distribution hooks only"}},
      {R"({"together": [)" + a + R"(, {"hook": "OnDistributionStopping", "distribution": "a"}]})",
       {"events[1].together[1].distribution", "already in this group"}},
      {R"({"together": [)" + a + R"(, {"hook": "OnDistributionStarted", "distribution": "B",
          "iteration": 2}]})",
       {"events[1].together[1].iteration", "same for every event"}},
      {R"({"together": [)" + a + ", " + R"({"together": [)" + a + ", " + b + "]}]}",
       {"events[1].together[1]", "cannot be nested"}},
      {R"({"together": [)" + a + ", " + b + R"(], "hook": "OnVMStarted"})",
       {"events[1]", "unknown key 'hook'"}},
      {R"({"together": [)" + a + R"(, {"hook": "OnDistributionStarted"}]})",
       {"events[1].together[1].distribution", "required"}},
  };
  for (const auto& [event, c] : cases) {
    const std::string text = R"({"events": [{"hook": "OnVMStarted"}, )" + event + "]}";
    auto bad = wslplug::host::parse_scenario(text, "bad.json");
    ASSERT_FALSE(bad) << text;
    EXPECT_EQ(bad.error().kind, wslplug::ErrorKind::kInput);
    EXPECT_EQ(bad.error().file, "bad.json");
    EXPECT_EQ(bad.error().where, c.where) << text << " -> " << bad.error().where;
    EXPECT_NE(bad.error().message.find(c.message), std::string::npos)
        << text << " -> " << bad.error().message;
  }
}

TEST(RunThreads, MalformedGroupIsAUsageErrorThroughTheBinary) {
  wt::TempDir dir;
  wt::write_text(dir / "s.json", R"({"events": [{"hook": "OnVMStarted"},
    {"together": [{"hook": "OnDistributionStarted", "distribution": "Ubuntu"},
                  {"hook": "OnSessionCreated"}]}]})");
  wt::write_text(dir / "good.json", R"({"events": [{"hook": "OnVMStarted"}]})");
  wt::write_text(dir / "not.dll", "not a PE");
  auto r = wt::wslplug(
      {"run", (dir / "not.dll").string(), "--scenario", (dir / "s.json").string(), "--json"});
  EXPECT_EQ(r.rc, 2) << r.both();
  auto doc = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  ASSERT_TRUE(doc["error"].is_object()) << r.out;
  EXPECT_EQ(doc["error"]["where"], "events[1].together[1].hook") << r.out;
  // The flag is for the default lifecycle: a scenario groups its own events.
  r = wt::wslplug({"run", (dir / "not.dll").string(), "--scenario", (dir / "good.json").string(),
                   "--concurrent-distributions"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("--concurrent-distributions"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("together"), std::string::npos) << r.err;
}

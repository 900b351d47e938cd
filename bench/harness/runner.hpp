#pragma once
// The supervisor's side of one scenario: it creates the control block, starts the writer and
// then the readers (re-executed from this binary), reads their reports until every process ended
// or one failed, and turns the reports and the latency samples into one result per lane.

#include "process.hpp"
#include "results.hpp"

#include <vector>

namespace smx::cli::bench {

class ScenarioRunner {
public:
    /// `signals`: a stop signal ends the current scenario (its processes are killed) and
    /// every later one is not started.
    ScenarioRunner(int domain, SignalFd& signals) : m_domain(domain), m_signals(signals) {}

    /// Runs `s` as scenario number `id` (1 ..); one result per lane, failed ones with the error.
    std::vector<RunResult> run(const Scenario& s, unsigned id);
    bool interrupted() const noexcept { return m_interrupted; }

private:
    struct Child;
    template <class Condition>
    bool pump(std::vector<std::unique_ptr<Child>>& children, std::chrono::steady_clock::time_point deadline,
              Condition&& condition);
    void stop_children(std::vector<std::unique_ptr<Child>>& children);
    std::string run_children(const Scenario& s, std::vector<std::unique_ptr<Child>>& children,
                             const std::vector<std::string>& writer_args, const std::vector<std::string>& reader_args);
    static void read(Child& c);
    void remove_leftovers(const Scenario& s, const std::string& topic, const std::vector<pid_t>& pids) const;

    int m_domain;
    SignalFd& m_signals;
    bool m_interrupted = false;
    bool m_stopping = false;  // asking children to stop: a stop signal now means "kill them now"
};

/// The view of lane `lane` of scenario `s` (number `id`) that the tables use.
LaneScenario lane_view(const Scenario& s, unsigned id, unsigned lane);

}  // namespace smx::cli::bench

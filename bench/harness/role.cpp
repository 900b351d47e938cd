#include "role.hpp"

#include "cli.hpp"
#include "options.hpp"
#include "process.hpp"

#include <cstdio>

namespace smx::cli::bench {

namespace {

std::string fixed(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v);
    return text;
}

}  // namespace

std::string lane_topic(const std::string& topic, std::size_t i, std::size_t lanes) {
    return lanes == 1 ? topic : topic + "_" + std::to_string(i);
}

std::string RoleOptions::lane_topic(std::size_t i) const { return bench::lane_topic(topic, i, lanes.size()); }

void add_role_options(CLI::App* sub, RoleOptions& o) {
    sub->add_option_function<std::string>(
           "--mode", [&o](const std::string& text) { o.mode = *parse_mode(text); }, "latency, throughput, idle or cost")
        ->check(CLI::IsMember({"latency", "throughput", "idle", "cost"}));
    sub->add_option_function<std::vector<std::string>>(
           "--lanes",
           [&o](const std::vector<std::string>& texts) {
               for (const std::string& t : texts) o.lanes.push_back(*parse_lane(t));
           },
           "PATH:PAYLOAD, one per interleaved stream")
        ->delimiter(',')
        ->required()
        ->check(CLI::Validator(
            [](const std::string& text) { return parse_lane(text) ? std::string() : "not PATH:PAYLOAD: " + text; },
            "PATH:PAYLOAD", "lane"));
    sub->add_option("--readers", o.readers, "reader processes (0: a writer-cost run with none)")
        ->check(CLI::Range(0u, MAX_READERS));
    sub->add_option("--rate", o.rate, "writer pace in Hz over all lanes (latency)")->check(finite_range(0.0, 100000.0));
    sub->add_option("--frames", o.frames, "frames to measure per lane (latency)");
    sub->add_option("--seconds", o.seconds, "duration (throughput, idle) or bound (latency)")->check(finite_range(0.0, 3600.0));
    sub->add_option("--spin-us", o.spin_us, "readers of the spinning lane: spin this long before blocking")
        ->check(finite_range(0.0, max_spin_us()));
    sub->add_option_function<std::string>(
           "--dds-settings", [&o](const std::string& text) { o.dds = *parse_dds_settings(text); },
           "smx or cyclone-defaults")
        ->check(CLI::IsMember({"smx", "cyclone-defaults"}));
    sub->add_option("--control", o.control, "name of the scenario's control block")->required();
    sub->add_option("--topic", o.topic, "topic")->required();
    sub->add_option("--report-fd", o.report_fd, "descriptor for report lines");
    sub->add_option("--parent", o.parent, "pid whose death stops this process");
}

std::vector<std::string> role_arguments(const char* role, const Scenario& s, int domain, const std::string& control,
                                        const std::string& topic, pid_t parent) {
    return {"--domain", std::to_string(domain), role,  "--mode", to_string(s.mode),
            "--lanes",  to_string(s.lanes),     "--readers", std::to_string(s.readers),
            "--rate",   fixed(s.rate_hz),       "--frames", std::to_string(s.frames),
            "--seconds", fixed(s.seconds),      "--spin-us", fixed(s.spin_us),
            "--dds-settings", to_string(s.dds), "--control", control,
            "--topic",  topic,                  "--report-fd", std::to_string(CHILD_REPORT_FD),
            "--parent", std::to_string(parent)};
}

}  // namespace smx::cli::bench

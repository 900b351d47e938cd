#pragma once
// The command line every example takes: [TOPIC] [FRAMES]. An option (--help) or a count that
// is not a number gets the usage, never a topic called "--help".

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

struct ExampleArgs {
    std::string topic = "frame_data";
    long frames = 0;  // 0: until Ctrl-C
};

/// The arguments, or nullopt after printing the usage with `what` (one line saying what the
/// example does); `status` is then the exit status (0 for --help or -h, 2 otherwise).
inline std::optional<ExampleArgs> parse_example_args(int argc, char** argv, const char* what, int& status) {
    const bool help = argc > 1 && argv[1][0] == '-';
    char* end = nullptr;
    const long frames = argc > 2 ? std::strtol(argv[2], &end, 10) : 0;
    if (help || argc > 3 || (argc > 2 && (*end != '\0' || frames < 0))) {
        const bool asked = help && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h");
        std::fprintf(asked ? stdout : stderr,
                     "usage: %s [TOPIC] [FRAMES]\n  %s\n"
                     "  TOPIC   default frame_data\n  FRAMES  how many (default 0: until Ctrl-C)\n"
                     "  the DDS domain is SMX_DOMAIN (default 0)\n",
                     argv[0], what);
        status = asked ? 0 : 2;
        return std::nullopt;
    }
    ExampleArgs args;
    if (argc > 1) args.topic = argv[1];
    args.frames = frames;
    return args;
}
